//! Analytics benchmark (not a test): loads the demo store and a year of trade (through the
//! domains' own functions, as `larkspur seed --demo --history 365` does) into DATABASE_URL,
//! then times each figure of the analytics page for the last 30 days and the last 12 months
//! and prints the median of five runs. Run through `bench/analytics.sh`.

use larkspur::analytics::{server, Period, Preset};
use sqlx::postgres::PgPoolOptions;
use std::time::Instant;

/// Median milliseconds of five runs of `f`.
async fn time<F, Fut, T>(mut f: F) -> anyhow::Result<f64>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, sqlx::Error>>,
{
    let mut runs = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        f().await?;
        runs.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    runs.sort_by(f64::total_cmp);
    Ok(runs[2])
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL")?;
    let db = PgPoolOptions::new().max_connections(4).connect(&url).await?;
    larkspur::server::startup::migrate(&db).await?;
    let media = std::env::temp_dir().join("larkspur-bench-media");
    let vars = std::collections::HashMap::from([
        ("DATABASE_URL", url.as_str()),
        ("REDIS_URL", "redis://unused-by-this-benchmark"),
        ("MEDIA_DIR", media.to_str().unwrap_or("media")),
        ("AUTH_SECRET", "analytics-benchmark-secret-000000000"),
    ]);
    let config = larkspur::server::config::Config::from_map(&vars)?;
    larkspur::seed::demo_store(&db, &config).await?;
    let started = Instant::now();
    let history = larkspur::seed::demo_history(&db, &config, 365).await?;
    println!("{history} (took {:.1} s; nothing added when already there)", started.elapsed().as_secs_f64());
    let (orders, events): (i64, i64) = sqlx::query_as("select (select count(*) from orders), (select count(*) from analytics_events)").fetch_one(&db).await?;
    println!("store: {orders} orders, {events} funnel events\n");
    let today = chrono::Utc::now().date_naive();
    for preset in [Preset::Last30, Preset::Last365] {
        let period: Period = preset.period(today);
        println!("{} ({} days, per {}):", preset.label(), period.days(), period.bucket().as_str());
        let figures = [
            ("sales per bucket", time(|| server::sales(&db, period, period.bucket())).await?),
            ("top products", time(|| server::ranked(&db, period, false)).await?),
            ("top categories", time(|| server::ranked(&db, period, true)).await?),
            ("funnel", time(|| server::funnel(&db, period)).await?),
            ("journal", time(|| server::journal(&db, period)).await?),
            ("banners", time(|| server::banners(&db, period)).await?),
            ("sign-ins", time(|| server::sign_ins(&db, period)).await?),
            ("new and returning", time(|| server::customers(&db, period)).await?),
            ("whole page", time(|| server::report(&db, period)).await?),
        ];
        for (name, ms) in figures {
            println!("  {name:<20} {ms:>7.1} ms");
        }
    }
    Ok(())
}
