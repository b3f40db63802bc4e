//! The job worker's sign of life, kept in `AppState` and read by `/readyz`. A leaf: the
//! worker beats it, the health check reads it, neither needs the other.

use chrono::{DateTime, Duration, Utc};
use std::sync::{
    atomic::{AtomicBool, AtomicI64, Ordering},
    Mutex,
};
use uuid::Uuid;

/// `/readyz` calls the worker stalled when its last sign of life is older than this.
pub const STALL_AFTER: Duration = Duration::seconds(30);

/// When the worker last showed a sign of life. Times are the app clock's.
#[derive(Debug, Default)]
pub struct Heartbeat {
    started: AtomicBool,
    last_beat_ms: AtomicI64,
    /// Set when the process is shutting down: the worker claims no more jobs.
    stopping: AtomicBool,
    /// The job being run now and its attempt number (the claim's fencing token).
    in_hand: Mutex<Option<(Uuid, i32)>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WorkerStatus {
    /// No worker in this process (tests, one-off commands).
    NotStarted,
    Ok,
    /// Started, but silent for longer than [`STALL_AFTER`].
    Stalled,
}

impl WorkerStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotStarted => "not_started",
            Self::Ok => "ok",
            Self::Stalled => "stalled",
        }
    }
}

impl Heartbeat {
    pub fn beat(&self, at: DateTime<Utc>) {
        self.last_beat_ms.store(at.timestamp_millis(), Ordering::Relaxed);
    }

    /// Marks the worker as running in this process, from `at`.
    pub fn start(&self, at: DateTime<Utc>) {
        self.beat(at);
        self.started.store(true, Ordering::Relaxed);
    }

    /// Asks the worker to claim no more jobs (shutdown).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::Release);
    }

    pub fn is_stopping(&self) -> bool {
        self.stopping.load(Ordering::Acquire)
    }

    /// Records the job the worker holds now (`None` once its outcome is recorded).
    pub fn hold(&self, job: Option<(Uuid, i32)>) {
        *self.in_hand.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = job;
    }

    pub fn in_hand(&self) -> Option<(Uuid, i32)> {
        *self.in_hand.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn status(&self, now: DateTime<Utc>) -> WorkerStatus {
        if !self.started.load(Ordering::Relaxed) {
            return WorkerStatus::NotStarted;
        }
        let silent_ms = now.timestamp_millis() - self.last_beat_ms.load(Ordering::Relaxed);
        if silent_ms > STALL_AFTER.num_milliseconds() {
            WorkerStatus::Stalled
        } else {
            WorkerStatus::Ok
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_worker_silent_too_long_is_stalled() {
        let beat = Heartbeat::default();
        let t0 = DateTime::<Utc>::from_timestamp(1_800_000_000, 0).unwrap();
        assert_eq!(beat.status(t0), WorkerStatus::NotStarted);
        beat.start(t0);
        assert_eq!(beat.status(t0 + STALL_AFTER), WorkerStatus::Ok);
        assert_eq!(beat.status(t0 + STALL_AFTER + Duration::seconds(1)), WorkerStatus::Stalled);
        beat.beat(t0 + STALL_AFTER);
        assert_eq!(beat.status(t0 + STALL_AFTER + Duration::seconds(1)), WorkerStatus::Ok);
    }
}
