//! Product reviews: a rating and comment from customers who bought the product (one each,
//! editable), shown once staff approve them, with "helpful" votes and the shop's reply. A
//! rejected review tells its author why.

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
    /// The author's profile picture (256-pixel JPEG), when they have one.
    #[serde(default)]
    pub author_avatar: Option<String>,
    pub rating: i16,
    pub title: String,
    pub comment: String,
    pub created_at: DateTime<Utc>,
    pub helpful_count: i32,
    /// The shop's public answer.
    pub reply: Option<StaffReply>,
}

/// What staff answered under a review, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffReply {
    pub text: String,
    pub at: DateTime<Utc>,
}

crate::text_enum! {
    /// A review's moderation state (`reviews.status`): shown to shoppers only once approved.
    pub enum ReviewStatus {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MyReview {
    pub rating: i16,
    pub title: String,
    pub comment: String,
    pub status: ReviewStatus,
    /// Why staff did not publish it (only while rejected).
    pub rejection_reason: Option<String>,
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

/// Longest rejection reason and reply staff may write (the schema holds the same bounds).
pub const REASON_MAX: usize = 500;
pub const REPLY_MAX: usize = 2000;

/// A moderator's decision on a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Moderation {
    Approve,
    /// Not published; the reason is shown to the review's author.
    Reject { reason: String },
    /// Back to the queue: an approval or a rejection taken back.
    Reopen,
}

impl Moderation {
    /// A rejection with its reason as typed: required, so the author learns why.
    pub fn reject(reason: &str) -> Result<Self, AppError> {
        let mut errors = crate::error::FieldErrors::new();
        let reason = errors.text("reason", reason, REASON_MAX, Some("Say why, so the customer can fix their review."));
        errors.into_result()?;
        Ok(Self::Reject { reason })
    }

    pub fn status(&self) -> ReviewStatus {
        match self {
            Self::Approve => ReviewStatus::Approved,
            Self::Reject { .. } => ReviewStatus::Rejected,
            Self::Reopen => ReviewStatus::Pending,
        }
    }

    pub fn reason(&self) -> Option<&str> {
        match self {
            Self::Reject { reason } => Some(reason),
            _ => None,
        }
    }

    /// The audit log's name for it.
    pub fn action(&self) -> &'static str {
        match self {
            Self::Approve => "approve",
            Self::Reject { .. } => "reject",
            Self::Reopen => "reopen",
        }
    }
}

/// Staff's public reply as typed: trimmed, required, bounded.
pub fn parse_reply(text: &str) -> Result<String, AppError> {
    let mut errors = crate::error::FieldErrors::new();
    let text = errors.text("reply", text, REPLY_MAX, Some("Write a reply, or remove the one shown."));
    errors.into_result()?;
    Ok(text)
}

/// One review in the staff moderation queue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffReviewRow {
    pub id: Uuid,
    pub product_name: String,
    pub product_slug: String,
    pub customer_name: String,
    pub customer_email: String,
    pub rating: i16,
    pub title: String,
    /// The start of the comment in the list, all of it on the review's own page.
    pub comment: String,
    pub status: ReviewStatus,
    pub created_at: DateTime<Utc>,
    pub has_reply: bool,
}

/// One review as staff moderate it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffReview {
    pub review: StaffReviewRow,
    pub product_id: Uuid,
    pub helpful_count: i32,
    pub rejection_reason: Option<String>,
    /// Who decided last (their email, empty once the account is gone) and when.
    pub moderated: Option<(String, DateTime<Utc>)>,
    pub reply: Option<StaffReply>,
    pub replied_by: String,
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

#[cfg(test)]
mod tests {
    use super::{parse_reply, Moderation, ReviewInput, ReviewStatus, REASON_MAX, REPLY_MAX};

    #[test]
    fn review_input_rules() {
        assert!(ReviewInput::parse(5, "Great", "Fits perfectly and washes well.").is_ok());
        let err = ReviewInput::parse(6, &"x".repeat(121), "short").unwrap_err();
        for field in ["rating", "title", "comment"] {
            assert!(err.field_error(field).is_some(), "{field}");
        }
        assert!(ReviewInput::parse(0, "", "Long enough comment").is_err());
    }

    #[test]
    fn a_rejection_needs_its_reason_and_a_reply_its_text() {
        assert_eq!(Moderation::reject("  Please leave out the order number.  "), Ok(Moderation::Reject { reason: "Please leave out the order number.".into() }));
        for bad in ["", "   ", &"x".repeat(REASON_MAX + 1)] {
            assert!(Moderation::reject(bad).unwrap_err().field_error("reason").is_some(), "{bad:?}");
        }
        assert_eq!(Moderation::reject("Spam").unwrap().status(), ReviewStatus::Rejected);
        assert_eq!(Moderation::reject("Spam").unwrap().reason(), Some("Spam"));
        assert_eq!(Moderation::Approve.reason(), None);
        assert_eq!(Moderation::Reopen.status(), ReviewStatus::Pending);
        assert_eq!(parse_reply(" Thank you! "), Ok("Thank you!".into()));
        assert!(parse_reply(" ").unwrap_err().field_error("reply").is_some());
        assert!(parse_reply(&"é".repeat(REPLY_MAX + 1)).is_err());
        assert!(parse_reply(&"é".repeat(REPLY_MAX)).is_ok(), "characters, not bytes");
    }
}
