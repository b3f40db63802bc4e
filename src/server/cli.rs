use super::{config::Config, seed, startup};
use anyhow::{bail, Context};

const USAGE: &str = "usage: larkspur [serve | migrate | seed [--products N]]";

pub async fn run(config: Config, args: Vec<String>) -> anyhow::Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => startup::Application::build(config).await?.serve().await,
        ["migrate"] => {
            let db = startup::connect_database(&config).await?;
            startup::migrate(&db).await
        }
        ["seed"] => seed_with(config, None).await,
        ["seed", "--products", n] => {
            let n: u32 = n.parse().with_context(|| format!("--products expects a number, got `{n}`"))?;
            seed_with(config, Some(n)).await
        }
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

async fn seed_with(config: Config, products: Option<u32>) -> anyhow::Result<()> {
    let db = startup::connect_database(&config).await?;
    startup::migrate(&db).await?;
    let report = seed::demo_store(&db, &config.media_dir).await?;
    println!("{report}");
    if let Some(total) = products {
        let added = seed::bulk_products(&db, total).await?;
        println!("bulk catalogue: {added} products added, {total} requested in total");
    }
    Ok(())
}
