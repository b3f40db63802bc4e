//! Staff changes to coupons (server only): the list, the editor with the orders that used a
//! code, create and edit, switching on and off, and deleting a code no order used. Every
//! change locks the coupon's row (checkout locks it too while placing an order) and is
//! written with its audit entry in one transaction.

use super::{CouponEditor, CouponFields, CouponInput, CouponKind, Redemption, StaffCoupon};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Actor, Change},
    error::AppError,
};
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// The currency a new code's amounts are in: the one the catalogue is priced in (the
/// `products.currency` default). A code only applies to prices in its own currency.
pub const NEW_COUPON_CURRENCY: &str = "USD";

const COLUMNS: &str = "c.id, c.code::text, c.description, c.kind, c.value, c.currency::text, c.min_order_minor, c.starts_at, c.expires_at,
    c.usage_limit, c.per_user_limit, c.times_used, c.is_active";

#[derive(sqlx::FromRow)]
struct CouponRow {
    id: Uuid,
    code: String,
    description: String,
    kind: String,
    value: i64,
    currency: String,
    min_order_minor: i64,
    starts_at: Option<DateTime<Utc>>,
    expires_at: Option<DateTime<Utc>>,
    usage_limit: Option<i32>,
    per_user_limit: Option<i32>,
    times_used: i32,
    is_active: bool,
}

impl From<CouponRow> for StaffCoupon {
    fn from(r: CouponRow) -> Self {
        Self {
            id: r.id,
            code: r.code,
            description: r.description,
            // The schema allows only the two kinds.
            kind: CouponKind::parse(&r.kind).unwrap_or(CouponKind::Percent),
            value: r.value,
            currency: r.currency,
            min_order_minor: r.min_order_minor,
            starts_at: r.starts_at,
            expires_at: r.expires_at,
            usage_limit: r.usage_limit,
            per_user_limit: r.per_user_limit,
            times_used: r.times_used,
            is_active: r.is_active,
        }
    }
}

/// The columns the staff list sorts by, and the SQL of each.
const SORTS: [(&str, &str); 4] = [("code", "c.code"), ("used", "c.times_used"), ("expires", "c.expires_at"), ("created", "c.created_at")];

/// One page of the coupon list for `query`: `q` (part of the code), `status` (active,
/// inactive, expired) at `now`; newest first unless a column is chosen.
pub async fn list(db: &PgPool, query: &ListQuery, now: DateTime<Utc>) -> Result<Paged<StaffCoupon>, sqlx::Error> {
    let names: Vec<&str> = SORTS.iter().map(|(k, _)| *k).collect();
    let (sort, desc) = query.sort_of(&names, ("created", true));
    let column = SORTS.iter().find(|(k, _)| *k == sort).map_or("c.created_at", |(_, c)| c);
    let direction = if desc { "desc nulls last" } else { "asc nulls last" };
    let id_direction = if desc { "desc" } else { "asc" };
    let filter = "($1::text is null or c.code::text ilike '%' || $1 || '%')
        and (case $2::text when 'active' then c.is_active and (c.expires_at is null or c.expires_at > $3)
                           when 'inactive' then not c.is_active
                           when 'expired' then c.expires_at <= $3
                           else true end)";
    let rows: Vec<CouponRow> = sqlx::query_as(&format!(
        "select {COLUMNS} from coupons c where {filter} order by {column} {direction}, c.id {id_direction} limit $4 offset $5"
    ))
    .bind(query.search())
    .bind(query.filter("status"))
    .bind(now)
    .bind(PAGE_SIZE)
    .bind(query.offset())
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from coupons c where {filter}"))
        .bind(query.search())
        .bind(query.filter("status"))
        .bind(now)
        .fetch_one(db)
        .await?;
    Ok(Paged { rows: rows.into_iter().map(StaffCoupon::from).collect(), total })
}

async fn coupon(conn: &mut PgConnection, id: Uuid, lock: bool) -> Result<Option<StaffCoupon>, sqlx::Error> {
    let sql = format!("select {COLUMNS} from coupons c where c.id = $1 {}", if lock { "for update" } else { "" });
    Ok(sqlx::query_as::<_, CouponRow>(&sql).bind(id).fetch_optional(conn).await?.map(StaffCoupon::from))
}

/// The orders that used a coupon, newest first, cancelled ones included (marked as such).
pub async fn redemptions(db: &PgPool, coupon: Uuid) -> Result<Vec<Redemption>, sqlx::Error> {
    let rows: Vec<(i64, String, String, i64, String, DateTime<Utc>)> = sqlx::query_as(
        "select o.number, o.status, o.email::text, r.discount_minor, o.currency::text, r.created_at
         from coupon_redemptions r join orders o on o.id = r.order_id
         where r.coupon_id = $1 order by r.created_at desc, r.id desc limit 500",
    )
    .bind(coupon)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(order_number, order_status, email, discount_minor, currency, at)| Redemption { order_number, order_status, email, discount_minor, currency, at })
        .collect())
}

/// Whether any order ever named the coupon (a cancelled one too: its record keeps the code).
async fn ever_used(conn: &mut PgConnection, coupon: Uuid) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "select exists(select 1 from coupon_redemptions where coupon_id = $1) or exists(select 1 from orders where coupon_id = $1)",
    )
    .bind(coupon)
    .fetch_one(conn)
    .await
}

/// The editor for a coupon (`None` when there is none), or a blank one for a new code.
pub async fn editor(db: &PgPool, id: Option<Uuid>, now: DateTime<Utc>) -> Result<Option<CouponEditor>, sqlx::Error> {
    let Some(id) = id else {
        return Ok(Some(CouponEditor { coupon: None, currency: NEW_COUPON_CURRENCY.into(), redemptions: Vec::new(), deletable: false, now }));
    };
    let mut conn = db.acquire().await?;
    let Some(coupon) = coupon(&mut conn, id, false).await? else { return Ok(None) };
    let deletable = !ever_used(&mut conn, id).await?;
    drop(conn);
    Ok(Some(CouponEditor { currency: coupon.currency.clone(), coupon: Some(coupon), redemptions: redemptions(db, id).await?, deletable, now }))
}

fn snapshot(c: &CouponFields, currency: &str) -> serde_json::Value {
    serde_json::json!({
        "code": c.code,
        "description": c.description,
        "kind": c.kind.as_str(),
        "value": c.value,
        "currency": currency,
        "min_order_minor": c.min_order_minor,
        "starts_at": c.starts_at,
        "expires_at": c.expires_at,
        "usage_limit": c.usage_limit,
        "per_user_limit": c.per_user_limit,
        "is_active": c.is_active,
    })
}

const CODE_TAKEN: &str = "Another coupon already has this code (codes ignore upper and lower case).";

fn code_taken() -> AppError {
    AppError::field("code", CODE_TAKEN)
}

async fn is_taken(conn: &mut PgConnection, code: &str, id: Option<Uuid>) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar("select exists(select 1 from coupons where code = $1::citext and id is distinct from $2)").bind(code).bind(id).fetch_one(conn).await
}

/// The form's rules (`CouponInput::parse`) and whether another coupon (`id`: the one being
/// edited) has the code, all in one answer so every message shows at once. `save` checks
/// the code again in its transaction.
pub async fn validate(db: &PgPool, id: Option<Uuid>, input: &CouponInput) -> Result<CouponFields, AppError> {
    let parsed = input.parse();
    let code = input.code.trim();
    let taken = !code.is_empty() && is_taken(&mut *db.acquire().await?, code, id).await?;
    match (parsed, taken) {
        (Ok(fields), false) => Ok(fields),
        (Ok(_), true) => Err(code_taken()),
        (Err(AppError::Validation(mut errors)), true) => {
            if errors.get("code").is_none() {
                errors.add("code", CODE_TAKEN);
            }
            Err(AppError::Validation(errors))
        }
        (Err(error), _) => Err(error),
    }
}

/// A unique violation on the code, from a save that raced another one for it.
fn code_conflict(err: sqlx::Error) -> AppError {
    match err.as_database_error().and_then(|e| e.constraint()) {
        Some("coupons_code_key") => code_taken(),
        _ => err.into(),
    }
}

/// Creates (`id` none) or updates a coupon from checked fields. On an update the total
/// limit is checked against the uses made, under the row lock checkout takes too.
pub async fn save(db: &PgPool, actor: &Actor, id: Option<Uuid>, fields: &CouponFields, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let mut tx = db.begin().await?;
    if is_taken(&mut tx, &fields.code, id).await? {
        return Err(code_taken());
    }
    let (id, action, before, currency) = match id {
        None => {
            let id: Uuid = sqlx::query_scalar(
                "insert into coupons (code, description, kind, value, currency, min_order_minor, starts_at, expires_at, usage_limit,
                                      per_user_limit, is_active)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) returning id",
            )
            .bind(&fields.code)
            .bind(&fields.description)
            .bind(fields.kind.as_str())
            .bind(fields.value)
            .bind(NEW_COUPON_CURRENCY)
            .bind(fields.min_order_minor)
            .bind(fields.starts_at)
            .bind(fields.expires_at)
            .bind(fields.usage_limit)
            .bind(fields.per_user_limit)
            .bind(fields.is_active)
            .fetch_one(&mut *tx)
            .await
            .map_err(code_conflict)?;
            (id, "create", None, NEW_COUPON_CURRENCY.to_owned())
        }
        Some(id) => {
            let old = coupon(&mut tx, id, true).await?.ok_or_else(|| AppError::NotFound("That coupon".into()))?;
            fields.check_used(old.times_used)?;
            sqlx::query(
                "update coupons set code = $2, description = $3, kind = $4, value = $5, min_order_minor = $6, starts_at = $7,
                                    expires_at = $8, usage_limit = $9, per_user_limit = $10, is_active = $11
                 where id = $1",
            )
            .bind(id)
            .bind(&fields.code)
            .bind(&fields.description)
            .bind(fields.kind.as_str())
            .bind(fields.value)
            .bind(fields.min_order_minor)
            .bind(fields.starts_at)
            .bind(fields.expires_at)
            .bind(fields.usage_limit)
            .bind(fields.per_user_limit)
            .bind(fields.is_active)
            .execute(&mut *tx)
            .await
            .map_err(code_conflict)?;
            (id, "update", Some(snapshot(&old.fields(), &old.currency)), old.currency)
        }
    };
    let change = Change { action, entity_kind: "coupon", entity_id: id.to_string(), before, after: Some(snapshot(fields, &currency)) };
    audit::record(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok(id)
}

/// Switches coupons on or off; each one that changed is audited. Returns how many changed
/// (ids that do not exist are skipped).
pub async fn set_active(db: &PgPool, actor: &Actor, ids: &[Uuid], active: bool, now: DateTime<Utc>) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    // One lock order for every caller, so two bulk changes cannot deadlock.
    let changed: Vec<Uuid> = sqlx::query_scalar(
        "with locked as (select id from coupons where id = any($1) and is_active <> $2 order by id for update)
         update coupons c set is_active = $2 from locked where c.id = locked.id returning c.id",
    )
    .bind(ids)
    .bind(active)
    .fetch_all(&mut *tx)
    .await?;
    for id in &changed {
        let change = Change {
            action: if active { "activate" } else { "deactivate" },
            entity_kind: "coupon",
            entity_id: id.to_string(),
            before: Some(serde_json::json!({ "is_active": !active })),
            after: Some(serde_json::json!({ "is_active": active })),
        };
        audit::record(&mut tx, actor, change, now).await?;
    }
    tx.commit().await?;
    Ok(changed.len())
}

/// Deletes a coupon that no order ever used; one that was used stays (orders and their
/// redemptions name it) and can only be switched off.
pub async fn delete(db: &PgPool, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let old = coupon(&mut tx, id, true).await?.ok_or_else(|| AppError::NotFound("That coupon".into()))?;
    if ever_used(&mut tx, id).await? {
        return Err(AppError::Conflict("Orders used this code, so it stays on record. Deactivate it instead.".into()));
    }
    sqlx::query("delete from coupons where id = $1").bind(id).execute(&mut *tx).await?;
    let change = Change { action: "delete", entity_kind: "coupon", entity_id: id.to_string(), before: Some(snapshot(&old.fields(), &old.currency)), after: None };
    audit::record(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok(())
}
