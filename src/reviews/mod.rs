//! Product reviews: a rating and comment from customers who bought the product (one each,
//! editable), shown once staff approve them, with "helpful" votes.

pub mod components;
#[cfg(feature = "ssr")]
pub mod server;

use crate::error::AppError;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewView {
    pub id: Uuid,
    pub author: String,
    pub rating: i16,
    pub title: String,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    pub helpful_count: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyReview {
    pub rating: i16,
    pub title: String,
    pub comment: String,
    pub status: String,
}

/// What the viewer may do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Eligibility {
    SignInToReview,
    /// Signed in but has not bought this product.
    NotPurchased,
    CanReview(Option<MyReview>),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reviews {
    pub average_x10: i32,
    pub count: i64,
    /// Approved reviews per star, index 0 = one star.
    pub distribution: [i64; 5],
    pub reviews: Vec<ReviewView>,
    pub eligibility: Eligibility,
}

/// A review as typed, checked before anything is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReviewInput {
    pub rating: i16,
    pub title: String,
    pub comment: String,
}

impl ReviewInput {
    pub fn parse(rating: i16, title: &str, comment: &str) -> Result<Self, AppError> {
        let mut errors = crate::error::FieldErrors::new();
        if !(1..=5).contains(&rating) {
            errors.add("rating", "Choose a rating from 1 to 5 stars.");
        }
        let (title, comment) = (title.trim(), comment.trim());
        if title.chars().count() > 120 {
            errors.add("title", "Keep the title under 120 characters.");
        }
        if comment.chars().count() < 10 {
            errors.add("comment", "Tell other shoppers a little more (at least 10 characters).");
        } else if comment.chars().count() > 2000 {
            errors.add("comment", "Keep the review under 2000 characters.");
        }
        errors.into_result()?;
        Ok(Self { rating, title: title.to_owned(), comment: comment.to_owned() })
    }
}

#[server(endpoint = "reviews/list")]
pub async fn get_reviews(product_id: Uuid) -> Result<Reviews, AppError> {
    use crate::server::ctx;
    ctx::respond(async move {
        let user = ctx::session().await?.data().await.ok().and_then(|d| d.user_id);
        server::reviews(&ctx::state()?.db, product_id, user).await
    })
    .await
}

/// Creates or edits the viewer's review; it waits for approval again after an edit.
#[server(endpoint = "reviews/submit")]
/// Posted without JavaScript and without a star chosen, `rating` is absent: 0, refused
/// beside the stars.
pub async fn submit_review(
    product_id: Uuid,
    #[server(default)] rating: i16,
    title: String,
    comment: String,
) -> Result<(), AppError> {
    use crate::{
        auth::server::require_user,
        forms::server::{finish, Then},
        server::ctx,
    };
    let typed = [rating.to_string(), title.clone(), comment.clone()];
    let result = ctx::respond(async move {
        let user = require_user().await?;
        let input = ReviewInput::parse(rating, &title, &comment)?;
        server::submit(&ctx::state()?.db, product_id, user, input).await
    })
    .await;
    let values = [("rating", typed[0].as_str()), ("title", typed[1].as_str()), ("comment", typed[2].as_str())];
    finish("review", &values, None, result, |_| Then::Stay { step: None, notice: Some(REVIEW_SAVED.to_owned()) }).await
}

pub const REVIEW_SAVED: &str = "Thanks! Your review will appear once our team has checked it.";

#[server(endpoint = "reviews/helpful")]
pub async fn vote_helpful(review_id: Uuid) -> Result<i32, AppError> {
    use crate::{
        auth::server::require_user,
        forms::server::{finish, Then},
        server::ctx,
    };
    let result = ctx::respond(async move {
        let user = require_user().await?;
        server::vote_helpful(&ctx::state()?.db, review_id, user).await
    })
    .await;
    finish("helpful", &[], None, result, |_| Then::Return).await
}

/// Staff approve or reject a review (admins only: reviews are part of the shop's records).
#[server(endpoint = "reviews/moderate")]
pub async fn moderate_review(review_id: Uuid, approve: bool) -> Result<(), AppError> {
    use crate::{auth::{server::require_permission, Permission}, server::ctx};
    ctx::respond(async move {
        let (staff, _) = require_permission(Permission::ManageCustomers).await?;
        let state = ctx::state()?;
        let actor = crate::audit::server::Actor::of_request(staff, state.config.trust_proxy);
        server::moderate(&state.db, review_id, approve, &actor, state.clock.now()).await
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::ReviewInput;

    #[test]
    fn review_input_rules() {
        assert!(ReviewInput::parse(5, "Great", "Fits perfectly and washes well.").is_ok());
        let err = ReviewInput::parse(6, &"x".repeat(121), "short").unwrap_err();
        for field in ["rating", "title", "comment"] {
            assert!(err.field_error(field).is_some(), "{field}");
        }
        assert!(ReviewInput::parse(0, "", "Long enough comment").is_err());
    }
}
