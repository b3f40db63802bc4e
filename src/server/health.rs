use super::{heartbeat::WorkerStatus, state::AppState};
use axum::{extract::State, http::StatusCode, Json};
use fred::prelude::ClientLike;
use serde_json::{json, Value};
use std::time::Duration;

const CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: the process is up and serving.
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the dependencies this instance needs answer, and its job worker (when this
/// process runs one) has shown a sign of life lately.
pub async fn readyz(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let postgres = tokio::time::timeout(CHECK_TIMEOUT, sqlx::query("select 1").execute(&state.db)).await;
    let postgres_ok = matches!(postgres, Ok(Ok(_)));
    let redis = tokio::time::timeout(CHECK_TIMEOUT, state.redis.ping::<String>(None)).await;
    let redis_ok = matches!(redis, Ok(Ok(_)));
    let worker = state.worker.status(state.clock.now());
    let label = |ok: bool| if ok { "ok" } else { "unavailable" };
    let ready = postgres_ok && redis_ok && worker != WorkerStatus::Stalled;
    let status = if ready { StatusCode::OK } else { StatusCode::SERVICE_UNAVAILABLE };
    let body = json!({
        "status": if ready { "ready" } else { "not_ready" },
        "checks": { "postgres": label(postgres_ok), "redis": label(redis_ok), "worker": worker.as_str() },
    });
    (status, Json(body))
}
