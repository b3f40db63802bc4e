//! Staff changes to the catalogue's taxonomy (server only): the category tree, colours,
//! sizes, and the hand-picked showcases (collections and lookbooks). Every change is
//! checked here and written with its audit entry in one transaction; the callers then tell
//! the storefront cache (`CatalogCache::changed`), ahead of the triggers' notification.

use super::types::{
    CategoryEditor, CategoryFields, CategoryRow, ColourRow, PickedProduct, Showcase, ShowcaseEditor, ShowcaseFields, ShowcaseRow, SizeRow,
    Slug, SIZE_KINDS,
};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Actor, Change},
    error::{AppError, FieldErrors},
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

// ---- shared rules ---------------------------------------------------------------------------

/// `ids` (siblings in their order) with `id` swapped with its neighbour above (`up`) or
/// below; `None` when it is not there or already at that end.
pub fn moved(ids: &[Uuid], id: Uuid, up: bool) -> Option<Vec<Uuid>> {
    let at = ids.iter().position(|x| *x == id)?;
    let other = if up { at.checked_sub(1)? } else { Some(at + 1).filter(|n| *n < ids.len())? };
    let mut ids = ids.to_vec();
    ids.swap(at, other);
    Some(ids)
}

/// A required name: trimmed, 1 to `max` characters.
fn name_of(errors: &mut FieldErrors, field: &str, value: &str, what: &str, max: usize) -> String {
    let value = value.trim().to_owned();
    if value.is_empty() {
        errors.add(field, format!("Enter the {what}."));
    } else if value.chars().count() > max {
        errors.add(field, format!("Use at most {max} characters."));
    }
    value
}

/// A URL name as typed, or made from the name when left empty.
fn slug_of(errors: &mut FieldErrors, typed: &str, name: &str) -> Option<Slug> {
    let text = if typed.trim().is_empty() { Slug::from_name(name).map(|s| s.as_str().to_owned()).unwrap_or_default() } else { typed.to_owned() };
    if text.is_empty() && name.trim().is_empty() {
        // The name's own message says what to do.
        return None;
    }
    Slug::parse(&text).map_err(|m| errors.add("slug", m)).ok()
}

/// An optional image address: a path on this site or an http(s) URL.
fn image_of(errors: &mut FieldErrors, value: &str) -> Option<String> {
    let value = value.trim();
    if value.is_empty() {
        return None;
    }
    let ok = (value.starts_with('/') && !value.starts_with("//")) || value.starts_with("https://") || value.starts_with("http://");
    if !ok || value.len() > 500 || value.contains(char::is_whitespace) {
        errors.add("image_url", "Enter an address like /media/autumn.jpg or https://…, at most 500 characters.");
        return None;
    }
    Some(value.to_owned())
}

fn description_of(errors: &mut FieldErrors, value: &str) -> String {
    if value.chars().count() > 5_000 {
        errors.add("description", "Use at most 5,000 characters.");
    }
    value.trim().to_owned()
}

/// A `#rrggbb` colour, lowercased; `#ABC123` is accepted and stored as `#abc123`.
pub fn parse_hex(value: &str) -> Result<String, String> {
    let value = value.trim().to_ascii_lowercase();
    let ok = value.len() == 7 && value.starts_with('#') && value[1..].chars().all(|c| c.is_ascii_hexdigit());
    if ok {
        Ok(value)
    } else {
        Err("Enter a colour as # and six hex digits, like #1e3a8a.".into())
    }
}

fn unique_violation(err: sqlx::Error, constraint: &str, field: &str, message: &str) -> AppError {
    match &err {
        sqlx::Error::Database(db) if db.constraint() == Some(constraint) => AppError::field(field, message),
        _ => err.into(),
    }
}

/// An audit entry for one thing of `kind`.
fn change<'a>(action: &'a str, kind: &'a str, id: Uuid, before: Option<serde_json::Value>, after: Option<serde_json::Value>) -> Change<'a> {
    Change { action, entity_kind: kind, entity_id: id.to_string(), before, after }
}

/// Writes `ids`' order as their `sort_order` (0, 1, 2…) in `table` (keyed by `id`).
pub async fn renumber(conn: &mut PgConnection, table: &'static str, ids: &[Uuid]) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "update {table} t set sort_order = o.n - 1 from unnest($1::uuid[]) with ordinality o(id, n) where t.id = o.id"
    ))
    .bind(ids)
    .execute(conn)
    .await?;
    Ok(())
}

// ---- categories -----------------------------------------------------------------------------

/// Every category in tree order: each parent followed by its children, siblings by their
/// order. (id, parent, name, slug, active, products, children).
type CategoryNode = (Uuid, Option<Uuid>, String, String, bool, i64, i64);

async fn category_nodes(db: &PgPool) -> Result<Vec<CategoryNode>, sqlx::Error> {
    sqlx::query_as(
        "select c.id, c.parent_id, c.name, c.slug, c.is_active,
                (select count(*) from product_categories pc where pc.category_id = c.id),
                (select count(*) from categories k where k.parent_id = c.id)
         from categories c order by c.sort_order, c.name, c.id",
    )
    .fetch_all(db)
    .await
}

/// `nodes` (in sibling order) as the tree reads top to bottom: (node index, depth).
fn tree_order(nodes: &[CategoryNode]) -> Vec<(usize, usize)> {
    fn walk(nodes: &[CategoryNode], parent: Option<Uuid>, depth: usize, out: &mut Vec<(usize, usize)>) {
        // A parent that no longer exists reads as top level (the foreign key sets null,
        // so this only guards against a cycle written by hand).
        for (i, node) in nodes.iter().enumerate().filter(|(_, n)| n.1 == parent) {
            if out.iter().any(|(j, _)| *j == i) || depth > 32 {
                continue;
            }
            out.push((i, depth));
            walk(nodes, Some(node.0), depth + 1, out);
        }
    }
    let mut out = Vec::with_capacity(nodes.len());
    walk(nodes, None, 0, &mut out);
    out
}

/// One page of the tree; a search lists matching categories at their depth.
pub async fn list_categories(db: &PgPool, query: &ListQuery) -> Result<Paged<CategoryRow>, sqlx::Error> {
    let nodes = category_nodes(db).await?;
    let q = query.search().map(str::to_lowercase);
    let rows: Vec<CategoryRow> = tree_order(&nodes)
        .into_iter()
        .map(|(i, depth)| {
            let (id, parent, name, slug, is_active, products, children) = nodes[i].clone();
            let siblings: Vec<Uuid> = nodes.iter().filter(|n| n.1 == parent).map(|n| n.0).collect();
            CategoryRow { id, name, slug, depth, is_active, products, children, first: siblings.first() == Some(&id), last: siblings.last() == Some(&id) }
        })
        .filter(|r| q.as_ref().is_none_or(|q| r.name.to_lowercase().contains(q) || r.slug.contains(q.as_str())))
        .filter(|r| match query.filter("status") {
            Some("active") => r.is_active,
            Some("inactive") => !r.is_active,
            _ => true,
        })
        .collect();
    let total = rows.len() as i64;
    let rows = rows.into_iter().skip(query.offset() as usize).take(PAGE_SIZE as usize).collect();
    Ok(Paged { rows, total })
}

pub async fn category_editor(db: &PgPool, id: Option<Uuid>) -> Result<Option<CategoryEditor>, sqlx::Error> {
    let nodes = category_nodes(db).await?;
    let order = tree_order(&nodes);
    // A category cannot go under itself or anything below it.
    let mut excluded: Vec<Uuid> = id.into_iter().collect();
    loop {
        let more: Vec<Uuid> = nodes.iter().filter(|n| n.1.is_some_and(|p| excluded.contains(&p)) && !excluded.contains(&n.0)).map(|n| n.0).collect();
        if more.is_empty() {
            break;
        }
        excluded.extend(more);
    }
    let parents = order
        .iter()
        .filter(|(i, _)| !excluded.contains(&nodes[*i].0))
        .map(|(i, depth)| (nodes[*i].0, format!("{}{}", "— ".repeat(*depth), nodes[*i].2)))
        .collect();
    let Some(id) = id else {
        return Ok(Some(CategoryEditor { id: None, fields: CategoryFields { is_active: true, ..CategoryFields::default() }, parents, products: 0, children: 0 }));
    };
    let row: Option<(String, String, Option<Uuid>, String, Option<String>, bool)> =
        sqlx::query_as("select name, slug, parent_id, description, image_url, is_active from categories where id = $1").bind(id).fetch_optional(db).await?;
    let Some((name, slug, parent, description, image_url, is_active)) = row else { return Ok(None) };
    let (products, children) = nodes.iter().find(|n| n.0 == id).map_or((0, 0), |n| (n.5, n.6));
    let fields = CategoryFields { name, slug, parent, description, image_url: image_url.unwrap_or_default(), is_active };
    Ok(Some(CategoryEditor { id: Some(id), fields, parents, products, children }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidCategory {
    pub name: String,
    pub slug: Slug,
    pub parent: Option<Uuid>,
    pub description: String,
    pub image_url: Option<String>,
    pub is_active: bool,
}

pub fn validate_category(f: &CategoryFields) -> Result<ValidCategory, AppError> {
    let mut errors = FieldErrors::new();
    let name = name_of(&mut errors, "name", &f.name, "category's name", 80);
    let slug = slug_of(&mut errors, &f.slug, &name);
    let description = description_of(&mut errors, &f.description);
    let image_url = image_of(&mut errors, &f.image_url);
    errors.into_result()?;
    let slug = slug.ok_or_else(|| AppError::field("name", "Enter the category's name."))?;
    Ok(ValidCategory { name, slug, parent: f.parent, description, image_url, is_active: f.is_active })
}

async fn category_snapshot(conn: &mut PgConnection, id: Uuid) -> Result<Option<serde_json::Value>, sqlx::Error> {
    sqlx::query_scalar(
        "select jsonb_build_object('name', c.name, 'slug', c.slug, 'parent', coalesce(p.name, ''), 'description', c.description,
                'image_url', c.image_url, 'is_active', c.is_active, 'position', c.sort_order)
         from categories c left join categories p on p.id = c.parent_id where c.id = $1",
    )
    .bind(id)
    .fetch_optional(conn)
    .await
}

/// Creates (`id` None, placed last among its siblings) or updates a category.
pub async fn save_category(db: &PgPool, actor: &Actor, id: Option<Uuid>, c: &ValidCategory, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let mut tx = db.begin().await?;
    // One tree change at a time, so two moves cannot make a cycle between them.
    sqlx::query("lock table categories in share row exclusive mode").execute(&mut *tx).await?;
    if let Some(parent) = c.parent {
        let cycle: Option<bool> = sqlx::query_scalar(
            "with recursive up(id, parent_id) as (
                 select id, parent_id from categories where id = $1
                 union select c.id, c.parent_id from categories c join up on c.id = up.parent_id)
             select coalesce(bool_or(id = $2), false) from up having count(*) > 0",
        )
        .bind(parent)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        match cycle {
            None => return Err(AppError::field("parent", "Choose a parent from the list.")),
            Some(true) => return Err(AppError::field("parent", "A category cannot go under itself or one of its own subcategories.")),
            Some(false) => {}
        }
    }
    let (id, before, parent_changed) = match id {
        Some(id) => {
            let parent: Option<Option<Uuid>> = sqlx::query_scalar("select parent_id from categories where id = $1 for update").bind(id).fetch_optional(&mut *tx).await?;
            let parent = parent.ok_or_else(|| AppError::NotFound("That category".into()))?;
            (id, category_snapshot(&mut tx, id).await?, parent != c.parent)
        }
        None => (Uuid::now_v7(), None, true),
    };
    sqlx::query(
        "insert into categories (id, parent_id, name, slug, description, image_url, is_active, sort_order, created_at, updated_at)
         values ($1, $2, $3, $4, $5, $6, $7,
                 case when $9 then (select coalesce(max(sort_order) + 1, 0) from categories where parent_id is not distinct from $2)
                      else 0 end, $8, $8)
         on conflict (id) do update set parent_id = excluded.parent_id, name = excluded.name, slug = excluded.slug,
             description = excluded.description, image_url = excluded.image_url, is_active = excluded.is_active,
             sort_order = case when $9 then excluded.sort_order else categories.sort_order end, updated_at = excluded.updated_at",
    )
    .bind(id)
    .bind(c.parent)
    .bind(&c.name)
    .bind(c.slug.as_str())
    .bind(&c.description)
    .bind(&c.image_url)
    .bind(c.is_active)
    .bind(now)
    .bind(parent_changed)
    .execute(&mut *tx)
    .await
    .map_err(|e| unique_violation(e, "categories_slug_key", "slug", "Another category uses this URL name. Choose another."))?;
    let after = category_snapshot(&mut tx, id).await?;
    let action = if before.is_some() { "update" } else { "create" };
    audit::record(&mut tx, actor, change(action, "category", id, before, after), now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn move_category(db: &PgPool, actor: &Actor, id: Uuid, up: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("lock table categories in share row exclusive mode").execute(&mut *tx).await?;
    let parent: Option<Option<Uuid>> = sqlx::query_scalar("select parent_id from categories where id = $1").bind(id).fetch_optional(&mut *tx).await?;
    let parent = parent.ok_or_else(|| AppError::NotFound("That category".into()))?;
    let siblings: Vec<Uuid> =
        sqlx::query_scalar("select id from categories where parent_id is not distinct from $1 order by sort_order, name, id").bind(parent).fetch_all(&mut *tx).await?;
    let Some(order) = moved(&siblings, id, up) else { return Ok(()) };
    let position = |ids: &[Uuid]| ids.iter().position(|x| *x == id).unwrap_or_default();
    renumber(&mut tx, "categories", &order).await?;
    sqlx::query("update categories set updated_at = $2 where id = $1").bind(id).bind(now).execute(&mut *tx).await?;
    let (before, after) = (serde_json::json!({ "position": position(&siblings) + 1 }), serde_json::json!({ "position": position(&order) + 1 }));
    audit::record(&mut tx, actor, change("reorder", "category", id, Some(before), Some(after)), now).await?;
    tx.commit().await?;
    Ok(())
}

/// Deletes a category that nothing uses: products and subcategories are moved elsewhere
/// first, so a delete never silently takes products out of the shop's navigation.
pub async fn delete_category(db: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("lock table categories in share row exclusive mode").execute(&mut *tx).await?;
    let before = category_snapshot(&mut tx, id).await?.ok_or_else(|| AppError::NotFound("That category".into()))?;
    let (products, children): (i64, i64) = sqlx::query_as(
        "select (select count(*) from product_categories where category_id = $1), (select count(*) from categories where parent_id = $1)",
    )
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    if products > 0 || children > 0 {
        return Err(AppError::Conflict(format!(
            "This category still has {products} product(s) and {children} subcategory(ies). Move them to another category first, or make it inactive to hide it."
        )));
    }
    sqlx::query("delete from categories where id = $1").bind(id).execute(&mut *tx).await?;
    audit::record(&mut tx, actor, change("delete", "category", id, Some(before), None), now).await?;
    tx.commit().await?;
    Ok(())
}

// ---- colours and sizes ----------------------------------------------------------------------

pub async fn list_colours(db: &PgPool, query: &ListQuery) -> Result<Paged<ColourRow>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, i64)> = sqlx::query_as(
        "select c.id, c.name, c.slug, c.hex, (select count(distinct product_id) from product_colours pc where pc.colour_id = c.id)
         from colours c where ($1::text is null or c.name ilike '%' || $1 || '%' or c.hex ilike '%' || $1 || '%')
         order by c.sort_order, c.name, c.id",
    )
    .bind(query.search())
    .fetch_all(db)
    .await?;
    let total = rows.len() as i64;
    let rows = rows
        .into_iter()
        .skip(query.offset() as usize)
        .take(PAGE_SIZE as usize)
        .map(|(id, name, slug, hex, products)| ColourRow { id, name, slug, hex, products })
        .collect();
    Ok(Paged { rows, total })
}

/// Creates (`id` None, last in order; its URL name made from the name) or renames a
/// colour. The URL name stays on a rename: SKUs and shoppers' filter links use it.
pub async fn save_colour(db: &PgPool, actor: &Actor, id: Option<Uuid>, name: &str, hex: &str, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let mut errors = FieldErrors::new();
    let name = name_of(&mut errors, "name", name, "colour's name", 40);
    let slug = if name.is_empty() { None } else { Slug::from_name(&name) };
    if !name.is_empty() && slug.is_none() {
        errors.add("name", "Use letters or digits in the name.");
    }
    let hex = parse_hex(hex).map_err(|m| errors.add("hex", m)).ok();
    errors.into_result()?;
    let (Some(slug), Some(hex)) = (slug, hex) else { unreachable!("errors returned above") };
    let mut tx = db.begin().await?;
    let snapshot = "select jsonb_build_object('name', name, 'slug', slug, 'hex', hex) from colours where id = $1";
    let before: Option<serde_json::Value> = match id {
        Some(id) => Some(sqlx::query_scalar(snapshot).bind(id).fetch_optional(&mut *tx).await?.ok_or_else(|| AppError::NotFound("That colour".into()))?),
        None => None,
    };
    let id = match id {
        Some(id) => {
            sqlx::query("update colours set name = $2, hex = $3 where id = $1").bind(id).bind(&name).bind(&hex).execute(&mut *tx).await?;
            id
        }
        None => sqlx::query_scalar(
            "insert into colours (name, slug, hex, sort_order) values ($1, $2, $3, (select coalesce(max(sort_order) + 1, 0) from colours)) returning id",
        )
        .bind(&name)
        .bind(slug.as_str())
        .bind(&hex)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, "colours_slug_key", "name", "Another colour has this name."))?,
    };
    let after: Option<serde_json::Value> = sqlx::query_scalar(snapshot).bind(id).fetch_optional(&mut *tx).await?;
    let action = if before.is_some() { "update" } else { "create" };
    audit::record(&mut tx, actor, change(action, "colour", id, before, after), now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Moves a colour (`table` "colours") or a size (`table` "sizes", among sizes of its kind)
/// one place up or down.
pub async fn move_attribute(db: &PgPool, actor: &Actor, table: Attribute, id: Uuid, up: bool, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let (name, kind) = match table {
        Attribute::Colour => ("colours", "colour"),
        Attribute::Size => ("sizes", "size"),
    };
    sqlx::query(&format!("lock table {name} in share row exclusive mode")).execute(&mut *tx).await?;
    let sql = match table {
        Attribute::Colour => "select id from colours where exists (select 1 from colours where id = $1) order by sort_order, name, id",
        Attribute::Size => "select id from sizes where kind = (select kind from sizes where id = $1) order by sort_order, label, id",
    };
    let siblings: Vec<Uuid> = sqlx::query_scalar(sql).bind(id).fetch_all(&mut *tx).await?;
    if !siblings.contains(&id) {
        return Err(AppError::NotFound(format!("That {kind}")));
    }
    let Some(order) = moved(&siblings, id, up) else { return Ok(()) };
    renumber(&mut tx, name, &order).await?;
    let position = |ids: &[Uuid]| ids.iter().position(|x| *x == id).unwrap_or_default() + 1;
    let (before, after) = (serde_json::json!({ "position": position(&siblings) }), serde_json::json!({ "position": position(&order) }));
    audit::record(&mut tx, actor, change("reorder", kind, id, Some(before), Some(after)), now).await?;
    tx.commit().await?;
    Ok(())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Colour,
    Size,
}

/// Deletes a colour or size no product uses (stock rows refer to them: the products keep
/// their history, so the refusal names how many use it).
pub async fn delete_attribute(db: &PgPool, actor: &Actor, table: Attribute, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let (snapshot, used, kind) = match table {
        Attribute::Colour => (
            "select jsonb_build_object('name', name, 'slug', slug, 'hex', hex) from colours where id = $1 for update",
            "select count(distinct product_id) from product_colours where colour_id = $1",
            "colour",
        ),
        Attribute::Size => (
            "select jsonb_build_object('label', label, 'slug', slug, 'kind', kind) from sizes where id = $1 for update",
            "select count(distinct pc.product_id) from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id where ps.size_id = $1",
            "size",
        ),
    };
    let before: Option<serde_json::Value> = sqlx::query_scalar(snapshot).bind(id).fetch_optional(&mut *tx).await?;
    let before = before.ok_or_else(|| AppError::NotFound(format!("That {kind}")))?;
    let products: i64 = sqlx::query_scalar(used).bind(id).fetch_one(&mut *tx).await?;
    if products > 0 {
        return Err(AppError::Conflict(format!("{products} product(s) use this {kind}. Remove it from them first; it cannot be deleted while in use.")));
    }
    let table_name = if table == Attribute::Colour { "colours" } else { "sizes" };
    sqlx::query(&format!("delete from {table_name} where id = $1")).bind(id).execute(&mut *tx).await?;
    audit::record(&mut tx, actor, change("delete", kind, id, Some(before), None), now).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn list_sizes(db: &PgPool, query: &ListQuery) -> Result<Paged<SizeRow>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, String, i64)> = sqlx::query_as(
        "select s.id, s.label, s.slug, s.kind,
                (select count(distinct pc.product_id) from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id where ps.size_id = s.id)
         from sizes s order by array_position(array['apparel', 'footwear', 'capacity', 'edition', 'one_size'], s.kind), s.sort_order, s.label, s.id",
    )
    .fetch_all(db)
    .await?;
    let kind_of: Vec<String> = rows.iter().map(|r| r.3.clone()).collect();
    let q = query.search().map(str::to_lowercase);
    let kind_filter = query.filter("kind");
    let rows: Vec<SizeRow> = rows
        .iter()
        .enumerate()
        .map(|(i, (id, label, slug, kind, products))| SizeRow {
            id: *id,
            label: label.clone(),
            slug: slug.clone(),
            kind: kind.clone(),
            products: *products,
            first: i == 0 || kind_of[i - 1] != *kind,
            last: kind_of.get(i + 1) != Some(kind),
        })
        .filter(|r| q.as_ref().is_none_or(|q| r.label.to_lowercase().contains(q)))
        .filter(|r| kind_filter.is_none_or(|k| r.kind == k))
        .collect();
    let total = rows.len() as i64;
    Ok(Paged { rows: rows.into_iter().skip(query.offset() as usize).take(PAGE_SIZE as usize).collect(), total })
}

/// Creates (`id` None, last of its kind) or relabels a size; its URL name is made from the
/// label at creation and kept after (SKUs use it).
pub async fn save_size(db: &PgPool, actor: &Actor, id: Option<Uuid>, label: &str, kind: &str, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let mut errors = FieldErrors::new();
    let label = name_of(&mut errors, "label", label, "size's label", 30);
    let slug = if label.is_empty() { None } else { Slug::from_name(&label) };
    if !label.is_empty() && slug.is_none() {
        errors.add("label", "Use letters or digits in the label.");
    }
    if !SIZE_KINDS.iter().any(|(k, _)| *k == kind) {
        errors.add("kind", "Choose what the size is of.");
    }
    errors.into_result()?;
    let Some(slug) = slug else { unreachable!("errors returned above") };
    let mut tx = db.begin().await?;
    sqlx::query("lock table sizes in share row exclusive mode").execute(&mut *tx).await?;
    let snapshot = "select jsonb_build_object('label', label, 'slug', slug, 'kind', kind) from sizes where id = $1";
    let before: Option<serde_json::Value> = match id {
        Some(id) => Some(sqlx::query_scalar(snapshot).bind(id).fetch_optional(&mut *tx).await?.ok_or_else(|| AppError::NotFound("That size".into()))?),
        None => None,
    };
    let id = match id {
        // A size changing kind goes last among its new kind.
        Some(id) => {
            sqlx::query(
                "update sizes set label = $2, sort_order = case when kind = $3 then sort_order
                     else (select coalesce(max(sort_order) + 1, 0) from sizes where kind = $3) end, kind = $3 where id = $1",
            )
            .bind(id)
            .bind(&label)
            .bind(kind)
            .execute(&mut *tx)
            .await?;
            id
        }
        None => sqlx::query_scalar(
            "insert into sizes (label, slug, kind, sort_order) values ($1, $2, $3, (select coalesce(max(sort_order) + 1, 0) from sizes where kind = $3)) returning id",
        )
        .bind(&label)
        .bind(slug.as_str())
        .bind(kind)
        .fetch_one(&mut *tx)
        .await
        .map_err(|e| unique_violation(e, "sizes_slug_key", "label", "Another size has this label."))?,
    };
    let after: Option<serde_json::Value> = sqlx::query_scalar(snapshot).bind(id).fetch_optional(&mut *tx).await?;
    let action = if before.is_some() { "update" } else { "create" };
    audit::record(&mut tx, actor, change(action, "size", id, before, after), now).await?;
    tx.commit().await?;
    Ok(id)
}

// ---- collections and lookbooks --------------------------------------------------------------

/// The SQL names of a showcase: its table, its title column, its image column, its flag,
/// and the table of its products with the owner column.
struct Tables {
    table: &'static str,
    name: &'static str,
    image: &'static str,
    /// An expression over the row for "featured" / "published".
    flag: &'static str,
    items: &'static str,
    owner: &'static str,
}

fn tables(kind: Showcase) -> Tables {
    match kind {
        Showcase::Collection => Tables {
            table: "collections",
            name: "name",
            image: "image_url",
            flag: "is_featured",
            items: "collection_products",
            owner: "collection_id",
        },
        Showcase::Lookbook => Tables {
            table: "lookbooks",
            name: "title",
            image: "cover_image_url",
            flag: "published_at is not null",
            items: "lookbook_items",
            owner: "lookbook_id",
        },
    }
}

/// (id, name) of every collection, for the product list's bulk action.
pub async fn collection_names(db: &PgPool) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as("select id, name from collections order by sort_order, name").fetch_all(db).await
}

pub async fn list_showcases(db: &PgPool, kind: Showcase, query: &ListQuery) -> Result<Paged<ShowcaseRow>, sqlx::Error> {
    let t = tables(kind);
    let (sort, desc) = query.sort_of(&["name", "products"], ("name", false));
    let order = match sort {
        "products" => "products",
        _ => "name",
    };
    let direction = if desc { "desc" } else { "asc" };
    let filter = format!(
        "($1::text is null or s.{name} ilike '%' || $1 || '%' or s.slug ilike '%' || $1 || '%')
         and (case $2::text when 'active' then s.is_active when 'inactive' then not s.is_active else true end)",
        name = t.name
    );
    let rows: Vec<(Uuid, String, String, bool, bool, i64)> = sqlx::query_as(&format!(
        "select s.id, s.{name} as name, s.slug, s.is_active, s.{flag}, (select count(*) from {items} i where i.{owner} = s.id) as products
         from {table} s where {filter} order by {order} {direction}, s.id limit $3 offset $4",
        name = t.name,
        flag = t.flag,
        items = t.items,
        owner = t.owner,
        table = t.table,
    ))
    .bind(query.search())
    .bind(query.filter("status"))
    .bind(PAGE_SIZE)
    .bind(query.offset())
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from {} s where {filter}", t.table))
        .bind(query.search())
        .bind(query.filter("status"))
        .fetch_one(db)
        .await?;
    let rows = rows.into_iter().map(|(id, name, slug, is_active, flag, products)| ShowcaseRow { id, name, slug, is_active, flag, products }).collect();
    Ok(Paged { rows, total })
}

async fn picked(db: &PgPool, t: &Tables, id: Uuid) -> Result<Vec<PickedProduct>, sqlx::Error> {
    let rows: Vec<(Uuid, String, String, bool)> = sqlx::query_as(&format!(
        "select p.id, p.name, p.slug, p.is_live from {items} i join products p on p.id = i.product_id
         where i.{owner} = $1 order by i.sort_order, p.name, p.id",
        items = t.items,
        owner = t.owner
    ))
    .bind(id)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(id, name, slug, is_live)| PickedProduct { id, name, slug, is_live }).collect())
}

/// The editor of a showcase (`None` when there is none), or a blank one; `search` lists up
/// to 20 products not yet in it.
pub async fn showcase_editor(db: &PgPool, kind: Showcase, id: Option<Uuid>, search: Option<&str>) -> Result<Option<ShowcaseEditor>, sqlx::Error> {
    let t = tables(kind);
    let Some(id) = id else {
        let fields = ShowcaseFields { is_active: true, ..ShowcaseFields::default() };
        return Ok(Some(ShowcaseEditor { kind, id: None, fields, picked: Vec::new(), found: Vec::new() }));
    };
    let row: Option<(String, String, String, Option<String>, bool, bool)> = sqlx::query_as(&format!(
        "select {name}, slug, description, {image}, is_active, {flag} from {table} where id = $1",
        name = t.name,
        image = t.image,
        flag = t.flag,
        table = t.table
    ))
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some((name, slug, description, image_url, is_active, flag)) = row else { return Ok(None) };
    let picked = picked(db, &t, id).await?;
    let found = match search.map(str::trim).filter(|q| !q.is_empty()) {
        None => Vec::new(),
        Some(q) => {
            let rows: Vec<(Uuid, String, String, bool)> = sqlx::query_as(&format!(
                "select p.id, p.name, p.slug, p.is_live from products p
                 where p.deleted_at is null and (p.name ilike '%' || $2 || '%' or p.slug ilike '%' || $2 || '%')
                   and not exists (select 1 from {items} i where i.{owner} = $1 and i.product_id = p.id)
                 order by p.name, p.id limit 20",
                items = t.items,
                owner = t.owner
            ))
            .bind(id)
            .bind(q)
            .fetch_all(db)
            .await?;
            rows.into_iter().map(|(id, name, slug, is_live)| PickedProduct { id, name, slug, is_live }).collect()
        }
    };
    let fields = ShowcaseFields { name, slug, description, image_url: image_url.unwrap_or_default(), is_active, flag };
    Ok(Some(ShowcaseEditor { kind, id: Some(id), fields, picked, found }))
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidShowcase {
    pub name: String,
    pub slug: Slug,
    pub description: String,
    pub image_url: Option<String>,
    pub is_active: bool,
    pub flag: bool,
}

pub fn validate_showcase(f: &ShowcaseFields) -> Result<ValidShowcase, AppError> {
    let mut errors = FieldErrors::new();
    let name = name_of(&mut errors, "name", &f.name, "name", 120);
    let slug = slug_of(&mut errors, &f.slug, &name);
    let description = description_of(&mut errors, &f.description);
    let image_url = image_of(&mut errors, &f.image_url);
    errors.into_result()?;
    let slug = slug.ok_or_else(|| AppError::field("name", "Enter the name."))?;
    Ok(ValidShowcase { name, slug, description, image_url, is_active: f.is_active, flag: f.flag })
}

async fn showcase_snapshot(conn: &mut PgConnection, t: &Tables, id: Uuid) -> Result<Option<serde_json::Value>, sqlx::Error> {
    let flag_name = if t.table == "collections" { "is_featured" } else { "published" };
    sqlx::query_scalar(&format!(
        "select jsonb_build_object('name', s.{name}, 'slug', s.slug, 'description', s.description, 'image_url', s.{image},
                'is_active', s.is_active, '{flag_name}', s.{flag},
                'products', coalesce((select string_agg(p.slug, ', ' order by i.sort_order, p.name) from {items} i
                                      join products p on p.id = i.product_id where i.{owner} = s.id), ''))
         from {table} s where s.id = $1",
        name = t.name,
        image = t.image,
        flag = t.flag,
        items = t.items,
        owner = t.owner,
        table = t.table
    ))
    .bind(id)
    .fetch_optional(conn)
    .await
}

pub async fn save_showcase(db: &PgPool, actor: &Actor, kind: Showcase, id: Option<Uuid>, s: &ValidShowcase, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let t = tables(kind);
    let mut tx = db.begin().await?;
    let before = match id {
        Some(id) => {
            sqlx::query(&format!("select 1 from {} where id = $1 for update", t.table)).bind(id).fetch_optional(&mut *tx).await?;
            Some(showcase_snapshot(&mut tx, &t, id).await?.ok_or_else(|| AppError::NotFound(format!("That {}", kind.as_str())))?)
        }
        None => None,
    };
    let id = id.unwrap_or_else(Uuid::now_v7);
    let result = match kind {
        Showcase::Collection => sqlx::query(
            "insert into collections (id, name, slug, description, image_url, is_active, is_featured, sort_order, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, $7, (select coalesce(max(sort_order) + 1, 0) from collections), $8, $8)
             on conflict (id) do update set name = excluded.name, slug = excluded.slug, description = excluded.description,
                 image_url = excluded.image_url, is_active = excluded.is_active, is_featured = excluded.is_featured, updated_at = excluded.updated_at",
        ),
        // Published keeps its first publication date; unpublishing clears it.
        Showcase::Lookbook => sqlx::query(
            "insert into lookbooks (id, title, slug, description, cover_image_url, is_active, published_at, created_at, updated_at)
             values ($1, $2, $3, $4, $5, $6, case when $7 then $8 end, $8, $8)
             on conflict (id) do update set title = excluded.title, slug = excluded.slug, description = excluded.description,
                 cover_image_url = excluded.cover_image_url, is_active = excluded.is_active,
                 published_at = case when $7 then coalesce(lookbooks.published_at, $8) end, updated_at = excluded.updated_at",
        ),
    }
    .bind(id)
    .bind(&s.name)
    .bind(s.slug.as_str())
    .bind(&s.description)
    .bind(&s.image_url)
    .bind(s.is_active)
    .bind(s.flag)
    .bind(now)
    .execute(&mut *tx)
    .await;
    let constraint = format!("{}_slug_key", t.table);
    result.map_err(|e| unique_violation(e, &constraint, "slug", &format!("Another {} uses this URL name. Choose another.", kind.as_str())))?;
    let after = showcase_snapshot(&mut tx, &t, id).await?;
    let action = if before.is_some() { "update" } else { "create" };
    audit::record(&mut tx, actor, change(action, kind.as_str(), id, before, after), now).await?;
    tx.commit().await?;
    Ok(id)
}

pub async fn delete_showcase(db: &PgPool, actor: &Actor, kind: Showcase, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let t = tables(kind);
    let mut tx = db.begin().await?;
    let before = showcase_snapshot(&mut tx, &t, id).await?.ok_or_else(|| AppError::NotFound(format!("That {}", kind.as_str())))?;
    // Its product list goes with it (the products themselves stay).
    sqlx::query(&format!("delete from {} where id = $1", t.table)).bind(id).execute(&mut *tx).await?;
    audit::record(&mut tx, actor, change("delete", kind.as_str(), id, Some(before), None), now).await?;
    tx.commit().await?;
    Ok(())
}

/// What a staff member does to a showcase's product list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    Add,
    Remove,
    Up,
    Down,
}

/// Adds (last), removes or moves one product in a showcase's list.
pub async fn pick(db: &PgPool, actor: &Actor, kind: Showcase, id: Uuid, product: Uuid, op: Pick, now: DateTime<Utc>) -> Result<(), AppError> {
    let t = tables(kind);
    let mut tx = db.begin().await?;
    // Locks the showcase, so two staff editing its list take turns.
    let exists: Option<i32> = sqlx::query_scalar(&format!("select 1 from {} where id = $1 for update", t.table)).bind(id).fetch_optional(&mut *tx).await?;
    if exists.is_none() {
        return Err(AppError::NotFound(format!("That {}", kind.as_str())));
    }
    let current: Vec<Uuid> = sqlx::query_scalar(&format!(
        "select i.product_id from {items} i join products p on p.id = i.product_id where i.{owner} = $1 order by i.sort_order, p.name, p.id",
        items = t.items,
        owner = t.owner
    ))
    .bind(id)
    .fetch_all(&mut *tx)
    .await?;
    let slugs = |ids: &[Uuid]| ids.iter().map(Uuid::to_string).collect::<Vec<_>>().join(", ");
    let next: Vec<Uuid> = match op {
        Pick::Add => {
            let live: Option<bool> = sqlx::query_scalar("select true from products where id = $1 and deleted_at is null").bind(product).fetch_optional(&mut *tx).await?;
            if live.is_none() {
                return Err(AppError::field("product", "Choose a product from the search results."));
            }
            if current.contains(&product) {
                return Ok(());
            }
            sqlx::query(&format!(
                "insert into {items} ({owner}, product_id, sort_order) values ($1, $2, (select coalesce(max(sort_order) + 1, 0) from {items} where {owner} = $1))",
                items = t.items,
                owner = t.owner
            ))
            .bind(id)
            .bind(product)
            .execute(&mut *tx)
            .await?;
            current.iter().copied().chain([product]).collect()
        }
        Pick::Remove => {
            if !current.contains(&product) {
                return Ok(());
            }
            sqlx::query(&format!("delete from {} where {} = $1 and product_id = $2", t.items, t.owner)).bind(id).bind(product).execute(&mut *tx).await?;
            current.iter().copied().filter(|p| *p != product).collect()
        }
        Pick::Up | Pick::Down => {
            let Some(order) = moved(&current, product, op == Pick::Up) else { return Ok(()) };
            sqlx::query(&format!(
                "update {items} i set sort_order = o.n - 1 from unnest($2::uuid[]) with ordinality o(id, n) where i.{owner} = $1 and i.product_id = o.id",
                items = t.items,
                owner = t.owner
            ))
            .bind(id)
            .bind(&order)
            .execute(&mut *tx)
            .await?;
            order
        }
    };
    sqlx::query(&format!("update {} set updated_at = $2 where id = $1", t.table)).bind(id).bind(now).execute(&mut *tx).await?;
    let action = match op {
        Pick::Add => "add_product",
        Pick::Remove => "remove_product",
        Pick::Up | Pick::Down => "reorder_products",
    };
    let (before, after) = (serde_json::json!({ "products": slugs(&current) }), serde_json::json!({ "products": slugs(&next) }));
    audit::record(&mut tx, actor, change(action, kind.as_str(), id, Some(before), Some(after)), now).await?;
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moving_swaps_with_the_neighbour_and_stops_at_the_ends() {
        let ids: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
        assert_eq!(moved(&ids, ids[1], true), Some(vec![ids[1], ids[0], ids[2]]));
        assert_eq!(moved(&ids, ids[1], false), Some(vec![ids[0], ids[2], ids[1]]));
        assert_eq!(moved(&ids, ids[0], true), None);
        assert_eq!(moved(&ids, ids[2], false), None);
        assert_eq!(moved(&ids, Uuid::now_v7(), true), None);
    }

    #[test]
    fn colours_are_six_hex_digits() {
        assert_eq!(parse_hex(" #1E3A8A ").unwrap(), "#1e3a8a");
        for bad in ["1e3a8a", "#1e3a8", "#1e3a8g", "#1e3a8a0", "", "red"] {
            assert!(parse_hex(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_category_needs_a_name_and_gets_a_url_name_from_it() {
        let valid = validate_category(&CategoryFields { name: " Rain Jackets ".into(), ..CategoryFields::default() }).unwrap();
        assert_eq!((valid.name.as_str(), valid.slug.as_str()), ("Rain Jackets", "rain-jackets"));
        let refused = validate_category(&CategoryFields { name: "".into(), image_url: "javascript:alert(1)".into(), ..CategoryFields::default() }).unwrap_err();
        assert!(refused.field_error("name").is_some() && refused.field_error("image_url").is_some(), "{refused:?}");
        assert!(refused.field_error("slug").is_none(), "one message, on the name");
    }
}
