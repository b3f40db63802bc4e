//! Work done after the request, from a queue in PostgreSQL: enqueued in the same
//! transaction as the change that calls for it, so a job exists exactly when its change
//! committed. Workers on any number of instances claim due jobs with `for update skip
//! locked` and lease them; a failure is retried with growing pauses, and a crash leaves the
//! lease to run out so another worker picks the job up.

use super::state::AppState;
use crate::{error::AppError, orders::server::OrderEmail};
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgConnection;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "payload", rename_all = "snake_case")]
pub enum Job {
    OrderEmail { order_id: Uuid, event: OrderEmail },
    /// Gives back all that is left of a card payment.
    RefundCardPayment { payment_intent: String, reason: String },
}

impl Job {
    fn kind(&self) -> &'static str {
        match self {
            Self::OrderEmail { .. } => "order_email",
            Self::RefundCardPayment { .. } => "refund_card_payment",
        }
    }
}

/// How long a claimed job is left alone before another worker may take it.
const LEASE: Duration = Duration::minutes(5);
const BATCH: i64 = 10;

/// The `kind` and `payload` columns of a job, for statements that insert it themselves.
pub fn row(job: &Job) -> Result<(&'static str, serde_json::Value), AppError> {
    Ok((job.kind(), serde_json::to_value(job).map_err(AppError::internal)?))
}

pub async fn enqueue(conn: &mut PgConnection, job: Job, now: DateTime<Utc>) -> Result<(), AppError> {
    let (kind, payload) = row(&job)?;
    sqlx::query("insert into jobs (kind, payload, run_at) values ($1, $2, $3)")
        .bind(kind)
        .bind(payload)
        .bind(now)
        .execute(conn)
        .await?;
    Ok(())
}

/// The pause before retry `attempt` (1-based): 30 s, 1 min, 2 min … up to an hour.
pub fn backoff(attempt: i32) -> Duration {
    let secs = 30i64.saturating_mul(1i64 << attempt.clamp(1, 8).saturating_sub(1));
    Duration::seconds(secs.min(3600))
}

/// Claims and runs the jobs due now; returns how many ran (successfully or not).
pub async fn run_due(state: &AppState) -> Result<usize, AppError> {
    let now = state.clock.now();
    let claimed: Vec<(Uuid, serde_json::Value, i32, i32)> = sqlx::query_as(
        "with due as (
             select id from jobs where done_at is null and failed_at is null and run_at <= $1
             order by run_at limit $2 for update skip locked)
         update jobs j set run_at = $1 + $3 * interval '1 second', attempts = j.attempts + 1
         from due where j.id = due.id
         returning j.id, j.payload, j.attempts, j.max_attempts",
    )
    .bind(now)
    .bind(BATCH)
    .bind(LEASE.num_seconds() as f64)
    .fetch_all(&state.db)
    .await?;
    let count = claimed.len();
    for (id, payload, attempts, max_attempts) in claimed {
        let outcome = match serde_json::from_value::<Job>(payload) {
            Ok(job) => perform(state, job).await,
            Err(e) => Err(anyhow::anyhow!("unreadable job: {e}")),
        };
        let now = state.clock.now();
        match outcome {
            Ok(()) => {
                sqlx::query("update jobs set done_at = $2, last_error = null where id = $1").bind(id).bind(now).execute(&state.db).await?;
            }
            Err(error) => {
                let give_up = attempts >= max_attempts;
                tracing::warn!(job = %id, attempts, give_up, error = %format!("{error:#}"), "job failed");
                sqlx::query(
                    "update jobs set last_error = $2, run_at = $3, failed_at = case when $4 then $5 else null end where id = $1",
                )
                .bind(id)
                .bind(format!("{error:#}"))
                .bind(now + backoff(attempts))
                .bind(give_up)
                .bind(now)
                .execute(&state.db)
                .await?;
            }
        }
    }
    Ok(count)
}

#[tracing::instrument(skip(state))]
async fn perform(state: &AppState, job: Job) -> anyhow::Result<()> {
    match job {
        Job::OrderEmail { order_id, event } => crate::orders::emails::send(state, order_id, event).await,
        Job::RefundCardPayment { payment_intent, reason } => Ok(crate::payments::server::refund_in_full(state, &payment_intent, &reason).await?),
    }
}

/// The background loop of one instance: due jobs, and unpaid orders whose hold ran out.
pub fn spawn_worker(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(2));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            if let Err(e) = crate::orders::server::release_expired(&state.db, state.clock.now()).await {
                tracing::warn!(error = %e, "releasing unpaid orders failed");
            }
            // Drain what is due before sleeping again.
            loop {
                match run_due(&state).await {
                    Ok(n) if n as i64 == BATCH => continue,
                    Ok(_) => break,
                    Err(e) => {
                        tracing::warn!(error = %e, "job queue unavailable");
                        break;
                    }
                }
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_longer_each_time_up_to_an_hour() {
        let waits: Vec<i64> = (1..=10).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(&waits[..5], &[30, 60, 120, 240, 480]);
        assert!(waits.windows(2).all(|w| w[0] <= w[1]));
        assert_eq!(*waits.last().unwrap(), 3600);
    }

    #[test]
    fn jobs_serialise_with_their_kind() {
        let job = Job::OrderEmail { order_id: Uuid::nil(), event: OrderEmail::Placed };
        let value = serde_json::to_value(&job).unwrap();
        assert_eq!(value["kind"], "order_email");
        assert_eq!(serde_json::from_value::<Job>(value).unwrap(), job);
    }
}
