//! The analytics page's queries (each one statement over the store's own tables, correct for
//! an empty store) and the recording of funnel events.

use super::{BannerFigures, Bucket, Event, FunnelStage, Journal, Period, Ranked, Report, SalesPoint, SignIns};
use crate::{orders::OrderStatus, server::state::AppState};
use chrono::{DateTime, Duration, NaiveDate, NaiveDateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// Who did something, as the funnel counts them: the account when signed in, else the
/// anonymous shopper, else the device.
#[derive(Debug, Clone, Copy, Default)]
pub struct Visitor {
    pub user_id: Option<Uuid>,
    pub anonymous_user_id: Option<Uuid>,
    pub device_id: Option<Uuid>,
}

impl Visitor {
    fn key(self) -> Option<Uuid> {
        self.user_id.or(self.anonymous_user_id).or(self.device_id)
    }
}

/// Writes one funnel event. Callers check consent first (see [`note`] and [`note_visit`]).
pub async fn record(db: &PgPool, visitor: Visitor, event: Event, at: DateTime<Utc>) -> Result<(), sqlx::Error> {
    if visitor.key().is_none() {
        return Ok(());
    }
    sqlx::query("insert into analytics_events (name, device_id, anonymous_user_id, user_id, created_at) values ($1, $2, $3, $4, $5)")
        .bind(event.as_str())
        .bind(visitor.device_id)
        .bind(visitor.anonymous_user_id)
        .bind(visitor.user_id)
        .bind(at)
        .execute(db)
        .await?;
    Ok(())
}

/// Inside a server function: records `event` for the visitor making the request when their
/// consent cookie allows analytics. Never fails the caller.
pub async fn note(event: Event) {
    let Some(parts) = leptos::prelude::use_context::<axum::http::request::Parts>() else { return };
    if !crate::consent::server::choice_from_parts(&parts).is_some_and(|c| c.analytics) {
        return;
    }
    let (Ok(state), Ok(session)) = (crate::server::ctx::state(), crate::server::ctx::session().await) else { return };
    let Ok(data) = session.data().await else { return };
    let visitor = Visitor { user_id: data.user_id, anonymous_user_id: data.anonymous_user_id, device_id: data.device_id };
    if let Err(err) = record(&state.db, visitor, event, state.clock.now()).await {
        tracing::warn!(error = %err, event = event.as_str(), "could not record an analytics event");
    }
}

/// A page seen by a visitor who allowed analytics: the first of each UTC day is a visit.
/// Redis remembers who was counted today, so later pages cost no database write.
pub async fn note_visit(state: &AppState, visitor: Visitor) {
    use fred::{interfaces::KeysInterface, types::{Expiration, SetOptions}};
    let Some(key) = visitor.key() else { return };
    let now = state.clock.now();
    let seen = format!("{}visit:{key}:{}", state.config.redis_prefix, now.date_naive());
    let first: Result<Option<String>, _> = state.redis.set(seen, "1", Some(Expiration::EX(2 * 86_400)), Some(SetOptions::NX), false).await;
    match first {
        Ok(Some(_)) => {
            if let Err(err) = record(&state.db, visitor, Event::Visit, now).await {
                tracing::warn!(error = %err, "could not record a visit");
            }
        }
        Ok(None) => {}
        Err(err) => tracing::warn!(error = %err, "could not check today's visit"),
    }
}

fn start_of(day: NaiveDate) -> NaiveDateTime {
    day.and_hms_opt(0, 0, 0).expect("midnight exists")
}

/// The period as `[from, until)` instants.
fn bounds(period: Period) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of(period.from).and_utc(), start_of(period.to + Duration::days(1)).and_utc())
}

fn sold() -> Vec<&'static str> {
    OrderStatus::names(&OrderStatus::SOLD)
}

/// Sales per day or week: orders paid or further along (not pending, cancelled or refunded)
/// by the day they were placed; every bucket of the period, empty ones as zero.
pub async fn sales(db: &PgPool, period: Period, bucket: Bucket) -> Result<Vec<SalesPoint>, sqlx::Error> {
    let rows: Vec<(NaiveDate, i64, i64)> = sqlx::query_as(
        "with buckets as (
             select generate_series(date_trunc($3, $1::timestamp), $2::timestamp - interval '1 second', ('1 ' || $3)::interval) as start
         )
         select greatest(b.start, $1::timestamp)::date, coalesce(sum(o.total_minor), 0)::bigint, count(o.id)
         from buckets b
         left join orders o on o.status = any($4)
             and o.placed_at >= (greatest(b.start, $1::timestamp) at time zone 'UTC')
             and o.placed_at < (least(b.start + ('1 ' || $3)::interval, $2::timestamp) at time zone 'UTC')
         group by b.start order by b.start",
    )
    .bind(start_of(period.from))
    .bind(start_of(period.to + Duration::days(1)))
    .bind(bucket.as_str())
    .bind(sold())
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(start, revenue_minor, orders)| SalesPoint { start, revenue_minor, orders }).collect())
}

pub async fn ranked(db: &PgPool, period: Period, by_category: bool) -> Result<Vec<Ranked>, sqlx::Error> {
    let (from, until) = bounds(period);
    let sql = if by_category {
        "select c.name, sum(oi.quantity)::bigint, sum(oi.line_total_minor)::bigint
         from order_items oi join orders o on o.id = oi.order_id
         join product_categories pc on pc.product_id = oi.product_id join categories c on c.id = pc.category_id
         where o.status = any($3) and o.placed_at >= $1 and o.placed_at < $2
         group by c.name order by 3 desc, 1 limit 10"
    } else {
        "select oi.product_name, sum(oi.quantity)::bigint, sum(oi.line_total_minor)::bigint
         from order_items oi join orders o on o.id = oi.order_id
         where o.status = any($3) and o.placed_at >= $1 and o.placed_at < $2
         group by oi.product_name order by 3 desc, 1 limit 10"
    };
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(sql).bind(from).bind(until).bind(sold()).fetch_all(db).await?;
    Ok(rows.into_iter().map(|(name, units, revenue_minor)| Ranked { name, units, revenue_minor }).collect())
}

/// The funnel, each stage counted once per visitor and day.
pub async fn funnel(db: &PgPool, period: Period) -> Result<Vec<FunnelStage>, sqlx::Error> {
    let (from, until) = bounds(period);
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "select name, count(distinct (coalesce(user_id, anonymous_user_id, device_id), (created_at at time zone 'UTC')::date))
         from analytics_events where created_at >= $1 and created_at < $2 group by name",
    )
    .bind(from)
    .bind(until)
    .fetch_all(db)
    .await?;
    Ok(Event::FUNNEL
        .iter()
        .map(|e| FunnelStage { label: e.label().to_owned(), count: rows.iter().find(|r| r.0 == e.as_str()).map_or(0, |r| r.1) })
        .collect())
}

pub async fn journal(db: &PgPool, period: Period) -> Result<Journal, sqlx::Error> {
    let (from, until) = bounds(period);
    let (views, likes, reads, average_depth): (i64, i64, i64, Option<f64>) = sqlx::query_as(
        "select (select count(*) from article_views where created_at >= $1 and created_at < $2),
                (select count(*) from article_likes where created_at >= $1 and created_at < $2),
                (select count(*) from article_reads where updated_at >= $1 and updated_at < $2),
                (select avg(scroll_percent)::float8 from article_reads where updated_at >= $1 and updated_at < $2)",
    )
    .bind(from)
    .bind(until)
    .fetch_one(db)
    .await?;
    Ok(Journal { views, likes, reads, average_depth })
}

pub async fn banners(db: &PgPool, period: Period) -> Result<Vec<BannerFigures>, sqlx::Error> {
    let (from, until) = bounds(period);
    let rows: Vec<(String, i64, i64)> = sqlx::query_as(
        "select b.title,
                (select coalesce(sum(i.count), 0)::bigint from banner_impressions i where i.banner_id = b.id and i.day between $3 and $4),
                (select count(*) from banner_clicks k where k.banner_id = b.id and k.created_at >= $1 and k.created_at < $2)
         from banners b order by b.sort_order, b.title",
    )
    .bind(from)
    .bind(until)
    .bind(period.from)
    .bind(period.to)
    .fetch_all(db)
    .await?;
    Ok(rows.into_iter().map(|(title, impressions, clicks)| BannerFigures { title, impressions, clicks }).collect())
}

fn method_label(method: &str) -> &str {
    match method {
        "password" => "Password",
        "email_code" => "Emailed code",
        "phone_code" => "Texted code",
        "magic_link" => "Magic link",
        "google" => "Google",
        "facebook" => "Facebook",
        other => other,
    }
}

pub async fn sign_ins(db: &PgPool, period: Period) -> Result<Vec<SignIns>, sqlx::Error> {
    let (from, until) = bounds(period);
    let rows: Vec<(Option<String>, i64, i64)> = sqlx::query_as(
        "select method, count(*) filter (where status = 'success'), count(*) filter (where status = 'failure')
         from login_events where event_type = 'sign_in' and created_at >= $1 and created_at < $2
         group by method order by 2 desc, 1",
    )
    .bind(from)
    .bind(until)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(method, succeeded, failed)| SignIns { method: method_label(method.as_deref().unwrap_or("unknown")).to_owned(), succeeded, failed })
        .collect())
}

/// Customers who bought in the period: new when their first purchase ever falls in it.
/// A guest is told apart by email, an account by its id.
pub async fn customers(db: &PgPool, period: Period) -> Result<(i64, i64), sqlx::Error> {
    let (from, until) = bounds(period);
    sqlx::query_as(
        "select count(*) filter (where first_at >= $1), count(*) filter (where first_at < $1)
         from (select min(placed_at) as first_at, bool_or(placed_at >= $1) as bought_here
               from orders where status = any($3) and placed_at < $2
               group by coalesce(user_id::text, lower(email::text))) c
         where bought_here",
    )
    .bind(from)
    .bind(until)
    .bind(sold())
    .fetch_one(db)
    .await
}

/// Every figure of the analytics page for `period`.
pub async fn report(db: &PgPool, period: Period) -> Result<Report, sqlx::Error> {
    let bucket = period.bucket();
    let sales = sales(db, period, bucket).await?;
    let mut previous_sales = self::sales(db, period.previous(), bucket).await?;
    // Week buckets of the two periods may differ by one; the chart pairs them by position.
    previous_sales.truncate(sales.len());
    while previous_sales.len() < sales.len() {
        let start = sales[previous_sales.len()].start - Duration::days(period.days());
        previous_sales.push(SalesPoint { start, revenue_minor: 0, orders: 0 });
    }
    let (new_customers, returning_customers) = customers(db, period).await?;
    Ok(Report {
        period,
        bucket,
        sales,
        previous_sales,
        top_products: ranked(db, period, false).await?,
        top_categories: ranked(db, period, true).await?,
        funnel: funnel(db, period).await?,
        journal: journal(db, period).await?,
        banners: banners(db, period).await?,
        sign_ins: sign_ins(db, period).await?,
        new_customers,
        returning_customers,
    })
}
