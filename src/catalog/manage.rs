//! Staff changes to the catalogue (server only): the product list, the editor, soft delete
//! and restore, bulk actions and stock. Every change is checked here, written with its
//! audit entry in one transaction, and then tells every app instance's listing cache.

use super::types::{ProductBulk, ProductEditor, ProductFields, StaffProductRow, StockCell, Slug};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Actor, Change},
    error::{AppError, FieldErrors},
    money::{amount_input, parse_amount},
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The columns the staff list sorts by, and the SQL of each.
const SORTS: [(&str, &str); 5] = [
    ("name", "p.name"),
    ("price", "p.effective_price_minor"),
    ("available", "available"),
    ("updated", "p.updated_at"),
    ("status", "p.is_active"),
];

/// One page of the staff product list for `query` (`q`, `status`, `category`, sort).
pub async fn list(db: &PgPool, query: &ListQuery) -> Result<Paged<StaffProductRow>, sqlx::Error> {
    let names: Vec<&str> = SORTS.iter().map(|(k, _)| *k).collect();
    let (sort, desc) = query.sort_of(&names, ("updated", true));
    let column = SORTS.iter().find(|(k, _)| *k == sort).map_or("p.updated_at", |(_, c)| c);
    let direction = if desc { "desc" } else { "asc" };
    let filter = "($1::text is null or p.name ilike '%' || $1 || '%' or p.slug ilike '%' || $1 || '%')
        and (case $2::text when 'active' then p.is_live
                           when 'inactive' then not p.is_active and p.deleted_at is null
                           when 'deleted' then p.deleted_at is not null
                           else p.deleted_at is null end)
        and ($3::uuid is null or exists (select 1 from product_categories pc where pc.product_id = p.id and pc.category_id = $3))";
    let category = query.filter("category").and_then(|c| c.parse::<Uuid>().ok());
    let rows: Vec<(Uuid, String, String, String, i64, Option<i64>, bool, bool, i64, i64, String)> = sqlx::query_as(&format!(
        "select p.id, p.name, p.slug, p.currency::text, p.price_minor, p.price_override_minor, p.is_active, p.deleted_at is not null,
                coalesce(st.available, 0) as available, coalesce(st.reserved, 0),
                coalesce((select string_agg(c.name, ', ' order by c.name) from product_categories pc
                          join categories c on c.id = pc.category_id where pc.product_id = p.id), '')
         from products p
         left join lateral (select sum(ps.available)::bigint as available, sum(ps.reserved)::bigint as reserved
                            from product_colours pc join product_sizes ps on ps.product_colour_id = pc.id
                            where pc.product_id = p.id) st on true
         where {filter}
         order by {column} {direction}, p.id {direction} limit $4 offset $5"
    ))
    .bind(query.search())
    .bind(query.filter("status"))
    .bind(category)
    .bind(PAGE_SIZE)
    .bind(query.offset())
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from products p where {filter}"))
        .bind(query.search())
        .bind(query.filter("status"))
        .bind(category)
        .fetch_one(db)
        .await?;
    let rows = rows
        .into_iter()
        .map(|(id, name, slug, currency, price_minor, sale_minor, is_active, deleted, available, reserved, categories)| StaffProductRow {
            id,
            name,
            slug,
            currency,
            price_minor,
            sale_minor,
            is_active,
            deleted,
            available,
            reserved,
            categories,
        })
        .collect();
    Ok(Paged { rows, total })
}

/// Every product matching `query`, for the CSV export (no page limit).
pub async fn export(db: &PgPool, query: &ListQuery) -> Result<Vec<StaffProductRow>, sqlx::Error> {
    let mut all = Vec::new();
    let mut page = query.clone();
    page.page = 1;
    loop {
        let batch = list(db, &page).await?;
        let done = batch.rows.len() < PAGE_SIZE as usize;
        all.extend(batch.rows);
        if done {
            return Ok(all);
        }
        page.page += 1;
    }
}

pub async fn categories(db: &PgPool) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("select id, name from categories order by name").fetch_all(db).await
}

/// The editor for an existing product (`None` when there is none), or a blank one.
pub async fn editor(db: &PgPool, id: Option<Uuid>) -> Result<Option<ProductEditor>, sqlx::Error> {
    let all_categories = categories(db).await?;
    let Some(id) = id else {
        let fields = ProductFields { is_active: false, ..ProductFields::default() };
        let editor = ProductEditor {
            id: None,
            fields,
            currency: "USD".into(),
            deleted: false,
            all_categories,
            stock: Vec::new(),
            all_colours: Vec::new(),
            all_sizes: Vec::new(),
        };
        return Ok(Some(editor));
    };
    let row: Option<(String, String, String, i64, Option<i64>, bool, String, String, String, bool)> = sqlx::query_as(
        "select name, slug, description, price_minor, price_override_minor, is_active, seo_title, seo_description, currency::text,
                deleted_at is not null
         from products where id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some((name, slug, description, price, sale, is_active, seo_title, seo_description, currency, deleted)) = row else {
        return Ok(None);
    };
    let categories: Vec<Uuid> = sqlx::query_scalar("select category_id from product_categories where product_id = $1").bind(id).fetch_all(db).await?;
    let fields = ProductFields {
        name,
        slug,
        description,
        price: amount_input(price),
        sale_price: sale.map(amount_input).unwrap_or_default(),
        is_active,
        seo_title,
        seo_description,
        categories,
    };
    let all_colours = sqlx::query_as("select id, name from colours order by sort_order, name").fetch_all(db).await?;
    let all_sizes = sqlx::query_as("select id, label || case when kind = 'apparel' then '' else ' (' || replace(kind, '_', ' ') || ')' end from sizes order by kind, sort_order")
        .fetch_all(db)
        .await?;
    Ok(Some(ProductEditor { id: Some(id), fields, currency, deleted, all_categories, stock: stock(db, id).await?, all_colours, all_sizes }))
}

async fn stock(db: &PgPool, product: Uuid) -> Result<Vec<StockCell>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, i32, i32)> = sqlx::query_as(
        "select ps.id, c.name, s.label, ps.sku, ps.stock, ps.reserved from product_sizes ps
         join product_colours pc on pc.id = ps.product_colour_id join colours c on c.id = pc.colour_id
         join sizes s on s.id = ps.size_id where pc.product_id = $1 order by pc.sort_order, c.name, s.sort_order",
    )
    .bind(product)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, colour, size, sku, stock, reserved)| StockCell { id, colour, size, sku, stock, reserved }).collect())
}

/// A product's fields once every rule holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidProduct {
    pub name: String,
    pub slug: Slug,
    pub description: String,
    pub price_minor: i64,
    pub sale_minor: Option<i64>,
    pub is_active: bool,
    pub seo_title: String,
    pub seo_description: String,
    pub categories: Vec<Uuid>,
}

/// Checks every field at once, so every message shows beside its field.
pub fn validate(f: &ProductFields) -> Result<ValidProduct, AppError> {
    let mut errors = FieldErrors::new();
    let name = errors.text("name", &f.name, 120, Some("Enter the product's name."));
    let slug_text = if f.slug.trim().is_empty() { Slug::from_name(&name).map(|s| s.as_str().to_owned()).unwrap_or_default() } else { f.slug.clone() };
    let slug = Slug::parse(&slug_text).map_err(|m| errors.add("slug", m)).ok();
    errors.text("description", &f.description, 10_000, None);
    let price = parse_amount(&f.price).map_err(|m| errors.add("price", m)).ok();
    let sale = match f.sale_price.trim() {
        "" => None,
        text => parse_amount(text).map_err(|m| errors.add("sale_price", m)).ok(),
    };
    if let (Some(price), Some(sale)) = (price, sale) {
        if sale >= price {
            errors.add("sale_price", "A sale price must be below the price.");
        }
    }
    // Search engines cut longer titles and descriptions.
    errors.text("seo_title", &f.seo_title, 70, None);
    errors.text("seo_description", &f.seo_description, 170, None);
    errors.into_result()?;
    let (Some(slug), Some(price_minor)) = (slug, price) else { unreachable!("errors returned above") };
    let mut categories = f.categories.clone();
    categories.sort();
    categories.dedup();
    Ok(ValidProduct {
        name,
        slug,
        description: f.description.trim().to_owned(),
        price_minor,
        sale_minor: sale,
        is_active: f.is_active,
        seo_title: f.seo_title.trim().to_owned(),
        seo_description: f.seo_description.trim().to_owned(),
        categories,
    })
}

/// What the audit log keeps of a product: its editable fields.
async fn snapshot(conn: &mut PgConnection, id: Uuid) -> Result<Option<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar(
        "select jsonb_build_object('name', p.name, 'slug', p.slug, 'description', p.description, 'price_minor', p.price_minor,
                'sale_minor', p.price_override_minor, 'is_active', p.is_active, 'deleted', p.deleted_at is not null,
                'seo_title', p.seo_title, 'seo_description', p.seo_description,
                'categories', coalesce((select string_agg(c.name, ', ' order by c.name) from product_categories pc
                                        join categories c on c.id = pc.category_id where pc.product_id = p.id), ''))
         from products p where p.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

fn slug_taken(err: sqlx::Error) -> AppError {
    match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("products_slug_key") => {
            AppError::field("slug", "Another product uses this URL name. Choose another.")
        }
        _ => err.into(),
    }
}

/// Creates (`id` None) or updates a product; answers its id. An old slug keeps answering
/// (the storefront redirects it to the new one).
pub async fn save(db: &PgPool, actor: &Actor, id: Option<Uuid>, p: &ValidProduct, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let mut tx = db.begin().await?;
    let id = save_in(&mut tx, actor, id, p, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// [`save`] inside the caller's transaction (a CSV import saves many products in one).
pub async fn save_in(tx: &mut PgConnection, actor: &Actor, id: Option<Uuid>, p: &ValidProduct, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let categories_exist: i64 = sqlx::query_scalar("select count(*) from categories where id = any($1)").bind(&p.categories).fetch_one(&mut *tx).await?;
    if categories_exist != p.categories.len() as i64 {
        return Err(AppError::field("categories", "Choose categories from the list."));
    }
    // An edit locks the row and keeps what it held; a creation has nothing before.
    let (id, old) = match id {
        Some(id) => {
            let old_slug: Option<String> = sqlx::query_scalar("select slug from products where id = $1 for update").bind(id).fetch_optional(&mut *tx).await?;
            let old_slug = old_slug.ok_or_else(|| AppError::NotFound("That product".into()))?;
            (id, Some((old_slug, snapshot(tx, id).await?)))
        }
        None => (Uuid::now_v7(), None),
    };
    sqlx::query(
        "insert into products (id, name, slug, description, price_minor, price_override_minor, is_active, seo_title, seo_description,
                               created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)
         on conflict (id) do update set name = excluded.name, slug = excluded.slug, description = excluded.description,
             price_minor = excluded.price_minor, price_override_minor = excluded.price_override_minor, is_active = excluded.is_active,
             seo_title = excluded.seo_title, seo_description = excluded.seo_description, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(&p.name)
    .bind(p.slug.as_str())
    .bind(&p.description)
    .bind(p.price_minor)
    .bind(p.sale_minor)
    .bind(p.is_active)
    .bind(&p.seo_title)
    .bind(&p.seo_description)
    .bind(now)
    .execute(&mut *tx)
    .await
    .map_err(slug_taken)?;
    if let Some((old_slug, _)) = old.as_ref().filter(|(old_slug, _)| old_slug != p.slug.as_str()) {
        sqlx::query(
            "insert into product_slug_history (slug, product_id, retired_at) values ($1, $2, $3)
             on conflict (slug) do update set product_id = excluded.product_id, retired_at = excluded.retired_at",
        )
        .bind(old_slug)
        .bind(id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    }
    let before = old.and_then(|(_, snapshot)| snapshot);
    // A slug in use is no longer an old one.
    sqlx::query("delete from product_slug_history where slug = $1").bind(p.slug.as_str()).execute(&mut *tx).await?;
    sqlx::query("delete from product_categories where product_id = $1 and category_id <> all($2)").bind(id).bind(&p.categories).execute(&mut *tx).await?;
    sqlx::query("insert into product_categories (product_id, category_id) select $1, unnest($2::uuid[]) on conflict do nothing")
        .bind(id)
        .bind(&p.categories)
        .execute(&mut *tx)
        .await?;
    let after = snapshot(tx, id).await?;
    let action = if before.is_some() { "update" } else { "create" };
    audit::record(tx, actor, Change { action, entity_kind: "product", entity_id: id.to_string(), before, after }, now).await?;
    Ok(id)
}

/// Soft-deletes (`deleted`) or restores a product.
pub async fn set_deleted(db: &PgPool, actor: &Actor, id: Uuid, deleted: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let before = snapshot(&mut tx, id).await?.ok_or_else(|| AppError::NotFound("That product".into()))?;
    let changed = sqlx::query(
        "update products set deleted_at = case when $2 then $3 end, updated_at = $3 where id = $1 and (deleted_at is not null) <> $2",
    )
    .bind(id)
    .bind(deleted)
    .bind(now)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    if changed == 0 {
        // Already so (a second click): nothing to record.
        return Ok(());
    }
    let after = snapshot(&mut tx, id).await?;
    let action = if deleted { "delete" } else { "restore" };
    audit::record(&mut tx, actor, Change { action, entity_kind: "product", entity_id: id.to_string(), before: Some(before), after }, now).await?;
    tx.commit().await?;
    Ok(())
}

/// A sale price after a percentage change, kept below the new price; a change that would
/// take a price to zero or below is refused.
pub fn changed_price(minor: i64, basis_points: i64) -> Option<i64> {
    let new = (i128::from(minor) * i128::from(10_000 + basis_points) + 5_000) / 10_000;
    (new > 0 && new <= 1_000_000_000).then_some(new as i64)
}

/// Applies one bulk action to every product in `ids`, each with its own audit entry;
/// answers how many changed.
pub async fn bulk(db: &PgPool, actor: &Actor, ids: &[Uuid], action: ProductBulk, now: DateTime<Utc>) -> Result<usize, AppError> {
    if ids.is_empty() {
        return Err(AppError::Rejected("Select at least one product.".into()));
    }
    if let ProductBulk::ChangePrice { basis_points } = action {
        if !(-9_000..=100_000).contains(&basis_points) || basis_points == 0 {
            return Err(AppError::field("percent", "Enter a change between -90 and 1000 percent, like -10 or 15."));
        }
    }
    let mut tx = db.begin().await?;
    let mut ids = ids.to_vec();
    ids.sort();
    ids.dedup();
    // Locked in id order, like every multi-row change, so two bulk posts cannot deadlock.
    let found: Vec<(Uuid, i64, Option<i64>)> =
        sqlx::query_as("select id, price_minor, price_override_minor from products where id = any($1) and deleted_at is null order by id for update")
            .bind(&ids)
            .fetch_all(&mut *tx)
            .await?;
    let (name, collection) = match action {
        ProductBulk::Activate => ("bulk_activate", None),
        ProductBulk::Deactivate => ("bulk_deactivate", None),
        ProductBulk::AddToCollection(c) => ("bulk_add_to_collection", Some(c)),
        ProductBulk::ChangePrice { .. } => ("bulk_change_price", None),
    };
    if let Some(collection) = collection {
        let exists: bool = sqlx::query_scalar("select exists(select 1 from collections where id = $1)").bind(collection).fetch_one(&mut *tx).await?;
        if !exists {
            return Err(AppError::field("collection", "Choose a collection from the list."));
        }
    }
    for (id, price, sale) in &found {
        let before = snapshot(&mut tx, *id).await?;
        match action {
            ProductBulk::Activate | ProductBulk::Deactivate => {
                sqlx::query("update products set is_active = $2, updated_at = $3 where id = $1")
                    .bind(id)
                    .bind(action == ProductBulk::Activate)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
            ProductBulk::AddToCollection(collection) => {
                sqlx::query(
                    "insert into collection_products (collection_id, product_id, sort_order)
                     select $1, $2, coalesce(max(sort_order), 0) + 1 from collection_products where collection_id = $1
                     on conflict do nothing",
                )
                .bind(collection)
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            ProductBulk::ChangePrice { basis_points } => {
                let (Some(new_price), new_sale) = (changed_price(*price, basis_points), sale.map(|s| changed_price(s, basis_points))) else {
                    return Err(AppError::field("percent", "That change would take a price to zero."));
                };
                let new_sale = new_sale.flatten().filter(|s| *s < new_price);
                sqlx::query("update products set price_minor = $2, price_override_minor = $3, updated_at = $4 where id = $1")
                    .bind(id)
                    .bind(new_price)
                    .bind(new_sale)
                    .bind(now)
                    .execute(&mut *tx)
                    .await?;
            }
        }
        let mut after = snapshot(&mut tx, *id).await?;
        if let (Some(collection), Some(serde_json::Value::Object(map))) = (collection, after.as_mut()) {
            map.insert("added_to_collection".into(), collection.to_string().into());
        }
        audit::record(&mut tx, actor, Change { action: name, entity_kind: "product", entity_id: id.to_string(), before, after }, now).await?;
    }
    tx.commit().await?;
    Ok(found.len())
}

/// Gives a product a colour in `sizes` (or more sizes in a colour it has), each with no
/// stock yet and a SKU made of the product's, the colour's and the size's URL names.
pub async fn add_variants(db: &PgPool, actor: &Actor, product: Uuid, colour: Uuid, sizes: &[Uuid], now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    let added = add_variants_in(&mut tx, actor, product, colour, sizes, now).await?;
    tx.commit().await?;
    Ok(added)
}

/// [`add_variants`] inside the caller's transaction (the demo seeder builds many products in one).
pub async fn add_variants_in(tx: &mut PgConnection, actor: &Actor, product: Uuid, colour: Uuid, sizes: &[Uuid], now: DateTime<Utc>) -> Result<usize, AppError> {
    if sizes.is_empty() {
        return Err(AppError::field("sizes", "Choose at least one size."));
    }
    let slug: Option<String> = sqlx::query_scalar("select slug from products where id = $1 and deleted_at is null for update").bind(product).fetch_optional(&mut *tx).await?;
    let slug = slug.ok_or_else(|| AppError::NotFound("That product".into()))?;
    let colour_slug: Option<String> = sqlx::query_scalar("select slug from colours where id = $1").bind(colour).fetch_optional(&mut *tx).await?;
    let colour_slug = colour_slug.ok_or_else(|| AppError::field("colour", "Choose a colour from the list."))?;
    let product_colour: Uuid = sqlx::query_scalar(
        "insert into product_colours (product_id, colour_id, sort_order)
         select $1, $2, coalesce(max(sort_order) + 1, 0) from product_colours where product_id = $1
         on conflict (product_id, colour_id) do update set colour_id = excluded.colour_id returning id",
    )
    .bind(product)
    .bind(colour)
    .fetch_one(&mut *tx)
    .await?;
    let added: Vec<String> = sqlx::query_scalar(
        "insert into product_sizes (product_colour_id, size_id, sku, stock)
         select $1, s.id, upper($2 || '-' || $3 || '-' || s.slug), 0 from sizes s where s.id = any($4)
         on conflict (product_colour_id, size_id) do nothing returning sku",
    )
    .bind(product_colour)
    .bind(&slug)
    .bind(&colour_slug)
    .bind(sizes)
    .fetch_all(&mut *tx)
    .await
    .map_err(|err| match &err {
        sqlx::Error::Database(db) if db.constraint() == Some("product_sizes_sku_key") => {
            AppError::field("sizes", "Another product already uses one of these SKUs. Change this product's URL name first.")
        }
        _ => err.into(),
    })?;
    if !added.is_empty() {
        let change = Change {
            action: "add_variants",
            entity_kind: "product",
            entity_id: product.to_string(),
            before: None,
            after: Some(serde_json::json!({ "colour": colour_slug, "skus": added.join(", ") })),
        };
        audit::record(tx, actor, change, now).await?;
    }
    Ok(added.len())
}

/// Sets the stock of a product's colours × sizes (`cells`: size row id → units on hand).
/// A cell cannot go below what unpaid orders hold of it.
pub async fn set_stock(db: &PgPool, actor: &Actor, product: Uuid, cells: &[(Uuid, i32)], now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    set_stock_in(&mut tx, actor, product, cells, now).await?;
    tx.commit().await?;
    Ok(())
}

/// [`set_stock`] inside the caller's transaction (a CSV import sets many products' stock in one).
pub async fn set_stock_in(tx: &mut PgConnection, actor: &Actor, product: Uuid, cells: &[(Uuid, i32)], now: DateTime<Utc>) -> Result<(), AppError> {
    let mut ids: Vec<Uuid> = cells.iter().map(|(id, _)| *id).collect();
    ids.sort();
    let current: Vec<(Uuid, String, i32, i32)> = sqlx::query_as(
        "select ps.id, ps.sku, ps.stock, ps.reserved from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
         where pc.product_id = $1 and ps.id = any($2) order by ps.id for update of ps",
    )
    .bind(product)
    .bind(&ids)
    .fetch_all(&mut *tx)
    .await?;
    if current.len() != cells.len() {
        return Err(AppError::Rejected("Some of those sizes are not this product's. Reload the page and try again.".into()));
    }
    let mut errors = FieldErrors::new();
    let mut before = serde_json::Map::new();
    let mut after = serde_json::Map::new();
    for (id, sku, stock, reserved) in &current {
        let new = cells.iter().find(|(c, _)| c == id).map(|(_, n)| *n).unwrap_or(*stock);
        if !(0..=1_000_000).contains(&new) {
            errors.add(format!("stock-{id}"), "Enter a whole number from 0 to 1,000,000.");
        } else if new < *reserved {
            errors.add(format!("stock-{id}"), format!("Unpaid orders hold {reserved} of these: the stock cannot go below that."));
        } else if new != *stock {
            before.insert(sku.clone(), (*stock).into());
            after.insert(sku.clone(), new.into());
            sqlx::query("update product_sizes set stock = $2 where id = $1").bind(id).bind(new).execute(&mut *tx).await?;
        }
    }
    errors.into_result()?;
    if !after.is_empty() {
        sqlx::query("update products set updated_at = $2 where id = $1").bind(product).bind(now).execute(&mut *tx).await?;
        let change = Change {
            action: "stock",
            entity_kind: "product",
            entity_id: product.to_string(),
            before: Some(before.into()),
            after: Some(after.into()),
        };
        audit::record(tx, actor, change, now).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> ProductFields {
        ProductFields { name: "Linen Shirt".into(), price: "49.00".into(), is_active: true, ..ProductFields::default() }
    }

    #[test]
    fn a_product_needs_a_name_a_price_and_a_sale_below_it() {
        let valid = validate(&fields()).unwrap();
        assert_eq!((valid.slug.as_str(), valid.price_minor, valid.sale_minor), ("linen-shirt", 4900, None));
        let refused = validate(&ProductFields { name: " ".into(), price: "abc".into(), sale_price: "60".into(), slug: "Bad Slug".into(), ..fields() })
            .unwrap_err();
        for field in ["name", "price", "slug"] {
            assert!(refused.field_error(field).is_some(), "{field}: {refused:?}");
        }
        let sale = validate(&ProductFields { sale_price: "49".into(), ..fields() }).unwrap_err();
        assert_eq!(sale.field_error("sale_price").as_deref(), Some("A sale price must be below the price."));
        assert_eq!(validate(&ProductFields { sale_price: "39.5".into(), ..fields() }).unwrap().sale_minor, Some(3950));
    }

    #[test]
    fn percentage_changes_round_to_the_cent_and_never_reach_zero() {
        assert_eq!(changed_price(4900, -1000), Some(4410));
        assert_eq!(changed_price(4999, 1500), Some(5749));
        assert_eq!(changed_price(1, -9000), None);
        assert_eq!(changed_price(100, -9000), Some(10));
    }
}
