use super::config::LogFormat;
use tracing_subscriber::{fmt, prelude::*, EnvFilter};

/// Structured logs: `RUST_LOG` picks levels (default: info for us, warn for libraries).
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,larkspur=info,tower_http=info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match format {
        LogFormat::Json => registry.with(fmt::layer().json().flatten_event(true)).try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    // Tests may initialise more than once; the first subscriber wins.
    let _ = result;
}
