use super::{Eligibility, MyReview, ReviewInput, ReviewView, Reviews};
use crate::{catalog::types::rating_avg_x10, error::AppError};
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
    let rows: Vec<(Uuid, String, i16, String, String, chrono::DateTime<chrono::Utc>, i32)> = sqlx::query_as(
        "select r.id, coalesce(nullif(split_part(u.name, ' ', 1), ''), 'A customer'), r.rating, r.title, r.comment,
                r.created_at, r.helpful_count
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
            let mine: Option<(i16, String, String, String)> =
                sqlx::query_as("select rating, title, comment, status from reviews where product_id = $1 and user_id = $2")
                    .bind(product)
                    .bind(user)
                    .fetch_optional(db)
                    .await?;
            Eligibility::CanReview(mine.map(|(rating, title, comment, status)| MyReview { rating, title, comment, status }))
        }
    };
    Ok(Reviews {
        average_x10: rating_avg_x10(sum as i32, count as i32),
        count,
        distribution: counts,
        reviews: rows
            .into_iter()
            .map(|(id, author, rating, title, comment, created_at, helpful_count)| ReviewView {
                id,
                author,
                rating,
                title,
                comment,
                created_at,
                helpful_count,
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
             comment = excluded.comment, status = 'pending', moderated_by = null, moderated_at = null",
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
async fn refresh_rating(tx: &mut sqlx::Transaction<'_, sqlx::Postgres>, product: Uuid) -> Result<(), AppError> {
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

pub async fn moderate(db: &PgPool, review: Uuid, approve: bool, actor: &crate::audit::server::Actor, now: chrono::DateTime<chrono::Utc>) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let before: Option<(Uuid, String)> = sqlx::query_as("select product_id, status from reviews where id = $1 for update").bind(review).fetch_optional(&mut *tx).await?;
    let (product, was) = before.ok_or_else(|| AppError::NotFound("This review".into()))?;
    let status = if approve { "approved" } else { "rejected" };
    sqlx::query("update reviews set status = $2, moderated_by = $3, moderated_at = $4 where id = $1")
        .bind(review)
        .bind(status)
        .bind(actor.user_id)
        .bind(now)
        .execute(&mut *tx)
        .await?;
    refresh_rating(&mut tx, product).await?;
    let change = crate::audit::server::Change {
        action: if approve { "approve" } else { "reject" },
        entity_kind: "review",
        entity_id: review.to_string(),
        before: Some(serde_json::json!({ "status": was })),
        after: Some(serde_json::json!({ "status": status })),
    };
    crate::audit::server::record(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok(())
}
