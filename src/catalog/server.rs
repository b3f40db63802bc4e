//! Catalogue queries. Listing queries fetch exactly the columns a card shows, in one
//! round trip per list (images and swatches come from lateral joins, not per-row queries).

use super::types::{rating_avg_x10, CategoryLink, CollectionTile, ProductCard, Swatch};
use crate::money::Money;
use sqlx::PgPool;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub(crate) struct CardRow {
    id: Uuid,
    slug: String,
    name: String,
    currency: String,
    price_minor: i64,
    price_override_minor: Option<i64>,
    rating_count: i32,
    rating_sum: i32,
    image_url: Option<String>,
    image_alt: Option<String>,
    image_widths: Option<Vec<i32>>,
    swatch_names: Vec<String>,
    swatch_hexes: Vec<String>,
}

impl From<CardRow> for ProductCard {
    fn from(row: CardRow) -> Self {
        let (price, compare_at) = match row.price_override_minor {
            Some(sale) => (Money::new(sale, &row.currency), Some(Money::new(row.price_minor, &row.currency))),
            None => (Money::new(row.price_minor, &row.currency), None),
        };
        Self {
            id: row.id,
            image_alt: row.image_alt.unwrap_or_else(|| row.name.clone()),
            slug: row.slug,
            name: row.name,
            price,
            compare_at,
            image_url: row.image_url,
            image_widths: row.image_widths.unwrap_or_default(),
            rating_avg_x10: rating_avg_x10(row.rating_sum, row.rating_count),
            rating_count: row.rating_count,
            swatches: row
                .swatch_names
                .into_iter()
                .zip(row.swatch_hexes)
                .map(|(name, hex)| Swatch { name, hex })
                .collect(),
        }
    }
}

/// The card columns for products `p`; callers add FROM/WHERE/ORDER.
pub(crate) const CARD_SELECT: &str = r#"
    select p.id, p.slug, p.name, p.currency, p.price_minor, p.price_override_minor,
           p.rating_count, p.rating_sum,
           img.url as image_url, img.alt_text as image_alt, img.widths as image_widths,
           coalesce(sw.names, '{}') as swatch_names, coalesce(sw.hexes, '{}') as swatch_hexes
    from products p
    left join lateral (
        select i.url, i.alt_text, i.widths
        from product_colours pc
        join product_colour_images i on i.product_colour_id = pc.id and i.is_primary
        where pc.product_id = p.id
        order by pc.sort_order
        limit 1
    ) img on true
    left join lateral (
        select array_agg(c.name order by pc.sort_order) as names,
               array_agg(c.hex order by pc.sort_order) as hexes
        from product_colours pc
        join colours c on c.id = pc.colour_id
        where pc.product_id = p.id
    ) sw on true
"#;

#[tracing::instrument(skip(db))]
pub async fn new_arrivals(db: &PgPool, limit: i64, offset: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let sql = format!(
        "{CARD_SELECT} where p.is_live \
         order by p.created_at desc, p.id desc limit $1 offset $2"
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(limit).bind(offset).fetch_all(db).await?;
    Ok(rows.into_iter().map(ProductCard::from).collect())
}

#[tracing::instrument(skip(db))]
pub async fn nav_categories(db: &PgPool) -> Result<Vec<CategoryLink>, sqlx::Error> {
    sqlx::query_as::<_, (String, String)>(
        "select name, slug from categories where is_active and parent_id is null order by sort_order, name",
    )
    .fetch_all(db)
    .await
    .map(|rows| rows.into_iter().map(|(name, slug)| CategoryLink { name, slug }).collect())
}

/// The top-level categories of the header and the home page, through the cache.
pub async fn cached_categories(cache: &super::cache::CatalogCache, db: &PgPool) -> Result<std::sync::Arc<Vec<CategoryLink>>, AppError> {
    cache.read(String::new(), || async { Ok(nav_categories(db).await?) }).await
}

/// A path of the sitemap with when it last changed.
pub type SitemapEntry = (String, chrono::DateTime<chrono::Utc>);

pub async fn live_product_count(db: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from products where is_live").fetch_one(db).await
}

/// Live product pages `offset..offset + limit`, walked in id order (the index orders the
/// walk, so late sitemap files cost the same as early ones).
pub async fn sitemap_products(db: &PgPool, offset: i64, limit: i64) -> Result<Vec<SitemapEntry>, sqlx::Error> {
    sqlx::query_as("select '/p/' || slug, updated_at from products where is_live order by id offset $1 limit $2")
        .bind(offset)
        .bind(limit)
        .fetch_all(db)
        .await
}

/// Active categories, collections and published lookbooks.
pub async fn sitemap_pages(db: &PgPool) -> Result<Vec<SitemapEntry>, sqlx::Error> {
    sqlx::query_as(
        "select '/c/' || slug, updated_at from categories where is_active
         union all select '/collections/' || slug, updated_at from collections where is_active
         union all select '/lookbooks/' || slug, updated_at from lookbooks where is_active and published_at <= now()",
    )
    .fetch_all(db)
    .await
}

#[tracing::instrument(skip(db))]
pub async fn featured_collections(db: &PgPool) -> Result<Vec<CollectionTile>, sqlx::Error> {
    sqlx::query_as::<_, (String, String, String, Option<String>)>(
        "select name, slug, description, image_url from collections
         where is_active and is_featured order by sort_order, name limit 3",
    )
    .fetch_all(db)
    .await
    .map(|rows| {
        rows.into_iter()
            .map(|(name, slug, description, image_url)| CollectionTile { name, slug, description, image_url })
            .collect()
    })
}

// ---- listings: category, collection and search pages --------------------------------------

use super::facets::{Entry, ScopeIndex, Value, Variant};
use super::types::{Facets, Filters, Listing, Scope, Sort, Suggestion};
use crate::error::AppError;
use sqlx::{Postgres, QueryBuilder};

/// A listing scope resolved to ids.
enum Resolved {
    Category(Uuid),
    Collection(Uuid),
    Search { q: String, mode: SearchMode },
}

/// How a search query matches products (see `search_mode`).
enum SearchMode {
    /// Full text on the query as typed (quotes, `or` and `-word` work).
    Words,
    /// Full text with each word or a catalogue word one typo away from it: a tsquery such as
    /// `(costal | coastal) & hoodie`, made only of lowercase letters and operators.
    Corrected(String),
    /// Trigram similarity to the name: partial words while typing ("hood").
    Trigram,
}

/// The tsquery of a full-text mode.
fn push_tsquery(qb: &mut QueryBuilder<'_, Postgres>, q: &str, mode: &SearchMode) {
    match mode {
        SearchMode::Corrected(tsquery) => qb.push("to_tsquery('english', ").push_bind(tsquery.clone()).push(")"),
        _ => qb.push("websearch_to_tsquery('english', ").push_bind(q.to_owned()).push(")"),
    };
}

/// Appends the WHERE clause for live products `p` in the scope.
fn push_where(qb: &mut QueryBuilder<'_, Postgres>, scope: &Resolved) {
    qb.push(" where p.is_live");
    match scope {
        Resolved::Category(id) => {
            qb.push(" and exists (select 1 from product_categories pc where pc.product_id = p.id and pc.category_id = ");
            qb.push_bind(*id).push(")");
        }
        Resolved::Collection(id) => {
            qb.push(" and exists (select 1 from collection_products cp where cp.product_id = p.id and cp.collection_id = ");
            qb.push_bind(*id).push(")");
        }
        Resolved::Search { q, mode: SearchMode::Trigram } => {
            qb.push(" and ").push_bind(q.clone()).push(" <% p.name");
        }
        Resolved::Search { q, mode } => {
            qb.push(" and p.search_document @@ ");
            push_tsquery(qb, q, mode);
        }
    }
}

/// Most relevant first: name similarity while typing, else the full-text rank.
fn push_relevance_order(qb: &mut QueryBuilder<'_, Postgres>, scope: &Resolved) {
    match scope {
        Resolved::Search { q, mode: SearchMode::Trigram } => {
            qb.push(" order by word_similarity(").push_bind(q.clone()).push(", p.name) desc, p.id");
        }
        Resolved::Search { q, mode } => {
            // Name matches (weight A) outrank brand (B) and description (C).
            qb.push(" order by ts_rank(p.search_document, ");
            push_tsquery(qb, q, mode);
            qb.push(") desc, p.id");
        }
        _ => {
            qb.push(" order by p.created_at desc, p.id desc");
        }
    }
}

/// Whole-word full-text search when anything matches that way (fast, on the GIN index);
/// else the same with typos corrected against the catalogue's words (`search_words`: one
/// letter dropped, added, changed or two swapped, in words of four letters or more); else
/// trigram similarity to names, which finds partial words as they are typed.
async fn search_mode(db: &PgPool, q: &str) -> Result<Resolved, sqlx::Error> {
    let resolved = |mode| Resolved::Search { q: q.to_owned(), mode };
    if any_match(db, "websearch_to_tsquery('english', $1)", q).await? {
        return Ok(resolved(SearchMode::Words));
    }
    if let Some(tsquery) = corrected_tsquery(db, q).await? {
        if any_match(db, "to_tsquery('english', $1)", &tsquery).await? {
            return Ok(resolved(SearchMode::Corrected(tsquery)));
        }
    }
    Ok(resolved(SearchMode::Trigram))
}

async fn any_match(db: &PgPool, tsquery_sql: &str, arg: &str) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(&format!(
        "select exists(select 1 from products where search_document @@ {tsquery_sql} and is_live)"
    ))
    .bind(arg)
    .fetch_one(db)
    .await
}

/// `(word | near | …) & …` for the words of `q`, or `None` when no word has a near
/// catalogue word. Levenshtein (≤ 2, fuzzystrmatch) narrows the word list in PostgreSQL;
/// `one_edit_apart` keeps the single drops, additions, changes and swaps.
async fn corrected_tsquery(db: &PgPool, q: &str) -> Result<Option<String>, sqlx::Error> {
    let words = super::types::query_words(q);
    let long: Vec<String> = words.iter().filter(|w| w.chars().count() >= 4).cloned().collect();
    if long.is_empty() {
        return Ok(None);
    }
    let near: Vec<(String, String)> = sqlx::query_as(
        "select t.word, w.word from unnest($1::text[]) t(word)
         join search_words w on length(w.word) between length(t.word) - 1 and length(t.word) + 1
                            and w.word <> t.word and levenshtein_less_equal(t.word, w.word, 2) <= 2",
    )
    .bind(&long)
    .fetch_all(db)
    .await?;
    let mut corrected = false;
    let groups: Vec<String> = words
        .iter()
        .map(|word| {
            let mut alternatives = vec![word.clone()];
            for (_, candidate) in near.iter().filter(|(w, c)| w == word && super::types::one_edit_apart(w, c)) {
                alternatives.push(candidate.clone());
                corrected = true;
            }
            format!("({})", alternatives.join(" | "))
        })
        .collect();
    Ok(corrected.then(|| groups.join(" & ")))
}

/// An active category or collection by slug: id, name, description.
async fn named(db: &PgPool, table: &'static str, what: &str, slug: &str) -> Result<(Uuid, String, String), AppError> {
    let row: Option<(Uuid, String, String)> =
        sqlx::query_as(&format!("select id, name, description from {table} where slug = $1 and is_active"))
            .bind(slug)
            .fetch_optional(db)
            .await?;
    row.ok_or_else(|| AppError::NotFound(format!("This {what}")))
}

async fn resolve(db: &PgPool, scope: &Scope) -> Result<(Resolved, String, String, String), AppError> {
    match scope {
        Scope::Category(slug) => {
            let (id, name, description) = named(db, "categories", "category", slug).await?;
            Ok((Resolved::Category(id), name, description, format!("/c/{slug}")))
        }
        Scope::Collection(slug) => {
            let (id, name, description) = named(db, "collections", "collection", slug).await?;
            Ok((Resolved::Collection(id), name, description, format!("/collections/{slug}")))
        }
        Scope::Search(q) => Ok((
            search_mode(db, q).await?,
            format!("Search results for “{q}”"),
            format!("Products matching “{q}” at Larkspur."),
            "/search".to_owned(),
        )),
    }
}

/// A whole listing page: products, total and facet counts. The scope's products are read
/// once per catalogue change (`load_scope`, kept in the cache); filters, sort, page and
/// facet counts are worked out from them in memory, and only the page's 24 cards are read
/// from PostgreSQL.
#[tracing::instrument(skip(db, cache, site_url))]
pub async fn listing(
    db: &PgPool,
    cache: &super::cache::CatalogCache,
    site_url: &str,
    scope: Scope,
    filters: Filters,
    default_sort: Sort,
) -> Result<Listing, AppError> {
    if matches!(&scope, Scope::Search(q) if q.is_empty()) {
        return Ok(Listing {
            title: "Search".into(),
            description: "Products matching “” at Larkspur.".into(),
            canonical_url: format!("{site_url}/search"),
            path: "/search".into(),
            filters,
            default_sort,
            total: 0,
            products: Vec::new(),
            facets: Facets { colours: Vec::new(), sizes: Vec::new(), in_stock_count: 0, price_bounds: None },
            saved: None,
        });
    }
    let index = cache.read(scope_key(&scope), || load_scope(db, &scope)).await?;
    let page = super::facets::page(&index, &filters);
    let products = cards_by_ids(db, &page.ids).await?;
    Ok(Listing {
        title: index.title.clone(),
        description: index.description.clone(),
        canonical_url: format!("{site_url}{}", index.path),
        path: index.path.clone(),
        filters,
        default_sort,
        total: page.total,
        products,
        facets: page.facets,
        saved: None,
    })
}

/// What identifies a listing page in the cache: its scope and its filters in a fixed order
/// (ticking red then blue lists what ticking blue then red does).
pub fn listing_key(scope: &Scope, filters: &Filters, default_sort: Sort) -> String {
    let mut f = filters.clone();
    f.colours.sort();
    f.colours.dedup();
    f.sizes.sort();
    f.sizes.dedup();
    // The default sort leaves the query string; the key names the sort either way.
    format!("{}|{}|{}|{}", scope_key(scope), default_sort.slug(), f.sort.slug(), f.to_query(f.sort))
}

/// What identifies a scope in the cache. A search is keyed as typed: its title repeats it.
fn scope_key(scope: &Scope) -> String {
    match scope {
        Scope::Category(slug) => format!("c/{slug}"),
        Scope::Collection(slug) => format!("k/{slug}"),
        Scope::Search(q) => format!("q/{q}"),
    }
}

/// At most this many scopes are read at once per instance: a burst of first searches then
/// queues instead of holding many large reads in memory and PostgreSQL at the same time.
static SCOPE_READS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(4);

/// Every live product of the scope with what filtering, sorting and facet counts need: one
/// query (colours and sizes aside), whatever the filters. Variants come as positions in the
/// colour and size lists, numbered in PostgreSQL in the lists' own order.
async fn load_scope(db: &PgPool, scope: &Scope) -> Result<ScopeIndex, AppError> {
    let _turn = SCOPE_READS.acquire().await.map_err(|_| AppError::Unavailable)?;
    let (resolved, title, description, path) = resolve(db, scope).await?;
    const COLOURS: &str = "select id, slug, name, hex, (row_number() over (order by sort_order, name, id) - 1)::int as n from colours";
    const SIZES: &str = "select id, slug, label, (row_number() over (order by sort_order, label, id) - 1)::int as n from sizes";
    let (colours_sql, sizes_sql) = (format!("select slug, name, hex from ({COLOURS}) c order by n"), format!("select slug, label from ({SIZES}) z order by n"));
    let colours = sqlx::query_as::<_, (String, String, String)>(&colours_sql).fetch_all(db);
    let sizes = sqlx::query_as::<_, (String, String)>(&sizes_sql).fetch_all(db);
    let mut qb = QueryBuilder::new(format!(
        "with cn as ({COLOURS}), zn as ({SIZES})
         select p.id, p.effective_price_minor, p.created_at, p.sold_count, p.rating_sum, p.rating_count, "
    ));
    match &resolved {
        Resolved::Search { q, mode: SearchMode::Trigram } => {
            qb.push("word_similarity(").push_bind(q.clone()).push(", p.name)");
        }
        Resolved::Search { q, mode } => {
            qb.push("ts_rank(p.search_document, ");
            push_tsquery(&mut qb, q, mode);
            qb.push(")");
        }
        _ => {
            qb.push("0::real");
        }
    }
    qb.push(
        ", coalesce(c.ns, '{}'), coalesce(v.colours, '{}'), coalesce(v.sizes, '{}'), coalesce(v.in_stock, '{}')
         from products p
         left join lateral (select array_agg(cn.n) as ns from product_colours x join cn on cn.id = x.colour_id where x.product_id = p.id) c on true
         left join lateral (
             select array_agg(cn.n) as colours, array_agg(zn.n) as sizes, array_agg(ps.available > 0) as in_stock
             from product_colours x join cn on cn.id = x.colour_id
             join product_sizes ps on ps.product_colour_id = x.id join zn on zn.id = ps.size_id
             where x.product_id = p.id
         ) v on true",
    );
    push_where(&mut qb, &resolved);
    type Row = (Uuid, i64, chrono::DateTime<chrono::Utc>, i32, i32, i32, f32, Vec<i32>, Vec<i32>, Vec<i32>, Vec<bool>);
    let rows = qb.build_query_as::<Row>().fetch_all(db);
    let (colours, sizes, rows) = tokio::try_join!(colours, sizes, rows)?;

    // Positions are below the lists' lengths (a few dozen), so they fit in u16.
    let at = |n: &i32| u16::try_from(*n).ok();
    let entries = rows
        .into_iter()
        .map(|(id, price, created, sold, rating_sum, rating_count, relevance, colour_ns, v_colours, v_sizes, v_stock)| Entry {
            id,
            price,
            created: created.timestamp_micros(),
            sold,
            rating_sum,
            rating_count,
            relevance,
            colours: colour_ns.iter().filter_map(at).collect(),
            variants: v_colours
                .iter()
                .zip(&v_sizes)
                .zip(v_stock)
                .filter_map(|((c, z), in_stock)| Some(Variant { colour: at(c)?, size: at(z)?, in_stock }))
                .collect(),
        })
        .collect();
    Ok(ScopeIndex {
        is_search: matches!(resolved, Resolved::Search { .. }),
        title,
        description,
        path,
        entries,
        colours: colours.into_iter().map(|(slug, name, hex)| Value { slug, label: name, hex: Some(hex) }).collect(),
        sizes: sizes.into_iter().map(|(slug, label)| Value { slug, label, hex: None }).collect(),
    })
}

/// Search-as-you-type: a handful of the most relevant names.
#[tracing::instrument(skip(db))]
pub async fn suggestions(db: &PgPool, q: &str) -> Result<Vec<Suggestion>, AppError> {
    let mut qb = QueryBuilder::new(CARD_SELECT);
    let scope = search_mode(db, q).await?;
    push_where(&mut qb, &scope);
    push_relevance_order(&mut qb, &scope);
    qb.push(" limit 6");
    let rows: Vec<CardRow> = qb.build_query_as().fetch_all(db).await?;
    Ok(rows
        .into_iter()
        .map(ProductCard::from)
        .map(|c| Suggestion { name: c.name, slug: c.slug, price: c.price, image_url: c.image_url })
        .collect())
}

#[tracing::instrument(skip(db))]
pub async fn best_sellers(db: &PgPool, limit: i64) -> Result<Vec<ProductCard>, sqlx::Error> {
    let sql = format!("{CARD_SELECT} where p.is_live order by p.sold_count desc, p.id limit $1");
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(limit).fetch_all(db).await?;
    Ok(rows.into_iter().map(ProductCard::from).collect())
}

// ---- product page -------------------------------------------------------------------------

use super::types::{ColourOption, Image, LookbookPage, ProductDetail, SizeOption};

#[derive(sqlx::FromRow)]
struct DetailRow {
    id: Uuid,
    slug: String,
    name: String,
    description: String,
    brand: String,
    currency: String,
    price_minor: i64,
    price_override_minor: Option<i64>,
    rating_count: i32,
    rating_sum: i32,
    is_active: bool,
    deleted: bool,
}

/// The product page. Soft-deleted products answer 410 Gone, inactive ones 404.
/// The slug a product answers to now, when `old` was one of its earlier ones.
pub async fn renamed(db: &PgPool, old: &str) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar(
        "select p.slug from product_slug_history h join products p on p.id = h.product_id
         where h.slug = $1 and p.is_live",
    )
    .bind(old)
    .fetch_optional(db)
    .await
}

#[tracing::instrument(skip(db, cache, site_url))]
pub async fn product_detail(db: &PgPool, cache: &super::cache::CatalogCache, site_url: &str, slug: &str) -> Result<ProductDetail, AppError> {
    let row: Option<DetailRow> = sqlx::query_as(
        "select id, slug, name, description, brand, currency, price_minor, price_override_minor,
                rating_count, rating_sum, is_active, deleted_at is not null as deleted
         from products where slug = $1",
    )
    .bind(slug)
    .fetch_optional(db)
    .await?;
    let row = match row {
        Some(row) if row.deleted => return Err(AppError::Gone("This product".into())),
        Some(row) if row.is_active => row,
        _ => return Err(AppError::NotFound("This product".into())),
    };
    let category = sqlx::query_as::<_, (String, String)>(
        "select c.name, c.slug from product_categories pc join categories c on c.id = pc.category_id
         where pc.product_id = $1 and c.is_active order by c.sort_order limit 1",
    )
    .bind(row.id)
    .fetch_optional(db);
    let colours = sqlx::query_as::<_, (Uuid, String, String, String)>(
        "select pc.id, c.slug, c.name, c.hex from product_colours pc join colours c on c.id = pc.colour_id
         where pc.product_id = $1 order by pc.sort_order",
    )
    .bind(row.id)
    .fetch_all(db);
    let images = sqlx::query_as::<_, (Uuid, String, String, Vec<i32>)>(
        "select i.product_colour_id, i.url, i.alt_text, i.widths from product_colour_images i
         join product_colours pc on pc.id = i.product_colour_id
         where pc.product_id = $1 order by i.is_primary desc, i.sort_order",
    )
    .bind(row.id)
    .fetch_all(db);
    let sizes = sqlx::query_as::<_, (Uuid, Uuid, String, String, i32)>(
        "select ps.product_colour_id, ps.id, z.label, ps.sku, ps.available
         from product_sizes ps join sizes z on z.id = ps.size_id
         join product_colours pc on pc.id = ps.product_colour_id
         where pc.product_id = $1 order by z.sort_order",
    )
    .bind(row.id)
    .fetch_all(db);
    let bought = bought_together(db, row.id);
    let (category, colours, images, sizes, bought_together) = tokio::try_join!(category, colours, images, sizes, bought)?;
    let related = related_products(db, cache, row.id).await?;

    let colours = colours
        .into_iter()
        .map(|(pc_id, slug, name, hex)| ColourOption {
            images: images.iter().filter(|i| i.0 == pc_id).map(|i| Image { url: i.1.clone(), alt: i.2.clone(), widths: i.3.clone() }).collect(),
            sizes: sizes
                .iter()
                .filter(|s| s.0 == pc_id)
                .map(|s| SizeOption { variant_id: s.1, label: s.2.clone(), sku: s.3.clone(), available: s.4.max(0) })
                .collect(),
            slug,
            name,
            hex,
        })
        .collect();
    let (price, compare_at) = match row.price_override_minor {
        Some(sale) => (Money::new(sale, &row.currency), Some(Money::new(row.price_minor, &row.currency))),
        None => (Money::new(row.price_minor, &row.currency), None),
    };
    Ok(ProductDetail {
        id: row.id,
        canonical_url: format!("{site_url}/p/{}", row.slug),
        site_url: site_url.to_owned(),
        slug: row.slug,
        name: row.name,
        description: row.description,
        brand: row.brand,
        price,
        compare_at,
        rating_avg_x10: rating_avg_x10(row.rating_sum, row.rating_count),
        rating_count: row.rating_count,
        category: category.map(|(name, slug)| CategoryLink { name, slug }),
        colours,
        related,
        bought_together,
    })
}

/// "You may also like": the best sellers among the products sharing a category or a
/// collection with this one. Each group's five best sellers are sorted once per catalogue
/// change and kept in the cache (five, so four remain when this product is among them); a
/// product page merges its groups' lists instead of sorting whole categories per view.
async fn related_products(db: &PgPool, cache: &super::cache::CatalogCache, product_id: Uuid) -> Result<Vec<ProductCard>, AppError> {
    let groups: Vec<(bool, Uuid)> = sqlx::query_as(
        "select true, category_id from product_categories where product_id = $1
         union all select false, collection_id from collection_products where product_id = $1",
    )
    .bind(product_id)
    .fetch_all(db)
    .await?;
    // One after another: a product is in a few groups, and their lists are usually in memory.
    let mut lists = Vec::with_capacity(groups.len());
    for (is_category, id) in groups {
        let key = format!("{}:{id}", if is_category { "category" } else { "collection" });
        lists.push(cache.read(key, || top_sellers(db, is_category, id)).await?);
    }
    Ok(merge_top_sellers(lists.iter().map(|list| list.0.as_slice()), product_id, 4))
}

/// The best `limit` of several best-seller lists (by sales, then id, as the lists are
/// sorted), each product once, leaving out `except`.
fn merge_top_sellers<'a>(lists: impl Iterator<Item = &'a [(i32, ProductCard)]>, except: Uuid, limit: usize) -> Vec<ProductCard> {
    let mut ranked: Vec<&(i32, ProductCard)> = lists.flatten().filter(|(_, card)| card.id != except).collect();
    ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.id.cmp(&b.1.id)));
    ranked.dedup_by_key(|(_, card)| card.id);
    ranked.into_iter().take(limit).map(|(_, card)| card.clone()).collect()
}

/// A category's or collection's five best-selling live products, with their sales.
#[derive(serde::Serialize)]
struct TopSellers(Vec<(i32, ProductCard)>);

async fn top_sellers(db: &PgPool, is_category: bool, group: Uuid) -> Result<TopSellers, AppError> {
    let members = if is_category {
        "product_categories g on g.product_id = p.id and g.category_id = $1"
    } else {
        "collection_products g on g.product_id = p.id and g.collection_id = $1"
    };
    let top: Vec<(Uuid, i32)> = sqlx::query_as(&format!(
        "select p.id, p.sold_count from products p join {members} where p.is_live order by p.sold_count desc, p.id limit 5"
    ))
    .bind(group)
    .fetch_all(db)
    .await?;
    let ids: Vec<Uuid> = top.iter().map(|(id, _)| *id).collect();
    let mut cards: std::collections::HashMap<Uuid, ProductCard> = cards_by_ids(db, &ids).await?.into_iter().map(|c| (c.id, c)).collect();
    Ok(TopSellers(top.into_iter().filter_map(|(id, sold)| Some((sold, cards.remove(&id)?))).collect()))
}

/// The cards of `ids`, in that order (ids of products that went away are skipped).
async fn cards_by_ids(db: &PgPool, ids: &[Uuid]) -> Result<Vec<ProductCard>, sqlx::Error> {
    let sql = format!("{CARD_SELECT} join unnest($1::uuid[]) with ordinality as page(id, position) on page.id = p.id order by page.position");
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(ids).fetch_all(db).await?;
    Ok(rows.into_iter().map(ProductCard::from).collect())
}

/// "Bought together": products that most often share an order with this one.
async fn bought_together(db: &PgPool, product_id: Uuid) -> Result<Vec<ProductCard>, sqlx::Error> {
    let sql = format!(
        "with together as (
             select other.product_id, count(*) as n
             from order_items mine
             join orders o on o.id = mine.order_id and o.status = any($2)
             join order_items other on other.order_id = mine.order_id and other.product_id <> mine.product_id
             where mine.product_id = $1
             group by other.product_id order by n desc limit 4
         )
         {CARD_SELECT} join together t on t.product_id = p.id
         where p.is_live order by t.n desc, p.id"
    );
    let sold = crate::orders::OrderStatus::names(&crate::orders::OrderStatus::SOLD);
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(product_id).bind(sold).fetch_all(db).await?;
    Ok(rows.into_iter().map(ProductCard::from).collect())
}

pub async fn lookbook(db: &PgPool, site_url: &str, slug: &str) -> Result<LookbookPage, AppError> {
    let row: Option<(Uuid, String, String, Option<String>)> = sqlx::query_as(
        "select id, title, description, cover_image_url from lookbooks
         where slug = $1 and is_active and published_at is not null and published_at <= now()",
    )
    .bind(slug)
    .fetch_optional(db)
    .await?;
    let (id, title, description, cover_image_url) = row.ok_or_else(|| AppError::NotFound("This lookbook".into()))?;
    let sql = format!(
        "{CARD_SELECT} join lookbook_items li on li.product_id = p.id
         where li.lookbook_id = $1 and p.is_live order by li.sort_order"
    );
    let rows: Vec<CardRow> = sqlx::query_as(&sql).bind(id).fetch_all(db).await?;
    Ok(LookbookPage {
        title,
        slug: slug.to_owned(),
        description,
        cover_image_url,
        products: rows.into_iter().map(ProductCard::from).collect(),
        canonical_url: format!("{site_url}/lookbooks/{slug}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card(n: u128) -> ProductCard {
        ProductCard {
            id: Uuid::from_u128(n),
            slug: format!("p{n}"),
            name: format!("P{n}"),
            price: Money::new(1000, "USD"),
            compare_at: None,
            image_url: None,
            image_alt: String::new(),
            image_widths: Vec::new(),
            rating_avg_x10: 0,
            rating_count: 0,
            swatches: Vec::new(),
        }
    }

    #[test]
    fn related_products_merge_group_lists_by_sales_then_id() {
        let shoes = [(9, card(1)), (7, card(2)), (7, card(5)), (3, card(3))];
        let sale = [(8, card(4)), (7, card(2)), (7, card(6)), (1, card(7))];
        let ids = |cards: Vec<ProductCard>| cards.into_iter().map(|c| c.id.as_u128()).collect::<Vec<_>>();
        // The product itself is left out, one shared by two groups is listed once, and ties
        // in sales go to the lower id, as PostgreSQL orders them.
        assert_eq!(ids(merge_top_sellers([&shoes[..], &sale[..]].into_iter(), Uuid::from_u128(1), 4)), vec![4, 2, 5, 6]);
        assert_eq!(ids(merge_top_sellers([&shoes[..]].into_iter(), Uuid::from_u128(9), 2)), vec![1, 2]);
        assert!(merge_top_sellers(std::iter::empty(), Uuid::nil(), 4).is_empty());
    }
}
