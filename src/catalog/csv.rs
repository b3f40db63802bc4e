//! CSV export and import of products and stock (server only). Reading a file and checking
//! its cells are pure functions with tests beside them; [`plan`] works out what each row
//! would do against the database, and [`apply`] runs the good rows through the product
//! editor's own rules (`manage::validate`, `save_in`, `set_stock_in`) inside the caller's
//! transaction, each change with its audit entry.

use super::{
    manage::{self, ValidProduct},
    types::{ImportChange, ImportKind, ImportPreview, ImportRejection, ProductFields},
};
use crate::{admin::table::ListQuery, audit::server::Actor, error::AppError, money::amount_input};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use std::{
    borrow::Cow,
    collections::{BTreeMap, HashMap},
};
use uuid::Uuid;

/// Largest file an import reads.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// Most data rows an import reads (one transaction holds them all).
pub const MAX_ROWS: usize = 10_000;
const MAX_STOCK: i64 = 1_000_000;

/// The products export, in order. `available` and `held` are there to read and ignored on
/// import; `currency` must match the product's.
pub const PRODUCT_COLUMNS: [&str; 10] = ["id", "name", "slug", "status", "currency", "price", "sale_price", "available", "held", "categories"];
/// Columns an import also takes that the export leaves out (long text).
const PRODUCT_EXTRA_COLUMNS: [&str; 3] = ["description", "seo_title", "seo_description"];
/// The stock export, in order; `held` (what unpaid orders hold) is ignored on import.
pub const STOCK_COLUMNS: [&str; 6] = ["product", "colour", "size", "sku", "stock", "held"];

/// The shop's currency: new products take the database default, which the editor shows too.
const NEW_PRODUCT_CURRENCY: &str = "USD";

/// Spreadsheets run a cell that starts with one of these as a formula.
const FORMULA_STARTS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as exported: one a spreadsheet would run as a formula gets a leading apostrophe.
pub fn defuse(value: &str) -> Cow<'_, str> {
    if value.starts_with(FORMULA_STARTS) {
        Cow::Owned(format!("'{value}"))
    } else {
        Cow::Borrowed(value)
    }
}

/// A cell as imported: the apostrophe [`defuse`] added is taken off again, so an exported
/// file imports unchanged.
pub fn restore(value: &str) -> &str {
    match value.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_STARTS) => rest,
        _ => value,
    }
}

/// A CSV file with `header` and `rows`, every cell defused; lines end in CRLF as
/// spreadsheets expect.
pub fn write(header: &[&str], rows: impl IntoIterator<Item = Vec<String>>) -> Result<String, AppError> {
    let mut writer = ::csv::WriterBuilder::new().terminator(::csv::Terminator::CRLF).from_writer(Vec::new());
    writer.write_record(header).map_err(AppError::internal)?;
    for row in rows {
        writer.write_record(row.iter().map(|cell| defuse(cell).into_owned())).map_err(AppError::internal)?;
    }
    let bytes = writer.into_inner().map_err(|e| AppError::internal(anyhow::anyhow!("{e}")))?;
    String::from_utf8(bytes).map_err(AppError::internal)
}

/// Every product matching the staff list's `query`, as CSV.
pub async fn export_products(db: &PgPool, query: &ListQuery) -> Result<String, AppError> {
    let rows = manage::export(db, query).await?;
    write(
        &PRODUCT_COLUMNS,
        rows.into_iter().map(|p| {
            let status = if p.deleted { "deleted" } else if p.is_active { "active" } else { "draft" };
            vec![
                p.id.to_string(),
                p.name,
                p.slug,
                status.to_owned(),
                p.currency,
                amount_input(p.price_minor),
                p.sale_minor.map(amount_input).unwrap_or_default(),
                p.available.to_string(),
                p.reserved.to_string(),
                p.categories,
            ]
        }),
    )
}

/// Every colour × size of the products matching `query`, one row each, as CSV.
pub async fn export_stock(db: &PgPool, query: &ListQuery) -> Result<String, AppError> {
    let ids: Vec<Uuid> = manage::export(db, query).await?.into_iter().map(|p| p.id).collect();
    let rows: Vec<(String, String, String, String, i32, i32)> = sqlx::query_as(
        "select p.slug, c.name, s.label, ps.sku, ps.stock, ps.reserved from product_sizes ps
         join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
         join colours c on c.id = pc.colour_id join sizes s on s.id = ps.size_id
         where p.id = any($1) order by p.slug, pc.sort_order, c.name, s.sort_order, s.label",
    )
    .bind(&ids)
    .fetch_all(db)
    .await?;
    write(
        &STOCK_COLUMNS,
        rows.into_iter().map(|(product, colour, size, sku, stock, held)| vec![product, colour, size, sku, stock.to_string(), held.to_string()]),
    )
}

/// A file as read: its columns (named as the header names them, normalised) and its rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub columns: Vec<String>,
    pub rows: Vec<SheetRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// The line the row starts on (1 is the header's, unless blank lines precede it).
    pub line: u64,
    pub cells: Vec<String>,
}

impl Sheet {
    /// The row's cell in `column`, when the file has that column.
    pub fn cell<'a>(&self, row: &'a SheetRow, column: &str) -> Option<&'a str> {
        self.columns.iter().position(|c| c == column).and_then(|i| row.cells.get(i)).map(String::as_str)
    }

    /// The cell trimmed, when the file has the column and the cell is not empty.
    fn given<'a>(&self, row: &'a SheetRow, column: &str) -> Option<&'a str> {
        self.cell(row, column).map(str::trim).filter(|c| !c.is_empty())
    }
}

fn allowed_columns(kind: ImportKind) -> Vec<&'static str> {
    match kind {
        ImportKind::Products => PRODUCT_COLUMNS.iter().chain(PRODUCT_EXTRA_COLUMNS.iter()).copied().collect(),
        ImportKind::Stock => STOCK_COLUMNS.to_vec(),
    }
}

/// Reads `text` as a `kind` file: the header is checked as a whole (a wrong header refuses
/// the file, with the reason), each row on its own (a row with the wrong number of cells
/// is refused, the others read on).
pub fn read(kind: ImportKind, text: &str) -> Result<(Sheet, Vec<ImportRejection>), String> {
    if text.len() > MAX_BYTES {
        return Err(format!("The file is larger than {} MB. Split it into smaller files.", MAX_BYTES / (1024 * 1024)));
    }
    // Spreadsheets save UTF-8 with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = ::csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let blank = |r: &::csv::StringRecord| r.iter().all(|c| c.trim().is_empty());
    let header = loop {
        match records.next() {
            None => return Err("The file is empty: it needs a header line and at least one row.".into()),
            Some(Err(e)) => return Err(format!("The header cannot be read: {e}")),
            Some(Ok(r)) if blank(&r) => continue,
            Some(Ok(r)) => break r,
        }
    };
    // Line numbers from byte offsets (a quoted cell may span lines). After a CRLF the
    // reader's offset can point at the LF, so line breaks there are skipped first.
    let line_at = |position: Option<&::csv::Position>| {
        position.map_or(0, |p| {
            let bytes = text.as_bytes();
            let start = (p.byte() as usize).min(bytes.len());
            let start = start + bytes[start..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
            bytes[..start].iter().filter(|b| **b == b'\n').count() as u64 + 1
        })
    };
    let header_line = line_at(header.position());
    let columns: Vec<String> = header.iter().map(|c| restore(c).trim().to_lowercase().replace(' ', "_")).collect();
    let allowed = allowed_columns(kind);
    let expected = allowed.join(", ");
    for (i, column) in columns.iter().enumerate() {
        if column.is_empty() {
            return Err(format!("Line {header_line}: column {} has no name. The columns are: {expected}.", i + 1));
        }
        if !allowed.contains(&column.as_str()) {
            let hint = match kind {
                ImportKind::Products if STOCK_COLUMNS.contains(&column.as_str()) => " Is this a stock file?",
                ImportKind::Stock if PRODUCT_COLUMNS.contains(&column.as_str()) => " Is this a products file?",
                _ => "",
            };
            return Err(format!("Line {header_line}: unknown column \"{column}\". The columns are: {expected}.{hint}"));
        }
        if columns[..i].contains(column) {
            return Err(format!("Line {header_line}: the column \"{column}\" appears twice."));
        }
    }
    let has = |c: &str| columns.iter().any(|x| x == c);
    let missing: Vec<&str> = match kind {
        ImportKind::Products => ["slug"].into_iter().filter(|c| !has(c)).collect(),
        ImportKind::Stock if has("sku") => ["stock"].into_iter().filter(|c| !has(c)).collect(),
        ImportKind::Stock => ["product", "colour", "size", "stock"].into_iter().filter(|c| !has(c)).collect(),
    };
    if !missing.is_empty() {
        let what = if kind == ImportKind::Stock { " (a stock file names each row by its sku, or by product, colour and size)" } else { "" };
        return Err(format!("Line {header_line}: the header lacks the required column \"{}\"{what}.", missing.join("\", \"")));
    }
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    for record in records {
        let record = match record {
            Ok(record) => record,
            Err(e) => {
                let line = line_at(e.position());
                rejected.push(ImportRejection { line, key: String::new(), reason: format!("This line cannot be read: {e}") });
                continue;
            }
        };
        if blank(&record) {
            continue;
        }
        if rows.len() + rejected.len() >= MAX_ROWS {
            return Err(format!("The file has more than {MAX_ROWS} rows. Split it into smaller files."));
        }
        let line = line_at(record.position());
        if record.len() != columns.len() {
            rejected.push(ImportRejection {
                line,
                key: record.get(0).unwrap_or_default().trim().to_owned(),
                reason: format!("This row has {} cells; the header has {}.", record.len(), columns.len()),
            });
            continue;
        }
        rows.push(SheetRow { line, cells: record.iter().map(|c| restore(c).to_owned()).collect() });
    }
    if rows.is_empty() && rejected.is_empty() {
        return Err("The file has a header but no rows.".into());
    }
    Ok((Sheet { columns, rows }, rejected))
}

/// Units on hand as typed: a whole number from 0 to 1,000,000.
pub fn parse_stock(text: &str) -> Result<i32, String> {
    let text = text.trim();
    if text.is_empty() {
        return Err("Enter the stock, a whole number.".into());
    }
    match text.parse::<i64>() {
        Ok(n) if n < 0 => Err("Stock cannot be negative.".into()),
        Ok(n) if n > MAX_STOCK => Err("Stock can be at most 1,000,000.".into()),
        Ok(n) => Ok(n as i32),
        Err(_) => Err(format!("Stock must be a whole number, not \"{text}\".")),
    }
}

/// A product's status column: active, draft, or deleted (only for a product already deleted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Active,
    Draft,
    Deleted,
}

pub fn parse_status(text: &str) -> Result<Option<Status>, String> {
    match text.trim().to_lowercase().as_str() {
        "" => Ok(None),
        "active" => Ok(Some(Status::Active)),
        "draft" => Ok(Some(Status::Draft)),
        "deleted" => Ok(Some(Status::Deleted)),
        other => Err(format!("Status must be active or draft, not \"{other}\".")),
    }
}

/// The product editor's messages, named by the file's columns.
pub fn describe(errors: &crate::error::FieldErrors) -> String {
    errors.0.iter().map(|(field, messages)| format!("{field}: {}", messages.join(" "))).collect::<Vec<_>>().join(" ")
}

fn reason_of(error: &AppError) -> String {
    match error {
        AppError::Validation(fields) => describe(fields),
        other => other.to_string(),
    }
}

/// What importing a file would do: the preview, and the good rows ready to apply.
#[derive(Debug, Clone)]
pub struct Plan {
    pub preview: ImportPreview,
    goods: Vec<(u64, Good)>,
}

#[derive(Debug, Clone)]
enum Good {
    Product { id: Option<Uuid>, valid: ValidProduct },
    Stock { product: Uuid, cell: Uuid, stock: i32 },
}

/// Works out what importing `text` as `kind` would do, reading (never writing) through
/// `conn`. A file that cannot be read at all is a validation error on `file`.
pub async fn plan(conn: &mut PgConnection, kind: ImportKind, file_name: &str, text: &str) -> Result<Plan, AppError> {
    let (sheet, mut rejected) = read(kind, text).map_err(|m| AppError::field("file", m))?;
    let rows = sheet.rows.len() + rejected.len();
    let mut changes = Vec::new();
    let mut goods = Vec::new();
    let mut unchanged = 0;
    match kind {
        ImportKind::Products => plan_products(conn, &sheet, &mut changes, &mut goods, &mut unchanged, &mut rejected).await?,
        ImportKind::Stock => plan_stock(conn, &sheet, &mut changes, &mut goods, &mut unchanged, &mut rejected).await?,
    }
    rejected.sort_by_key(|r| r.line);
    let digest = digest(&changes);
    let preview = ImportPreview { kind: Some(kind), file_name: file_name.to_owned(), rows, changes, unchanged, rejected, digest, token: String::new() };
    Ok(Plan { preview, goods })
}

/// A fingerprint of the changes a preview shows.
fn digest(changes: &[ImportChange]) -> String {
    use sha2::{Digest, Sha256};
    let json = serde_json::to_vec(changes).unwrap_or_default();
    Sha256::digest(json).iter().map(|b| format!("{b:02x}")).collect()
}

/// Applies the plan's good rows in the caller's transaction; answers how many rows changed.
pub async fn apply(conn: &mut PgConnection, actor: &Actor, plan: &Plan, now: DateTime<Utc>) -> Result<usize, AppError> {
    let at_line = |line: u64, e: AppError| match e {
        AppError::Validation(fields) => AppError::Rejected(format!("Line {line}: {}", describe(&fields))),
        other => other,
    };
    let mut stock: BTreeMap<Uuid, Vec<(Uuid, i32)>> = BTreeMap::new();
    for (line, good) in &plan.goods {
        match good {
            Good::Product { id, valid } => {
                manage::save_in(conn, actor, *id, valid, now).await.map_err(|e| at_line(*line, e))?;
            }
            Good::Stock { product, cell, stock: units } => stock.entry(*product).or_default().push((*cell, *units)),
        }
    }
    // One audit entry per product, as the stock grid writes.
    for (product, cells) in &stock {
        manage::set_stock_in(conn, actor, *product, cells, now).await.map_err(|e| match e {
            AppError::Validation(fields) => AppError::Rejected(format!("Stock changed since the preview: {}", fields.0.values().flatten().cloned().collect::<Vec<_>>().join(" "))),
            other => other,
        })?;
    }
    Ok(plan.goods.len())
}

/// A product as the import compares it.
struct Current {
    id: Uuid,
    slug: String,
    fields: ProductFields,
    price_minor: i64,
    sale_minor: Option<i64>,
    deleted: bool,
    currency: String,
}

type CurrentRow = (Uuid, String, String, String, i64, Option<i64>, bool, bool, String, String, String, Vec<Uuid>);

async fn plan_products(
    conn: &mut PgConnection,
    sheet: &Sheet,
    changes: &mut Vec<ImportChange>,
    goods: &mut Vec<(u64, Good)>,
    unchanged: &mut usize,
    rejected: &mut Vec<ImportRejection>,
) -> Result<(), AppError> {
    let ids: Vec<Uuid> = sheet.rows.iter().filter_map(|r| sheet.given(r, "id")?.parse().ok()).collect();
    let slugs: Vec<String> = sheet.rows.iter().filter_map(|r| sheet.given(r, "slug").map(str::to_owned)).collect();
    let found: Vec<CurrentRow> = sqlx::query_as(
        "select p.id, p.slug, p.name, p.description, p.price_minor, p.price_override_minor, p.is_active, p.deleted_at is not null,
                p.seo_title, p.seo_description, p.currency::text,
                array(select category_id from product_categories pc where pc.product_id = p.id order by category_id)
         from products p where p.id = any($1) or p.slug = any($2)",
    )
    .bind(&ids)
    .bind(&slugs)
    .fetch_all(&mut *conn)
    .await?;
    let current: Vec<Current> = found
        .into_iter()
        .map(|(id, slug, name, description, price_minor, sale_minor, is_active, deleted, seo_title, seo_description, currency, categories)| Current {
            id,
            fields: ProductFields {
                name,
                slug: slug.clone(),
                description,
                price: amount_input(price_minor),
                sale_price: sale_minor.map(amount_input).unwrap_or_default(),
                is_active,
                seo_title,
                seo_description,
                categories,
            },
            slug,
            price_minor,
            sale_minor,
            deleted,
            currency,
        })
        .collect();
    let by_id: HashMap<Uuid, &Current> = current.iter().map(|c| (c.id, c)).collect();
    let by_slug: HashMap<&str, &Current> = current.iter().map(|c| (c.slug.as_str(), c)).collect();
    let categories: Vec<(Uuid, String)> = sqlx::query_as("select id, name from categories").fetch_all(&mut *conn).await?;
    let category_names: HashMap<Uuid, &str> = categories.iter().map(|(id, name)| (*id, name.as_str())).collect();

    // Rows that passed every check on their own, before slugs are checked across the file.
    let mut candidates: Vec<(u64, String, Option<&Current>, ValidProduct)> = Vec::new();
    let mut seen_slugs: HashMap<String, u64> = HashMap::new();
    let mut seen_products: HashMap<Uuid, u64> = HashMap::new();
    for row in &sheet.rows {
        let key = sheet.given(row, "slug").or(sheet.given(row, "id")).or(sheet.given(row, "name")).unwrap_or_default().to_owned();
        let mut reject = |reason: String| rejected.push(ImportRejection { line: row.line, key: key.clone(), reason });
        let existing = match sheet.given(row, "id") {
            Some(text) => match text.parse::<Uuid>().ok().and_then(|id| by_id.get(&id)) {
                Some(c) => Some(*c),
                None => {
                    reject(format!("Unknown product id \"{text}\". Leave the id empty to create a product."));
                    continue;
                }
            },
            None => sheet.given(row, "slug").and_then(|s| by_slug.get(s).copied()),
        };
        if let Some(c) = existing {
            if let Some(first) = seen_products.insert(c.id, row.line) {
                reject(format!("This product is also on line {first}."));
                continue;
            }
        }
        let status = match parse_status(sheet.cell(row, "status").unwrap_or_default()) {
            Ok(status) => status,
            Err(reason) => {
                reject(reason);
                continue;
            }
        };
        match (existing.map(|c| c.deleted), status) {
            (Some(true), Some(Status::Deleted)) | (Some(false), Some(Status::Active | Status::Draft) | None) | (None, Some(Status::Active | Status::Draft) | None) => {}
            (Some(true), _) => {
                reject("This product is deleted: restore it in the product editor first.".into());
                continue;
            }
            (_, Some(Status::Deleted)) => {
                reject("An import does not delete products: delete it in the product editor.".into());
                continue;
            }
        }
        let currency = existing.map_or(NEW_PRODUCT_CURRENCY, |c| c.currency.as_str());
        if let Some(given) = sheet.given(row, "currency").filter(|g| !g.eq_ignore_ascii_case(currency)) {
            reject(format!("Prices are in {currency}, not {given}: an import does not change a product's currency."));
            continue;
        }
        let mut fields = existing.map(|c| c.fields.clone()).unwrap_or_default();
        let text = |column: &str, into: &mut String| {
            if let Some(value) = sheet.cell(row, column) {
                value.clone_into(into);
            }
        };
        text("name", &mut fields.name);
        text("description", &mut fields.description);
        text("price", &mut fields.price);
        text("sale_price", &mut fields.sale_price);
        text("seo_title", &mut fields.seo_title);
        text("seo_description", &mut fields.seo_description);
        // An empty slug keeps a product's own, and makes a new product's from its name.
        if let Some(slug) = sheet.given(row, "slug") {
            slug.clone_into(&mut fields.slug);
        }
        match status {
            Some(Status::Active) => fields.is_active = true,
            Some(Status::Draft) => fields.is_active = false,
            _ => {}
        }
        if let Some(names) = sheet.cell(row, "categories") {
            let mut ids = Vec::new();
            let mut unknown = Vec::new();
            for name in names.split(',').map(str::trim).filter(|n| !n.is_empty()) {
                let matching: Vec<Uuid> = categories.iter().filter(|(_, n)| n.eq_ignore_ascii_case(name)).map(|(id, _)| *id).collect();
                match matching.as_slice() {
                    [id] => ids.push(*id),
                    [] => unknown.push(format!("unknown category \"{name}\"")),
                    _ => unknown.push(format!("several categories are called \"{name}\"")),
                }
            }
            if !unknown.is_empty() {
                reject(format!("categories: {}.", unknown.join(", ")));
                continue;
            }
            fields.categories = ids;
        }
        let valid = match manage::validate(&fields) {
            Ok(valid) => valid,
            Err(e) => {
                reject(reason_of(&e));
                continue;
            }
        };
        if let Some(first) = seen_slugs.insert(valid.slug.as_str().to_owned(), row.line) {
            reject(format!("The slug \"{}\" is also on line {first}.", valid.slug.as_str()));
            continue;
        }
        candidates.push((row.line, key, existing, valid));
    }

    // A slug another product uses cannot be taken (renames that swap slugs included).
    let wanted: Vec<String> = candidates.iter().map(|(_, _, _, v)| v.slug.as_str().to_owned()).collect();
    let owners: HashMap<String, Uuid> = sqlx::query_as::<_, (String, Uuid)>("select slug, id from products where slug = any($1)")
        .bind(&wanted)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .collect();
    for (line, key, existing, valid) in candidates {
        if owners.get(valid.slug.as_str()).is_some_and(|owner| Some(*owner) != existing.map(|c| c.id)) {
            rejected.push(ImportRejection { line, key, reason: format!("Another product uses the slug \"{}\".", valid.slug.as_str()) });
            continue;
        }
        let fields = product_diff(existing, &valid, &category_names);
        if existing.is_some() && fields.is_empty() {
            *unchanged += 1;
            continue;
        }
        changes.push(ImportChange { line, key: valid.slug.as_str().to_owned(), creates: existing.is_none(), fields });
        goods.push((line, Good::Product { id: existing.map(|c| c.id), valid }));
    }
    Ok(())
}

/// Long text is shortened in the preview.
fn shown(text: &str) -> String {
    const MAX: usize = 80;
    if text.chars().count() > MAX {
        format!("{}…", text.chars().take(MAX).collect::<String>())
    } else {
        text.to_owned()
    }
}

/// (column, before, after) for each value of `valid` that differs from the product's.
fn product_diff(existing: Option<&Current>, valid: &ValidProduct, category_names: &HashMap<Uuid, &str>) -> Vec<(String, String, String)> {
    let names = |ids: &[Uuid]| {
        let mut names: Vec<&str> = ids.iter().filter_map(|id| category_names.get(id).copied()).collect();
        names.sort_unstable();
        names.join(", ")
    };
    let status = |active: bool| if active { "active" } else { "draft" }.to_owned();
    let before = existing.map(|c| {
        let mut categories = c.fields.categories.clone();
        categories.sort();
        [
            c.fields.name.clone(),
            c.slug.clone(),
            c.fields.description.clone(),
            amount_input(c.price_minor),
            c.sale_minor.map(amount_input).unwrap_or_default(),
            status(c.fields.is_active),
            names(&categories),
            c.fields.seo_title.clone(),
            c.fields.seo_description.clone(),
        ]
    });
    let after = [
        valid.name.clone(),
        valid.slug.as_str().to_owned(),
        valid.description.clone(),
        amount_input(valid.price_minor),
        valid.sale_minor.map(amount_input).unwrap_or_default(),
        status(valid.is_active),
        names(&valid.categories),
        valid.seo_title.clone(),
        valid.seo_description.clone(),
    ];
    let columns = ["name", "slug", "description", "price", "sale_price", "status", "categories", "seo_title", "seo_description"];
    // Compared by id: two categories may share a name.
    let categories_changed = match existing {
        Some(c) => {
            let mut old = c.fields.categories.clone();
            old.sort();
            old != valid.categories
        }
        None => !valid.categories.is_empty(),
    };
    columns
        .iter()
        .enumerate()
        .filter_map(|(i, column)| {
            let old = before.as_ref().map(|b| b[i].clone()).unwrap_or_default();
            let changed = if *column == "categories" { categories_changed } else { old != after[i] };
            changed.then(|| ((*column).to_owned(), shown(&old), shown(&after[i])))
        })
        .collect()
}

/// A colour × size of a product, as the import finds it.
struct StockCell {
    id: Uuid,
    product: Uuid,
    product_slug: String,
    colour_name: String,
    colour_slug: String,
    size_label: String,
    size_slug: String,
    sku: String,
    stock: i32,
    reserved: i32,
}

type StockRow = (Uuid, Uuid, String, String, String, String, String, String, i32, i32);

impl StockCell {
    fn is_colour(&self, given: &str) -> bool {
        self.colour_name.eq_ignore_ascii_case(given) || self.colour_slug.eq_ignore_ascii_case(given)
    }

    fn is_size(&self, given: &str) -> bool {
        self.size_label.eq_ignore_ascii_case(given) || self.size_slug.eq_ignore_ascii_case(given)
    }
}

async fn plan_stock(
    conn: &mut PgConnection,
    sheet: &Sheet,
    changes: &mut Vec<ImportChange>,
    goods: &mut Vec<(u64, Good)>,
    unchanged: &mut usize,
    rejected: &mut Vec<ImportRejection>,
) -> Result<(), AppError> {
    let skus: Vec<String> = sheet.rows.iter().filter_map(|r| sheet.given(r, "sku")).flat_map(|s| [s.to_owned(), s.to_uppercase()]).collect();
    let products: Vec<String> = sheet.rows.iter().filter_map(|r| sheet.given(r, "product").map(str::to_owned)).collect();
    let found: Vec<StockRow> = sqlx::query_as(
        "select ps.id, p.id, p.slug, c.name, c.slug, s.label, s.slug, ps.sku, ps.stock, ps.reserved from product_sizes ps
         join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
         join colours c on c.id = pc.colour_id join sizes s on s.id = ps.size_id
         where ps.sku = any($1) or p.slug = any($2)",
    )
    .bind(&skus)
    .bind(&products)
    .fetch_all(&mut *conn)
    .await?;
    let cells: Vec<StockCell> = found
        .into_iter()
        .map(|(id, product, product_slug, colour_name, colour_slug, size_label, size_slug, sku, stock, reserved)| StockCell {
            id,
            product,
            product_slug,
            colour_name,
            colour_slug,
            size_label,
            size_slug,
            sku,
            stock,
            reserved,
        })
        .collect();
    let mut seen: HashMap<Uuid, u64> = HashMap::new();
    for row in &sheet.rows {
        let (product, colour, size) = (sheet.given(row, "product"), sheet.given(row, "colour"), sheet.given(row, "size"));
        let key = sheet.given(row, "sku").or(product).unwrap_or_default().to_owned();
        let mut reject = |reason: String| rejected.push(ImportRejection { line: row.line, key: key.clone(), reason });
        let cell = match sheet.given(row, "sku") {
            Some(sku) => {
                let Some(cell) = cells.iter().find(|c| c.sku.eq_ignore_ascii_case(sku)) else {
                    reject(format!("Unknown SKU \"{sku}\"."));
                    continue;
                };
                let mismatch = [
                    product.filter(|p| *p != cell.product_slug).map(|p| format!("product {}, not {p}", cell.product_slug)),
                    colour.filter(|c| !cell.is_colour(c)).map(|c| format!("colour {}, not {c}", cell.colour_name)),
                    size.filter(|s| !cell.is_size(s)).map(|s| format!("size {}, not {s}", cell.size_label)),
                ];
                let mismatch: Vec<String> = mismatch.into_iter().flatten().collect();
                if !mismatch.is_empty() {
                    reject(format!("SKU {} is {}.", cell.sku, mismatch.join(", ")));
                    continue;
                }
                cell
            }
            None => {
                let (Some(product), Some(colour), Some(size)) = (product, colour, size) else {
                    reject("Name the row's sku, or its product, colour and size.".into());
                    continue;
                };
                let of_product: Vec<&StockCell> = cells.iter().filter(|c| c.product_slug == product).collect();
                if of_product.is_empty() {
                    reject(format!("Unknown product \"{product}\" (or it has no colours and sizes yet)."));
                    continue;
                }
                let of_colour: Vec<&StockCell> = of_product.into_iter().filter(|c| c.is_colour(colour)).collect();
                if of_colour.is_empty() {
                    reject(format!("Unknown colour \"{colour}\" for {product}."));
                    continue;
                }
                match of_colour.into_iter().filter(|c| c.is_size(size)).collect::<Vec<_>>().as_slice() {
                    [cell] => cell,
                    [] => {
                        reject(format!("Unknown size \"{size}\" for {product} in {colour}."));
                        continue;
                    }
                    _ => {
                        reject(format!("Several sizes of {product} in {colour} match \"{size}\": name the row by its sku."));
                        continue;
                    }
                }
            }
        };
        let stock = match parse_stock(sheet.cell(row, "stock").unwrap_or_default()) {
            Ok(stock) => stock,
            Err(reason) => {
                reject(reason);
                continue;
            }
        };
        if stock < cell.reserved {
            reject(format!("Unpaid orders hold {} of these: the stock cannot go below that.", cell.reserved));
            continue;
        }
        if let Some(first) = seen.insert(cell.id, row.line) {
            reject(format!("SKU {} is also on line {first}.", cell.sku));
            continue;
        }
        if stock == cell.stock {
            *unchanged += 1;
            continue;
        }
        changes.push(ImportChange { line: row.line, key: cell.sku.clone(), creates: false, fields: vec![("stock".into(), cell.stock.to_string(), stock.to_string())] });
        goods.push((row.line, Good::Stock { product: cell.product, cell: cell.id, stock }));
    }
    Ok(())
}

/// An uploaded file waiting for its confirm step. It stays on the server (in Redis, under a
/// random token the uploader's session holds), so the confirm step reads the very file the
/// preview was made from and never trusts rows sent back by the browser.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Pending {
    pub user: Uuid,
    pub kind: ImportKind,
    pub file_name: String,
    pub text: String,
}

/// How long an upload waits for its confirm step.
const PENDING_TTL_SECS: i64 = 30 * 60;

fn pending_key(prefix: &str, token: &str) -> String {
    format!("{prefix}csv-import:{token}")
}

/// Keeps `pending` for its confirm step; answers its token.
pub async fn keep(redis: &fred::prelude::Pool, prefix: &str, pending: &Pending) -> Result<String, AppError> {
    use argon2::password_hash::rand_core::{OsRng, RngCore};
    use base64::{engine::general_purpose::URL_SAFE_NO_PAD, Engine};
    use fred::prelude::{Expiration, KeysInterface};
    let mut bytes = [0u8; 24];
    OsRng.fill_bytes(&mut bytes);
    let token = URL_SAFE_NO_PAD.encode(bytes);
    let json = serde_json::to_string(pending).map_err(AppError::internal)?;
    redis
        .set::<(), _, _>(pending_key(prefix, &token), json, Some(Expiration::EX(PENDING_TTL_SECS)), None, false)
        .await
        .map_err(AppError::internal)?;
    Ok(token)
}

/// The upload kept under `token`, when it is still there.
pub async fn pending(redis: &fred::prelude::Pool, prefix: &str, token: &str) -> Result<Option<Pending>, AppError> {
    use fred::prelude::KeysInterface;
    let json: Option<String> = redis.get(pending_key(prefix, token)).await.map_err(AppError::internal)?;
    Ok(json.and_then(|j| serde_json::from_str(&j).ok()))
}

pub async fn forget(redis: &fred::prelude::Pool, prefix: &str, token: &str) {
    use fred::prelude::KeysInterface;
    if let Err(err) = redis.del::<i64, _>(pending_key(prefix, token)).await {
        tracing::warn!(error = %err, "a finished CSV import was not removed; it expires by itself");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_cells_are_defused_on_export_and_restored_on_import() {
        for cell in ["=HYPERLINK(\"x\")", "+1", "-5", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(defuse(cell), format!("'{cell}"));
            assert_eq!(restore(&defuse(cell)), cell);
        }
        assert_eq!(defuse("Linen shirt"), "Linen shirt");
        assert_eq!(restore("'quoted"), "'quoted", "an apostrophe of the person's own stays");
    }

    #[test]
    fn written_csv_quotes_what_needs_it_and_defuses_formulas() {
        let csv = write(&["a", "b"], [vec!["Shirts, Tops".into(), "The \"best\"".into()], vec!["=1+1".into(), "two\nlines".into()]]).unwrap();
        assert_eq!(csv, "a,b\r\n\"Shirts, Tops\",\"The \"\"best\"\"\"\r\n'=1+1,\"two\nlines\"\r\n");
    }

    #[test]
    fn reading_checks_the_header_and_numbers_rows_by_line() {
        let (sheet, rejected) = read(ImportKind::Stock, "\u{feff}SKU,Stock\r\nA-1,3\r\n\r\n\"B\n-2\",4\r\nC-3\r\n").unwrap();
        assert_eq!(sheet.columns, ["sku", "stock"]);
        assert_eq!(sheet.rows.iter().map(|r| (r.line, r.cells[0].as_str())).collect::<Vec<_>>(), [(2, "A-1"), (4, "B\n-2")]);
        assert_eq!((rejected[0].line, rejected[0].reason.as_str()), (6, "This row has 1 cells; the header has 2."));

        let (crlf, _) = read(ImportKind::Stock, "sku,stock\r\nA,1\r\nB,2\r\n").unwrap();
        assert_eq!(crlf.rows.iter().map(|r| r.line).collect::<Vec<_>>(), [2, 3]);

        let unknown = read(ImportKind::Stock, "sku,stock,price\nA,1,2\n").unwrap_err();
        assert!(unknown.contains("unknown column \"price\"") && unknown.contains("products file"), "{unknown}");
        assert!(read(ImportKind::Stock, "product,colour,stock\nx,y,1\n").unwrap_err().contains("required column \"size\""));
        assert!(read(ImportKind::Products, "name,price\nX,1\n").unwrap_err().contains("required column \"slug\""));
        assert!(read(ImportKind::Products, "slug,slug\na,b\n").unwrap_err().contains("appears twice"));
        assert!(read(ImportKind::Products, "").unwrap_err().contains("empty"));
        assert!(read(ImportKind::Products, "slug\n").unwrap_err().contains("no rows"));
    }

    #[test]
    fn files_over_the_limits_are_refused_with_a_message() {
        let big = format!("sku,stock\n{}", "A,1\n".repeat(MAX_BYTES / 4 + 1));
        assert!(read(ImportKind::Stock, &big).unwrap_err().contains("larger than 2 MB"));
        let many = format!("sku,stock\n{}", "A,1\n".repeat(MAX_ROWS + 1));
        assert!(read(ImportKind::Stock, &many).unwrap_err().contains("more than 10000 rows"));
        assert_eq!(read(ImportKind::Stock, &format!("sku,stock\n{}", "A,1\n".repeat(MAX_ROWS))).unwrap().0.rows.len(), MAX_ROWS);
    }

    #[test]
    fn stock_is_a_whole_number_from_zero_to_a_million() {
        assert_eq!(parse_stock(" 12 "), Ok(12));
        assert_eq!(parse_stock("0"), Ok(0));
        assert_eq!(parse_stock("-1"), Err("Stock cannot be negative.".into()));
        assert_eq!(parse_stock("2.5"), Err("Stock must be a whole number, not \"2.5\".".into()));
        assert!(parse_stock("1000001").is_err());
        assert!(parse_stock("").is_err());
    }

    #[test]
    fn status_is_active_draft_or_deleted() {
        assert_eq!(parse_status(" Active "), Ok(Some(Status::Active)));
        assert_eq!(parse_status(""), Ok(None));
        assert!(parse_status("live").is_err());
    }
}
