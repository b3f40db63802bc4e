//! Coupons in the database (ssr only): reading one by code with this shopper's uses of it.

use super::{CouponKind, CouponRefusal, CouponTerms};
use crate::error::AppError;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;
use uuid::Uuid;

/// A coupon as checkout applies it: its id, terms and this shopper's uses so far.
pub struct AppliedCoupon {
    pub id: Uuid,
    pub terms: CouponTerms,
    pub uses_by_shopper: i64,
}

/// Reads a coupon by code (case-insensitive). `lock` holds its row until the transaction
/// ends, so two orders racing for its last use are served one after the other.
pub async fn by_code(conn: &mut PgConnection, code: &str, user_id: Uuid, lock: bool) -> Result<Option<AppliedCoupon>, sqlx::Error> {
    let sql = format!(
        "select id, kind, value, currency::text, min_order_minor, starts_at, expires_at, usage_limit, per_user_limit, times_used, is_active
         from coupons where code = $1::citext {}",
        if lock { "for update" } else { "" }
    );
    let row: Option<(Uuid, String, i64, String, i64, Option<DateTime<Utc>>, Option<DateTime<Utc>>, Option<i32>, Option<i32>, i32, bool)> =
        sqlx::query_as(&sql).bind(code.trim()).fetch_optional(&mut *conn).await?;
    let Some((id, kind, value, currency, min_order_minor, starts_at, expires_at, usage_limit, per_user_limit, times_used, is_active)) = row else {
        return Ok(None);
    };
    let Some(kind) = CouponKind::parse(&kind) else { return Ok(None) };
    let uses_by_shopper: i64 = sqlx::query_scalar(
        "select count(*) from coupon_redemptions r join orders o on o.id = r.order_id
         where r.coupon_id = $1 and r.user_id = $2 and o.status <> 'cancelled'",
    )
    .bind(id)
    .bind(user_id)
    .fetch_one(&mut *conn)
    .await?;
    Ok(Some(AppliedCoupon {
        id,
        terms: CouponTerms { kind, value, currency, min_order_minor, starts_at, expires_at, usage_limit, per_user_limit, times_used, is_active },
        uses_by_shopper,
    }))
}

/// The discount a code gives on `subtotal_minor`, or a message for the `coupon` field.
pub fn discount_for(applied: Option<&AppliedCoupon>, now: DateTime<Utc>, subtotal_minor: i64, currency: &str) -> Result<i64, AppError> {
    let refused = |r: CouponRefusal| AppError::field("coupon", r.message(currency));
    match applied {
        None => Err(refused(CouponRefusal::Unknown)),
        Some(c) => c.terms.discount(now, subtotal_minor, currency, c.uses_by_shopper).map_err(refused),
    }
}
