//! Work done after the request, from a queue in PostgreSQL: enqueued in the same
//! transaction as the change that calls for it, so a job exists exactly when its change
//! committed. Workers on any number of instances claim due jobs one at a time with `for
//! update skip locked`, each under its own lease, and run each in a task of its own with a
//! time limit shorter than the lease: a job that fails, panics or hangs counts as a failed
//! attempt and is retried with growing pauses; a crash leaves the lease to run out so
//! another worker picks the job up. A job out of attempts is parked (`failed_at`), logged
//! at error level and listed by [`failed`]; it is never claimed again.
//!
//! What a job does is not known here: domains register a handler per job kind in the
//! [`JobRegistry`] the application state carries (see `startup::job_registry`).

pub mod registry;

pub use registry::{Job, JobRegistry, Queued};

use super::state::AppState;
use crate::error::AppError;
use chrono::{DateTime, Duration, Utc};
use sqlx::{PgConnection, PgPool};
use std::future::Future;
use tracing::Instrument;
use uuid::Uuid;

/// How long a claimed job is left alone before another worker may take it.
const LEASE: Duration = Duration::minutes(5);
/// A job still running after this long is stopped and counted as failed, so it always ends
/// (or is abandoned) while its lease still holds and no other worker can start it twice.
const JOB_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(4 * 60);
/// Jobs one [`run_due`] runs before returning, so the worker also gets to its tick work.
const BATCH: usize = 10;
/// The worker's pace, and how often it shows a sign of life while a job runs.
const TICK: std::time::Duration = std::time::Duration::from_secs(2);
/// The pause before a worker loop that stopped or panicked is started again.
const RESTART_PAUSE: std::time::Duration = std::time::Duration::from_secs(5);

/// The `kind` and `payload` columns of a job, for statements that insert it themselves.
pub fn row<J: Job>(job: &J) -> Result<(&'static str, serde_json::Value), AppError> {
    Ok((J::KIND, Queued::new(job).map_err(AppError::internal)?.stored()))
}

pub async fn enqueue<J: Job>(conn: &mut PgConnection, job: J, now: DateTime<Utc>) -> Result<(), AppError> {
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

/// Claims and runs the jobs due now, up to a batch, each by the handler registered for its
/// kind; returns how many ran (successfully or not).
pub async fn run_due(state: &AppState) -> Result<usize, AppError> {
    run_due_with(state, |state, job| {
        let span = tracing::info_span!("job", kind = %job.kind);
        let registry = state.jobs.clone();
        registry.run(state, job).instrument(span)
    })
    .await
}

/// [`run_due`] with the handler as a parameter (tests give one that fails, panics or
/// takes its time). Each job is claimed by a statement of its own, so its lease starts
/// when it starts, and runs in a task of its own, so a panic is a failed attempt.
pub async fn run_due_with<F, Fut>(state: &AppState, handler: F) -> Result<usize, AppError>
where
    F: Fn(AppState, Queued) -> Fut,
    Fut: Future<Output = anyhow::Result<()>> + Send + 'static,
{
    park_abandoned(state).await?;
    let mut ran = 0;
    while ran < BATCH && !state.worker.is_stopping() {
        let Some(claim) = claim(state).await? else { break };
        ran += 1;
        state.worker.hold(Some((claim.id, claim.attempts)));
        let outcome = match Queued::from_stored(claim.payload.clone()) {
            Ok(job) => run_isolated(state, handler(state.clone(), job)).await,
            Err(e) => Err(e),
        };
        let settled = settle(state, &claim, outcome).await;
        state.worker.hold(None);
        settled?;
    }
    Ok(ran)
}

struct Claim {
    id: Uuid,
    kind: String,
    payload: serde_json::Value,
    attempts: i32,
    max_attempts: i32,
}

/// One due job with attempts left, leased to this worker from now on.
async fn claim(state: &AppState) -> Result<Option<Claim>, AppError> {
    let now = state.clock.now();
    let row: Option<(Uuid, String, serde_json::Value, i32, i32)> = sqlx::query_as(
        "with due as (
             select id from jobs
             where done_at is null and failed_at is null and run_at <= $1 and attempts < max_attempts
             order by run_at limit 1 for update skip locked)
         update jobs j set run_at = $1 + $2 * interval '1 second', attempts = j.attempts + 1
         from due where j.id = due.id
         returning j.id, j.kind, j.payload, j.attempts, j.max_attempts",
    )
    .bind(now)
    .bind(LEASE.num_seconds() as f64)
    .fetch_optional(&state.db)
    .await?;
    Ok(row.map(|(id, kind, payload, attempts, max_attempts)| Claim { id, kind, payload, attempts, max_attempts }))
}

/// Parks the jobs whose last attempt never reported back (its worker or process died) once
/// that attempt's lease has run out.
async fn park_abandoned(state: &AppState) -> Result<(), AppError> {
    let parked: Vec<(Uuid, String, i32)> = sqlx::query_as(
        "update jobs set failed_at = $1,
             last_error = 'its last attempt never finished (the worker stopped)'
                 || coalesce('; before that: ' || last_error, '')
         where done_at is null and failed_at is null and attempts >= max_attempts and run_at <= $1
         returning id, kind, attempts",
    )
    .bind(state.clock.now())
    .fetch_all(&state.db)
    .await?;
    for (id, kind, attempts) in parked {
        tracing::error!(job = %id, kind, attempts, "job gave up: its last attempt never finished; parked as failed");
    }
    Ok(())
}

/// Runs a job in its own task: a panic or overrunning the time limit becomes an error, and
/// the worker shows a sign of life while it waits.
async fn run_isolated(state: &AppState, job: impl Future<Output = anyhow::Result<()>> + Send + 'static) -> anyhow::Result<()> {
    let mut task = AbortOnDrop(tokio::spawn(job));
    let deadline = tokio::time::sleep(JOB_TIME_LIMIT);
    tokio::pin!(deadline);
    let mut beat = tokio::time::interval(TICK);
    loop {
        tokio::select! {
            joined = &mut task.0 => {
                return match joined {
                    Ok(outcome) => outcome,
                    Err(e) if e.is_panic() => Err(anyhow::anyhow!("job panicked: {}", panic_message(e.into_panic()))),
                    Err(e) => Err(anyhow::anyhow!("job was cancelled: {e}")),
                };
            }
            _ = beat.tick() => state.worker.beat(state.clock.now()),
            _ = &mut deadline => {
                return Err(anyhow::anyhow!("job still running after {} s; stopped", JOB_TIME_LIMIT.as_secs()));
            }
        }
    }
}

/// Stops the job's task when its runner is dropped or gives up on it.
struct AbortOnDrop(tokio::task::JoinHandle<anyhow::Result<()>>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

fn panic_message(payload: Box<dyn std::any::Any + Send>) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Records how the attempt went. Only the holder of this attempt writes (`attempts` is the
/// fencing token): had another worker taken the job over, this answer is stale.
async fn settle(state: &AppState, claim: &Claim, outcome: anyhow::Result<()>) -> Result<(), AppError> {
    let now = state.clock.now();
    let (id, kind, attempts) = (claim.id, claim.kind.as_str(), claim.attempts);
    let updated = match outcome {
        Ok(()) => {
            sqlx::query("update jobs set done_at = $3, failed_at = null, last_error = null where id = $1 and attempts = $2")
                .bind(id)
                .bind(attempts)
                .bind(now)
                .execute(&state.db)
                .await?
        }
        Err(error) => {
            let error = format!("{error:#}");
            let give_up = attempts >= claim.max_attempts;
            if give_up {
                tracing::error!(job = %id, kind, attempts, error, "job failed for the last time; parked as failed");
            } else {
                tracing::warn!(job = %id, kind, attempts, error, "job failed; retried later");
            }
            sqlx::query(
                "update jobs set last_error = $3, run_at = $4, failed_at = case when $5 then $6 else null end
                 where id = $1 and attempts = $2",
            )
            .bind(id)
            .bind(attempts)
            .bind(&error)
            .bind(now + backoff(attempts))
            .bind(give_up)
            .bind(now)
            .execute(&state.db)
            .await?
        }
    };
    if updated.rows_affected() == 0 {
        tracing::warn!(job = %id, kind, attempts, "job was taken over by another worker; its result is not recorded");
    }
    Ok(())
}

/// At shutdown, after the worker was stopped and given the grace period: hands a job still
/// running back to the queue, due at once and with this attempt not counted, so the next
/// worker (here after a restart, or on another instance) runs it without waiting out the
/// lease. Returns the job handed back.
pub async fn release_in_hand(state: &AppState) -> Result<Option<Uuid>, AppError> {
    let Some((id, attempts)) = state.worker.in_hand() else { return Ok(None) };
    let released = sqlx::query(
        "update jobs set run_at = $3, attempts = attempts - 1
         where id = $1 and attempts = $2 and done_at is null and failed_at is null",
    )
    .bind(id)
    .bind(attempts)
    .bind(state.clock.now())
    .execute(&state.db)
    .await?;
    state.worker.hold(None);
    Ok((released.rows_affected() == 1).then_some(id))
}

/// A job that ran out of attempts, for the dashboard.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FailedJob {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub failed_at: DateTime<Utc>,
}

/// The parked jobs, the latest first.
pub async fn failed(db: &PgPool, limit: i64) -> Result<Vec<FailedJob>, AppError> {
    Ok(sqlx::query_as(
        "select id, kind, payload, attempts, last_error, created_at, failed_at from jobs
         where failed_at is not null order by failed_at desc, id limit $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?)
}

/// The background loop of one instance (the registered tick work, then due jobs),
/// under a supervisor that logs and restarts it should it ever stop or panic.
pub fn spawn_worker(state: AppState) {
    state.worker.start(state.clock.now());
    tokio::spawn(async move {
        loop {
            match tokio::spawn(work(state.clone())).await {
                Ok(()) if state.worker.is_stopping() => return,
                Ok(()) => tracing::error!("the job worker stopped; starting it again"),
                Err(e) if e.is_panic() => {
                    tracing::error!(panic = %panic_message(e.into_panic()), "the job worker panicked; starting it again");
                }
                // Cancelled: the runtime is shutting down.
                Err(_) => return,
            }
            tokio::time::sleep(RESTART_PAUSE).await;
        }
    });
}

async fn work(state: AppState) {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    while !state.worker.is_stopping() {
        tick.tick().await;
        state.worker.beat(state.clock.now());
        for (what, task) in state.jobs.ticks(&state) {
            if let Err(e) = task.await {
                tracing::warn!(error = %e, "{what} failed");
            }
        }
        // Drain what is due before sleeping again.
        loop {
            match run_due(&state).await {
                Ok(n) if n == BATCH => continue,
                Ok(_) => break,
                Err(e) => {
                    tracing::warn!(error = %e, "job queue unavailable");
                    break;
                }
            }
        }
    }
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
    fn the_job_time_limit_ends_inside_the_lease() {
        assert!(Duration::from_std(JOB_TIME_LIMIT).unwrap() < LEASE);
    }
}
