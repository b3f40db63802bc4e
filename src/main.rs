//! The store's one binary: `serve` (default), `migrate`, and `seed [--products N]`.

#[cfg(feature = "ssr")]
fn main() -> std::process::ExitCode {
    // Rendering deep view trees needs more than tokio's default 2 MiB per worker thread in
    // unoptimised builds; 8 MiB costs nothing until it is touched.
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_stack_size(8 * 1024 * 1024)
        .build()
        .expect("building the tokio runtime")
        .block_on(run())
}

#[cfg(feature = "ssr")]
async fn run() -> std::process::ExitCode {
    use larkspur::server::{cli, telemetry};

    let _ = dotenvy::dotenv();
    let config = match larkspur::server::config::Config::from_env() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("larkspur cannot start: {err}");
            return std::process::ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    match cli::run(config, std::env::args().skip(1).collect()).await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = ?err, "larkspur stopped");
            eprintln!("larkspur: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

#[cfg(not(feature = "ssr"))]
fn main() {
    // The browser bundle is built from the library (`hydrate`); this binary needs `ssr`.
}
