use super::{Eligibility, Moderation, MyReview, ReviewInput, ReviewStatus, ReviewView, Reviews, StaffReply, StaffReview, StaffReviewRow};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Actor, Change},
    catalog::types::rating_avg_x10,
    error::AppError,
    notifications::server::{self as notifications, ReviewNews},
};
use chrono::{DateTime, Utc};
use sqlx::PgPool;
use uuid::Uuid;

/// A verified purchase: a paid (or later) order of this user with this product.
pub async fn has_purchased(db: &PgPool, user: Uuid, product: Uuid) -> Result<bool, AppError> {
    Ok(sqlx::query_scalar(
        "select exists(select 1 from orders o join order_items oi on oi.order_id = o.id
         where o.user_id = $1 and oi.product_id = $2 and o.status = any($3))",
    )
    .bind(user)
    .bind(product)
    .bind(crate::orders::OrderStatus::names(&crate::orders::OrderStatus::SOLD))
    .fetch_one(db)
    .await?)
}

pub async fn reviews(db: &PgPool, product: Uuid, viewer: Option<Uuid>) -> Result<Reviews, AppError> {
    let distribution: Vec<(i16, i64)> =
        sqlx::query_as("select rating, count(*) from reviews where product_id = $1 and status = 'approved' group by rating")
            .bind(product)
            .fetch_all(db)
            .await?;
    let mut counts = [0i64; 5];
    for (rating, n) in distribution {
        counts[(rating.clamp(1, 5) - 1) as usize] = n;
    }
    let count: i64 = counts.iter().sum();
    let sum: i64 = counts.iter().enumerate().map(|(i, n)| (i as i64 + 1) * n).sum();
    type Row = (Uuid, String, Option<String>, i16, String, String, DateTime<Utc>, i32, Option<String>, Option<DateTime<Utc>>);
    // A deleted account's reviews stay, under "A former customer" and without a picture.
    let rows: Vec<Row> = sqlx::query_as(
        "select r.id,
                case when u.deleted_at is not null then 'A former customer'
                     else coalesce(nullif(split_part(u.name, ' ', 1), ''), 'A customer') end,
                u.avatar_url, r.rating, r.title, r.comment, r.created_at, r.helpful_count, r.reply, r.replied_at
         from reviews r join users u on u.id = r.user_id
         where r.product_id = $1 and r.status = 'approved'
         order by r.helpful_count desc, r.created_at desc limit 20",
    )
    .bind(product)
    .fetch_all(db)
    .await?;
    let eligibility = match viewer {
        None => Eligibility::SignInToReview,
        Some(user) if !has_purchased(db, user, product).await? => Eligibility::NotPurchased,
        Some(user) => {
            let mine: Option<(i16, String, String, String, Option<String>)> =
                sqlx::query_as("select rating, title, comment, status, rejection_reason from reviews where product_id = $1 and user_id = $2")
                    .bind(product)
                    .bind(user)
                    .fetch_optional(db)
                    .await?;
            Eligibility::CanReview(mine.map(|(rating, title, comment, status, rejection_reason)| MyReview {
                rating,
                title,
                comment,
                status: ReviewStatus::parse(&status).unwrap_or(ReviewStatus::Pending),
                rejection_reason,
            }))
        }
    };
    Ok(Reviews {
        average_x10: rating_avg_x10(sum as i32, count as i32),
        count,
        distribution: counts,
        reviews: rows
            .into_iter()
            .map(|(id, author, author_avatar, rating, title, comment, created_at, helpful_count, reply, replied_at)| ReviewView {
                id,
                author,
                author_avatar,
                rating,
                title,
                comment,
                created_at,
                helpful_count,
                reply: reply.zip(replied_at).map(|(text, at)| StaffReply { text, at }),
            })
            .collect(),
        eligibility,
    })
}

pub async fn submit(db: &PgPool, product: Uuid, user: Uuid, input: ReviewInput) -> Result<(), AppError> {
    if !has_purchased(db, user, product).await? {
        return Err(AppError::Rejected("Only customers who bought this product can review it.".into()));
    }
    let mut tx = db.begin().await?;
    sqlx::query(
        "insert into reviews (product_id, user_id, rating, title, comment) values ($1, $2, $3, $4, $5)
         on conflict (product_id, user_id) do update set rating = excluded.rating, title = excluded.title,
             comment = excluded.comment, status = 'pending', rejection_reason = null, moderated_by = null, moderated_at = null",
    )
    .bind(product)
    .bind(user)
    .bind(input.rating)
    .bind(&input.title)
    .bind(&input.comment)
    .execute(&mut *tx)
    .await?;
    refresh_rating(&mut tx, product).await?;
    tx.commit().await?;
    Ok(())
}

/// Keeps the product's rating count and sum (used by listings) equal to its approved reviews.
/// The product row is locked first: the count then runs on a snapshot taken after any other
/// moderation of the same product committed, so two at once cannot both miss the other.
async fn refresh_rating(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, product: Uuid) -> Result<(), AppError> {
    sqlx::query("select 1 from products where id = $1 for no key update").bind(product).execute(&mut **tx).await?;
    sqlx::query(
        "update products set
             rating_count = (select count(*) from reviews where product_id = $1 and status = 'approved'),
             rating_sum = (select coalesce(sum(rating), 0) from reviews where product_id = $1 and status = 'approved')
         where id = $1",
    )
    .bind(product)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

pub async fn vote_helpful(db: &PgPool, review: Uuid, user: Uuid) -> Result<i32, AppError> {
    let author: Option<Uuid> = sqlx::query_scalar("select user_id from reviews where id = $1 and status = 'approved'")
        .bind(review)
        .fetch_optional(db)
        .await?;
    match author {
        None => return Err(AppError::NotFound("This review".into())),
        Some(author) if author == user => return Err(AppError::Rejected("You can't vote for your own review.".into())),
        Some(_) => {}
    }
    sqlx::query("insert into review_helpful_votes (review_id, user_id) values ($1, $2) on conflict do nothing")
        .bind(review)
        .bind(user)
        .execute(db)
        .await?;
    Ok(sqlx::query_scalar(
        "update reviews set helpful_count = (select count(*) from review_helpful_votes where review_id = $1)
         where id = $1 returning helpful_count",
    )
    .bind(review)
    .fetch_one(db)
    .await?)
}

/// Approves, rejects (with the reason its author sees) or reopens a review; the product's
/// rating follows at once. The review row is locked, so two moderators deciding at once are
/// served one after the other and the audit log's "before" is what the second one changed.
/// `Ok(false)` when the review already was in that state (nothing is recorded).
pub async fn moderate(db: &PgPool, review: Uuid, decision: &Moderation, actor: &Actor, now: DateTime<Utc>) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let before: Option<(Uuid, String, Option<String>)> =
        sqlx::query_as("select product_id, status, rejection_reason from reviews where id = $1 for update").bind(review).fetch_optional(&mut *tx).await?;
    let (product, was, old_reason) = before.ok_or_else(|| AppError::NotFound("This review".into()))?;
    let status = decision.status();
    if was == status.as_str() && old_reason.as_deref() == decision.reason() {
        return Ok(false);
    }
    sqlx::query("update reviews set status = $2, rejection_reason = $3, moderated_by = $4, moderated_at = $5 where id = $1")
        .bind(review)
        .bind(status.as_str())
        .bind(decision.reason())
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    refresh_rating(&mut tx, product).await?;
    let change = Change {
        action: decision.action(),
        entity_kind: "review",
        entity_id: review.to_string(),
        before: Some(serde_json::json!({ "status": was, "rejection_reason": old_reason })),
        after: Some(serde_json::json!({ "status": status.as_str(), "rejection_reason": decision.reason() })),
    };
    audit::record(&mut tx, actor, change, now).await?;
    let news = match decision {
        Moderation::Approve => Some(ReviewNews::Approved),
        Moderation::Reject { reason } => Some(ReviewNews::Rejected { reason: Some(reason.clone()) }),
        Moderation::Reopen => None,
    };
    if let Some(news) = news {
        notifications::review_event(&mut tx, review, news, now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Sets (`Some`, already checked by `parse_reply`) or removes (`None`) the shop's public
/// reply under a review. `Ok(false)` when that changed nothing.
pub async fn reply(db: &PgPool, review: Uuid, text: Option<&str>, actor: &Actor, now: DateTime<Utc>) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let before: Option<(Option<String>,)> = sqlx::query_as("select reply from reviews where id = $1 for update").bind(review).fetch_optional(&mut *tx).await?;
    let (old,) = before.ok_or_else(|| AppError::NotFound("This review".into()))?;
    if old.as_deref() == text {
        return Ok(false);
    }
    sqlx::query("update reviews set reply = $2, replied_at = $3, replied_by = $4 where id = $1")
        .bind(review)
        .bind(text)
        .bind(text.map(|_| now))
        .bind(text.map(|_| actor.user_id))
        .execute(&mut *tx)
        .await?;
    let change = Change {
        action: if text.is_some() { "reply" } else { "remove_reply" },
        entity_kind: "review",
        entity_id: review.to_string(),
        before: Some(serde_json::json!({ "reply": old })),
        after: Some(serde_json::json!({ "reply": text })),
    };
    audit::record(&mut tx, actor, change, now).await?;
    if text.is_some() {
        notifications::review_event(&mut tx, review, ReviewNews::Replied, now).await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Characters of a comment the queue shows.
const COMMENT_START: i32 = 140;

type StaffRow = (Uuid, String, String, String, String, i16, String, String, String, DateTime<Utc>, bool);

fn staff_row((id, product_name, product_slug, customer_name, customer_email, rating, title, comment, status, created_at, has_reply): StaffRow) -> StaffReviewRow {
    StaffReviewRow {
        id,
        product_name,
        product_slug,
        customer_name,
        customer_email,
        rating,
        title,
        comment,
        status: ReviewStatus::parse(&status).unwrap_or(ReviewStatus::Pending),
        created_at,
        has_reply,
    }
}

/// The moderation queue for `query`: `q` (product name, customer email or name), `status`,
/// `rating`; pending first and then newest unless a column is chosen.
pub async fn staff_list(db: &PgPool, query: &ListQuery) -> Result<Paged<StaffReviewRow>, sqlx::Error> {
    let (sort, desc) = query.sort_of(&["date", "rating"], ("queue", false));
    let direction = if desc { "desc" } else { "asc" };
    let order = match sort {
        "date" => format!("r.created_at {direction}, r.id {direction}"),
        "rating" => format!("r.rating {direction}, r.created_at desc, r.id desc"),
        _ => "(r.status = 'pending') desc, r.created_at desc, r.id desc".to_owned(),
    };
    let filter = "($1::text is null or p.name ilike '%' || $1 || '%' or u.email ilike '%' || $1 || '%' or u.name ilike '%' || $1 || '%')
        and ($2::text is null or r.status = $2) and ($3::smallint is null or r.rating = $3)";
    let status = query.filter("status").and_then(ReviewStatus::parse).map(ReviewStatus::as_str);
    let rating = query.filter("rating").and_then(|r| r.parse::<i16>().ok()).filter(|r| (1..=5).contains(r));
    let rows: Vec<StaffRow> = sqlx::query_as(&format!(
        "select r.id, p.name, p.slug, u.name, coalesce(u.email::text, ''), r.rating, r.title,
                case when char_length(r.comment) > {COMMENT_START} then left(r.comment, {COMMENT_START}) || '…' else r.comment end,
                r.status, r.created_at, r.reply is not null
         from reviews r join products p on p.id = r.product_id join users u on u.id = r.user_id
         where {filter} order by {order} limit $4 offset $5"
    ))
    .bind(query.search())
    .bind(status)
    .bind(rating)
    .bind(PAGE_SIZE)
    .bind(query.offset())
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!(
        "select count(*) from reviews r join products p on p.id = r.product_id join users u on u.id = r.user_id where {filter}"
    ))
    .bind(query.search())
    .bind(status)
    .bind(rating)
    .fetch_one(db)
    .await?;
    Ok(Paged { rows: rows.into_iter().map(staff_row).collect(), total })
}

/// How many reviews wait for a decision.
pub async fn pending_count(db: &PgPool) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("select count(*) from reviews where status = 'pending'").fetch_one(db).await
}

#[derive(sqlx::FromRow)]
struct ReviewRecord {
    id: Uuid,
    product_id: Uuid,
    product_name: String,
    product_slug: String,
    customer_name: String,
    customer_email: String,
    rating: i16,
    title: String,
    comment: String,
    status: String,
    created_at: DateTime<Utc>,
    helpful_count: i32,
    rejection_reason: Option<String>,
    moderator: Option<String>,
    moderated_at: Option<DateTime<Utc>>,
    reply: Option<String>,
    replied_at: Option<DateTime<Utc>>,
    replied_by: String,
}

/// One review with everything a moderator needs to decide.
pub async fn staff_review(db: &PgPool, id: Uuid) -> Result<Option<StaffReview>, sqlx::Error> {
    let row: Option<ReviewRecord> = sqlx::query_as(
        "select r.id, r.product_id, p.name as product_name, p.slug as product_slug, u.name as customer_name,
                coalesce(u.email::text, '') as customer_email, r.rating, r.title, r.comment, r.status, r.created_at,
                r.helpful_count, r.rejection_reason, coalesce(m.email::text, '') as moderator, r.moderated_at,
                r.reply, r.replied_at, coalesce(rb.email::text, '') as replied_by
         from reviews r join products p on p.id = r.product_id join users u on u.id = r.user_id
         left join users m on m.id = r.moderated_by left join users rb on rb.id = r.replied_by
         where r.id = $1",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|r| StaffReview {
        review: StaffReviewRow {
            id: r.id,
            product_name: r.product_name,
            product_slug: r.product_slug,
            customer_name: r.customer_name,
            customer_email: r.customer_email,
            rating: r.rating,
            title: r.title,
            comment: r.comment,
            status: ReviewStatus::parse(&r.status).unwrap_or(ReviewStatus::Pending),
            created_at: r.created_at,
            has_reply: r.reply.is_some(),
        },
        product_id: r.product_id,
        helpful_count: r.helpful_count,
        rejection_reason: r.rejection_reason,
        moderated: r.moderator.zip(r.moderated_at),
        reply: r.reply.zip(r.replied_at).map(|(text, at)| StaffReply { text, at }),
        replied_by: r.replied_by,
    }))
}
