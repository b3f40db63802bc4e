use super::{config::Config, startup};
use crate::seed;
use anyhow::{bail, Context};

const USAGE: &str = "usage: larkspur [serve | migrate | seed --demo [--history DAYS] [--products N] | staff EMAIL admin|editor]\n\
  seed --demo   load the demo store, with staff accounts whose passwords are published in the README;\n\
                --history DAYS adds that many days of trade (orders, visits, banner views, sign-ins) for the analytics page\n\
  staff         create a staff account or promote one; the password comes from STAFF_PASSWORD or the first line of standard input";

/// Why `seed` needs `--demo`: the demo store's staff passwords are public.
const SEED_NEEDS_DEMO: &str = "`larkspur seed` loads demo data, including staff accounts whose passwords are \
published in the README. Run `larkspur seed --demo` on a machine nobody else can reach; create real \
staff with `larkspur staff EMAIL admin`.";

pub async fn run(config: Config, args: Vec<String>) -> anyhow::Result<()> {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        [] | ["serve"] => startup::Application::build(config).await?.serve().await,
        ["migrate"] => {
            let db = startup::connect_database(&config).await?;
            startup::migrate(&db).await
        }
        ["seed", flags @ ..] => {
            if !flags.contains(&"--demo") {
                bail!("{SEED_NEEDS_DEMO}");
            }
            seed_with(config, number_after(flags, "--products")?, number_after(flags, "--history")?).await
        }
        ["staff", email, role] => staff(config, email, role).await,
        ["help" | "--help" | "-h"] => {
            println!("{USAGE}");
            Ok(())
        }
        _ => bail!("{USAGE}"),
    }
}

/// The number following `flag`, when the flag is given.
fn number_after(flags: &[&str], flag: &str) -> anyhow::Result<Option<u32>> {
    let Some(at) = flags.iter().position(|f| *f == flag) else { return Ok(None) };
    let raw = flags.get(at + 1).copied().unwrap_or_default();
    raw.parse().map(Some).with_context(|| format!("{flag} expects a number, got `{raw}`"))
}

async fn seed_with(config: Config, products: Option<u32>, history_days: Option<u32>) -> anyhow::Result<()> {
    let db = startup::connect_database(&config).await?;
    startup::migrate(&db).await?;
    let report = seed::demo_store(&db, &config).await?;
    println!("{report}");
    if let Some(days) = history_days {
        println!("{}", seed::demo_history(&db, &config, days).await?);
    }
    if let Some(total) = products {
        let added = seed::bulk_products(&db, total).await?;
        println!("bulk catalogue: {added} products added, {total} requested in total");
    }
    Ok(())
}

async fn staff(config: Config, email: &str, role: &str) -> anyhow::Result<()> {
    use crate::auth::{
        types::{Email, NewPassword},
        Role,
    };
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("{e}"))?;
    let role = Role::parse(role).filter(|r| *r != Role::Customer).with_context(|| format!("the role is admin or editor, not `{role}`"))?;
    let password = match std::env::var("STAFF_PASSWORD") {
        Ok(p) => p,
        Err(_) => {
            let mut line = String::new();
            std::io::stdin().read_line(&mut line).context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    let password = NewPassword::parse(&password, Some(email.as_str())).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    crate::auth::server::password::staff_rule(password.expose(), &[email.as_str()]).map_err(|e| anyhow::anyhow!("password: {e}"))?;
    let db = startup::connect_database(&config).await?;
    startup::migrate(&db).await?;
    let redis = startup::connect_redis(&config).await?;
    let created = crate::auth::server::users::set_staff(&db, &redis, &email, &password, role, chrono::Utc::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let done = if created { "created" } else { "updated and signed out everywhere" };
    println!("{} ({}) {done}", email.as_str(), role.as_str());
    Ok(())
}
