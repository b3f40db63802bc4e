//! Demo data: a realistic small store, and a fast bulk generator for benchmarks. Both are
//! idempotent: running them again adds only what is missing. Images are generated SVGs
//! written to the media directory; nothing is fetched from the network.

use crate::auth::server::hash_password;
use anyhow::Context;
use sqlx::{PgPool, Postgres, Transaction};
use std::{fmt::Write as _, path::Path};
use uuid::Uuid;

/// Local-only staff accounts, printed by the seed command and listed in the README.
pub const ADMIN_EMAIL: &str = "admin@larkspur.local";
pub const ADMIN_PASSWORD: &str = "larkspur-admin-2026";
pub const EDITOR_EMAIL: &str = "editor@larkspur.local";
pub const EDITOR_PASSWORD: &str = "larkspur-editor-2026";

struct Kind {
    key: &'static str,
    category: &'static str,
    category_slug: &'static str,
    size_kind: &'static str,
    base_price: i64,
    nouns: &'static [&'static str],
    material: &'static str,
}

const KINDS: &[Kind] = &[
    Kind { key: "hoodie", category: "Hoodies", category_slug: "hoodies", size_kind: "apparel", base_price: 6900,
        nouns: &["Pullover Hoodie", "Zip Hoodie", "Fleece Hoodie", "Heavyweight Hoodie", "Trail Hoodie", "Lounge Hoodie", "Cropped Hoodie", "Merino Hoodie", "Waffle Hoodie"],
        material: "brushed organic-cotton fleece" },
    Kind { key: "tshirt", category: "T-Shirts", category_slug: "t-shirts", size_kind: "apparel", base_price: 2900,
        nouns: &["Crew Tee", "Pocket Tee", "Boxy Tee", "Long Sleeve Tee", "Henley", "Slub Tee", "Graphic Tee", "Ringer Tee", "Performance Tee"],
        material: "soft 180 gsm jersey" },
    Kind { key: "jacket", category: "Jackets", category_slug: "jackets", size_kind: "apparel", base_price: 14900,
        nouns: &["Rain Shell", "Chore Jacket", "Puffer Jacket", "Field Jacket", "Overshirt", "Bomber Jacket", "Fleece Jacket", "Wool Coat", "Windbreaker"],
        material: "recycled, water-repellent ripstop" },
    Kind { key: "trousers", category: "Trousers", category_slug: "trousers", size_kind: "apparel", base_price: 7900,
        nouns: &["Chino", "Cargo Trouser", "Jogger", "Straight Jean", "Pleated Trouser", "Climbing Pant", "Corduroy Trouser", "Linen Trouser", "Travel Pant"],
        material: "stretch cotton twill" },
    Kind { key: "sneaker", category: "Sneakers", category_slug: "sneakers", size_kind: "footwear", base_price: 11900,
        nouns: &["Court Sneaker", "Runner", "Trail Runner", "High-Top", "Slip-On", "Canvas Low", "Suede Sneaker", "Knit Trainer", "Retro Runner"],
        material: "leather and recycled-knit upper on a natural rubber sole" },
    Kind { key: "bag", category: "Bags", category_slug: "bags", size_kind: "one_size", base_price: 8900,
        nouns: &["Daypack", "Tote", "Sling Bag", "Weekender", "Roll-Top Backpack", "Messenger", "Laptop Sleeve", "Belt Bag", "Camera Bag"],
        material: "waxed canvas with full-grain leather trim" },
    Kind { key: "audio", category: "Audio", category_slug: "audio", size_kind: "edition", base_price: 12900,
        nouns: &["Wireless Headphones", "Noise-Cancelling Headphones", "Earbuds", "Sport Earbuds", "Studio Headphones", "Portable Speaker", "Open-Ear Buds", "Kids Headphones", "DJ Headphones"],
        material: "aluminium and soft protein-leather, with 40-hour battery life" },
];

const ADJECTIVES: &[&str] = &[
    "Everyday", "Alpine", "Harbor", "Meadow", "Summit", "Coastal", "Urban", "Nordic", "Canyon", "Orchard",
    "Drift", "Ember", "Juniper", "Granite", "Willow", "Atlas", "Cedar", "Tidal", "Aurora", "Fjord",
];

const COLOURS: &[(&str, &str, &str)] = &[
    ("Black", "black", "#1c1917"),
    ("Chalk", "chalk", "#f5f5f4"),
    ("Heather Grey", "heather-grey", "#9ca3af"),
    ("Navy", "navy", "#1e3a8a"),
    ("Forest", "forest", "#166534"),
    ("Sage", "sage", "#84a98c"),
    ("Rust", "rust", "#b45309"),
    ("Burgundy", "burgundy", "#7f1d1d"),
    ("Sand", "sand", "#d6c7a1"),
    ("Sky", "sky", "#7dd3fc"),
    ("Lilac", "lilac", "#c4b5fd"),
    ("Mustard", "mustard", "#ca8a04"),
];

const SIZES: &[(&str, &str, &str)] = &[
    ("XS", "xs", "apparel"), ("S", "s", "apparel"), ("M", "m", "apparel"), ("L", "l", "apparel"),
    ("XL", "xl", "apparel"), ("XXL", "xxl", "apparel"),
    ("EU 38", "eu-38", "footwear"), ("EU 39", "eu-39", "footwear"), ("EU 40", "eu-40", "footwear"),
    ("EU 41", "eu-41", "footwear"), ("EU 42", "eu-42", "footwear"), ("EU 43", "eu-43", "footwear"),
    ("EU 44", "eu-44", "footwear"), ("EU 45", "eu-45", "footwear"),
    ("One size", "one-size", "one_size"),
    ("Standard", "standard", "edition"), ("Pro", "pro", "edition"),
];

/// SplitMix64: deterministic variety without a random number generator dependency.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// The slug a demo name suggests (the rule products use).
pub fn slugify(text: &str) -> String {
    crate::catalog::types::Slug::from_name(text).map(|s| s.as_str().to_owned()).unwrap_or_default()
}

pub async fn demo_store(db: &PgPool, media_dir: &Path) -> anyhow::Result<String> {
    write_images(media_dir).await?;
    let mut tx = db.begin().await?;
    // One seeder at a time: a second concurrent run waits, then finds everything present.
    sqlx::query("select pg_advisory_xact_lock(7245001)").execute(&mut *tx).await?;
    seed_reference_data(&mut tx).await?;
    let added = seed_products(&mut tx).await?;
    seed_merchandising(&mut tx).await?;
    seed_articles(&mut tx).await?;
    seed_geography(&mut tx).await?;
    // Promo codes shoppers can try at checkout.
    sqlx::query(
        "insert into coupons (code, description, kind, value, min_order_minor) values
             ('WELCOME10', '10% off a first order', 'percent', 10, 0),
             ('SAVE20', '$20 off orders of $150 or more', 'fixed', 2000, 15000)
         on conflict (code) do nothing",
    )
    .execute(&mut *tx)
    .await?;
    seed_staff(&mut tx).await?;
    seed_orders_and_reviews(&mut tx).await?;
    tx.commit().await?;
    let total: i64 = sqlx::query_scalar("select count(*) from products where deleted_at is null").fetch_one(db).await?;
    Ok(format!(
        "demo store ready: {total} products ({added} added now)\n\
         staff sign-in (local only): {ADMIN_EMAIL} / {ADMIN_PASSWORD} (admin), {EDITOR_EMAIL} / {EDITOR_PASSWORD} (editor)"
    ))
}

async fn seed_reference_data(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    for (i, (name, slug, hex)) in COLOURS.iter().enumerate() {
        sqlx::query("insert into colours (name, slug, hex, sort_order) values ($1, $2, $3, $4) on conflict (slug) do nothing")
            .bind(name).bind(slug).bind(hex).bind(i as i32)
            .execute(&mut **tx).await?;
    }
    for (i, (label, slug, kind)) in SIZES.iter().enumerate() {
        sqlx::query("insert into sizes (label, slug, kind, sort_order) values ($1, $2, $3, $4) on conflict (slug) do nothing")
            .bind(label).bind(slug).bind(kind).bind(i as i32)
            .execute(&mut **tx).await?;
    }
    for (i, kind) in KINDS.iter().enumerate() {
        sqlx::query(
            "insert into categories (name, slug, description, sort_order) values ($1, $2, $3, $4)
             on conflict (slug) do nothing",
        )
        .bind(kind.category).bind(kind.category_slug)
        .bind(format!("{} in {}, designed to last and easy to care for.", kind.category, kind.material))
        .bind(i as i32)
        .execute(&mut **tx).await?;
    }
    Ok(())
}

fn description(name: &str, kind: &Kind, seed: u64) -> String {
    const DETAILS: &[&str] = &[
        "Cut for an easy, relaxed fit that layers well.",
        "Finished with reinforced seams and a soft-touch lining.",
        "Built for everyday wear, from the commute to the weekend.",
        "Designed in small batches and made in certified factories.",
        "Machine washable and made to keep its shape for years.",
    ];
    format!(
        "The {name} is made from {}. {} {}",
        kind.material,
        DETAILS[(seed % DETAILS.len() as u64) as usize],
        DETAILS[((seed >> 8) % DETAILS.len() as u64) as usize],
    )
}

async fn seed_products(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<u32> {
    let mut added = 0;
    for (k, kind) in KINDS.iter().enumerate() {
        let category_id: Uuid = sqlx::query_scalar("select id from categories where slug = $1")
            .bind(kind.category_slug).fetch_one(&mut **tx).await?;
        let sizes: Vec<(Uuid, String)> = sqlx::query_as("select id, slug from sizes where kind = $1 order by sort_order")
            .bind(kind.size_kind).fetch_all(&mut **tx).await?;
        for (n, noun) in kind.nouns.iter().enumerate() {
            let i = (k * 9 + n) as u64;
            let seed = mix(i + 1);
            let name = format!("{} {}", ADJECTIVES[(seed % ADJECTIVES.len() as u64) as usize], noun);
            let slug = slugify(&name);
            let price = kind.base_price + ((seed >> 16) % 6) as i64 * 1000;
            let sale = seed.is_multiple_of(5).then(|| price * 80 / 100 / 100 * 100 - 1);
            let product_id: Option<Uuid> = sqlx::query_scalar(
                "insert into products (name, slug, description, brand, price_minor, price_override_minor,
                                       is_featured, created_at)
                 values ($1, $2, $3, 'Larkspur', $4, $5, $6, now() - make_interval(hours => $7))
                 on conflict (slug) do nothing returning id",
            )
            .bind(&name).bind(&slug).bind(description(&name, kind, seed)).bind(price).bind(sale)
            .bind(seed.is_multiple_of(7))
            // Interleave categories so "new arrivals" shows a mix.
            .bind(((n * KINDS.len() + k) * 11) as i32)
            .fetch_optional(&mut **tx).await?;
            let Some(product_id) = product_id else { continue };
            added += 1;
            sqlx::query("insert into product_categories (product_id, category_id) values ($1, $2)")
                .bind(product_id).bind(category_id).execute(&mut **tx).await?;
            let colour_count = 2 + (seed % 3) as usize;
            let first = (seed % COLOURS.len() as u64) as usize;
            for c in 0..colour_count {
                let (colour_name, colour_slug, _) = COLOURS[(first + c * 5) % COLOURS.len()];
                let pc_id: Uuid = sqlx::query_scalar(
                    "insert into product_colours (product_id, colour_id, sort_order)
                     select $1, id, $3 from colours where slug = $2 returning id",
                )
                .bind(product_id).bind(colour_slug).bind(c as i32)
                .fetch_one(&mut **tx).await?;
                for (v, (view, alt_view)) in [("front", "front view"), ("detail", "close-up")].iter().enumerate() {
                    sqlx::query(
                        "insert into product_colour_images (product_colour_id, url, alt_text, is_primary, width, height, sort_order)
                         values ($1, $2, $3, $4, 800, 1000, $5)",
                    )
                    .bind(pc_id)
                    .bind(format!("/media/demo/{}-{}-{}.svg", kind.key, colour_slug, view))
                    .bind(format!("{name} in {colour_name}, {alt_view}"))
                    .bind(v == 0).bind(v as i32)
                    .execute(&mut **tx).await?;
                }
                for (s, (size_id, size_slug)) in sizes.iter().enumerate() {
                    let roll = mix(seed ^ ((c * 31 + s) as u64));
                    // About one variant in six is sold out, so listings show real availability.
                    let stock = if roll.is_multiple_of(6) { 0 } else { (roll % 40) as i32 + 1 };
                    sqlx::query("insert into product_sizes (product_colour_id, size_id, sku, stock) values ($1, $2, $3, $4)")
                        .bind(pc_id).bind(size_id)
                        .bind(format!("{}-{}-{}", slug, colour_slug, size_slug).to_uppercase())
                        .bind(stock)
                        .execute(&mut **tx).await?;
                }
            }
        }
    }
    Ok(added)
}

async fn seed_merchandising(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    let collections: &[(&str, &str, &str, &[&str])] = &[
        ("The Winter Edit", "winter-edit", "Warm layers and weatherproof shells for the cold months.", &["hoodies", "jackets"]),
        ("Everyday Essentials", "everyday-essentials", "The pieces you reach for every single day.", &["t-shirts", "trousers"]),
        ("Commuter Kit", "commuter-kit", "Bags, sneakers and sound for the daily journey.", &["bags", "sneakers", "audio"]),
    ];
    for (i, (name, slug, description, categories)) in collections.iter().enumerate() {
        let id: Option<Uuid> = sqlx::query_scalar(
            "insert into collections (name, slug, description, image_url, is_featured, sort_order)
             values ($1, $2, $3, $4, true, $5) on conflict (slug) do nothing returning id",
        )
        .bind(name).bind(slug).bind(description).bind(format!("/media/demo/collection-{slug}.svg")).bind(i as i32)
        .fetch_optional(&mut **tx).await?;
        if let Some(id) = id {
            sqlx::query(
                "insert into collection_products (collection_id, product_id, sort_order)
                 select $1, pc.product_id, row_number() over (order by p.created_at desc)
                 from product_categories pc join categories c on c.id = pc.category_id
                 join products p on p.id = pc.product_id
                 where c.slug = any($2) and p.created_at > now() - interval '40 days'
                 order by p.created_at desc limit 12",
            )
            .bind(id).bind(categories.iter().map(|s| s.to_string()).collect::<Vec<_>>())
            .execute(&mut **tx).await?;
        }
    }
    let lookbook: Option<Uuid> = sqlx::query_scalar(
        "insert into lookbooks (title, slug, description, cover_image_url, published_at)
         values ('Autumn Trails', 'autumn-trails', 'Layered looks for long walks and short days, shot in the hills above the coast.',
                 '/media/demo/lookbook-autumn-trails.svg', now() - interval '3 days')
         on conflict (slug) do nothing returning id",
    )
    .fetch_optional(&mut **tx).await?;
    if let Some(id) = lookbook {
        sqlx::query(
            "insert into lookbook_items (lookbook_id, product_id, sort_order, caption)
             select $1, p.id, row_number() over (order by p.slug), 'Styled with layers for a cool morning.'
             from products p join product_categories pc on pc.product_id = p.id
             join categories c on c.id = pc.category_id
             where c.slug in ('jackets', 'hoodies', 'trousers', 'sneakers')
             order by p.slug limit 8",
        )
        .bind(id).execute(&mut **tx).await?;
    }
    let banners = [
        ("New season layers", "Warm fleece, weatherproof shells and the sneakers to match.", "Shop the Winter Edit", "/collections/winter-edit", "banner-winter"),
        ("Sound that travels", "Headphones and earbuds tuned for the commute, with 40-hour battery life.", "Shop audio", "/c/audio", "banner-audio"),
    ];
    for (i, (title, subtitle, button, link, image)) in banners.iter().enumerate() {
        sqlx::query(
            "insert into banners (title, subtitle, image_url, image_alt, button_text, button_link, sort_order)
             select $1, $2, $3, $4, $5, $6, $7 where not exists (select 1 from banners where title = $1)",
        )
        .bind(title).bind(subtitle).bind(format!("/media/demo/{image}.svg")).bind("")
        .bind(button).bind(link).bind(i as i32)
        .execute(&mut **tx).await?;
    }
    Ok(())
}

async fn seed_articles(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    let articles: &[(&str, &str, &[&str], &str)] = &[
        ("How to care for waxed canvas", "Waxed canvas gets better with age, if you look after it.", &["care", "bags"],
         "Waxed canvas is tough, water-resistant and ages beautifully.\n\n## Cleaning\n\nBrush off dry dirt with a soft brush. Never put waxed canvas in the washing machine.\n\n## Re-waxing\n\nOnce a year, warm the bag and work a thin layer of fabric wax into the surface."),
        ("Layering for changeable weather", "Three layers, endless combinations.", &["style", "outerwear"],
         "The secret to staying comfortable outdoors is layering.\n\n1. A breathable base layer.\n2. An insulating mid layer, like a fleece hoodie.\n3. A weatherproof shell.\n\nAdd or remove layers as the day changes."),
        ("Finding your sneaker size", "EU sizes explained, and how to measure at home.", &["guides", "sneakers"],
         "Stand on a sheet of paper and mark your heel and longest toe.\n\nMeasure the distance in centimetres and compare it with our size chart. Between sizes? Choose the larger one."),
        ("Behind the sound of our headphones", "Why we tune for long listening sessions.", &["audio", "design"],
         "Our headphones are tuned for comfort over hours, not seconds.\n\nA gentle treble roll-off reduces fatigue, while the bass stays tight and controlled."),
    ];
    for (i, (title, excerpt, tags, body)) in articles.iter().enumerate() {
        let slug = slugify(title);
        let html = render_markdown(body);
        let id: Option<Uuid> = sqlx::query_scalar(
            "insert into articles (title, slug, excerpt, body_markdown, body_html, featured_image_url, status, published_at)
             values ($1, $2, $3, $4, $5, $6, 'published', now() - make_interval(days => $7))
             on conflict (slug) do nothing returning id",
        )
        .bind(title).bind(&slug).bind(excerpt).bind(body).bind(html)
        .bind(format!("/media/demo/article-{}.svg", i % 4)).bind((i * 4 + 1) as i32)
        .fetch_optional(&mut **tx).await?;
        let Some(id) = id else { continue };
        for tag in tags.iter() {
            let tag_id: Uuid = sqlx::query_scalar(
                "insert into tags (name, slug) values ($1, $2) on conflict (slug) do update set name = excluded.name returning id",
            )
            .bind(tag.to_string()).bind(slugify(tag)).fetch_one(&mut **tx).await?;
            sqlx::query("insert into article_tags (article_id, tag_id) values ($1, $2)")
                .bind(id).bind(tag_id).execute(&mut **tx).await?;
        }
    }
    Ok(())
}

/// Demo articles are trusted text; staff-written articles go through the CMS's sanitiser.
fn render_markdown(markdown: &str) -> String {
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(markdown));
    html
}

async fn seed_geography(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    let geography: &[(&str, &str, &str, &[(&str, &[&str])])] = &[
        ("US", "United States", "+1", &[
            ("California", &["Los Angeles", "San Francisco", "San Diego", "Sacramento"]),
            ("New York", &["New York City", "Buffalo", "Rochester"]),
            ("Texas", &["Austin", "Houston", "Dallas"]),
        ]),
        ("GB", "United Kingdom", "+44", &[
            ("England", &["London", "Manchester", "Bristol"]),
            ("Scotland", &["Edinburgh", "Glasgow"]),
        ]),
        ("DE", "Germany", "+49", &[
            ("Bavaria", &["Munich", "Nuremberg"]),
            ("Berlin", &["Berlin"]),
        ]),
        ("CA", "Canada", "+1", &[
            ("Ontario", &["Toronto", "Ottawa"]),
            ("British Columbia", &["Vancouver", "Victoria"]),
        ]),
    ];
    for (i, (code, name, phone_code, states)) in geography.iter().enumerate() {
        let country_id: Uuid = sqlx::query_scalar(
            "insert into countries (code, name, phone_code, sort_order) values ($1, $2, $3, $4)
             on conflict (code) do update set name = excluded.name returning id",
        )
        .bind(code).bind(name).bind(phone_code).bind(i as i32).fetch_one(&mut **tx).await?;
        for (state, cities) in states.iter() {
            let state_id: Uuid = sqlx::query_scalar(
                "insert into states (country_id, name) values ($1, $2)
                 on conflict (country_id, name) do update set name = excluded.name returning id",
            )
            .bind(country_id).bind(state).fetch_one(&mut **tx).await?;
            for city in cities.iter() {
                sqlx::query("insert into cities (state_id, name) values ($1, $2) on conflict (state_id, name) do nothing")
                    .bind(state_id).bind(city).execute(&mut **tx).await?;
            }
        }
    }
    Ok(())
}

async fn seed_staff(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    for (email, password, name, role) in [
        (ADMIN_EMAIL, ADMIN_PASSWORD, "Store Admin", "admin"),
        (EDITOR_EMAIL, EDITOR_PASSWORD, "Content Editor", "editor"),
    ] {
        let exists: bool = sqlx::query_scalar("select exists(select 1 from users where email = $1)")
            .bind(email).fetch_one(&mut **tx).await?;
        if exists {
            continue;
        }
        let hash = hash_password(password).map_err(|e| anyhow::anyhow!("{e}"))?;
        sqlx::query(
            "insert into users (email, email_verified_at, name, password_hash, role) values ($1, now(), $2, $3, $4)",
        )
        .bind(email).bind(name).bind(hash).bind(role)
        .execute(&mut **tx).await?;
    }
    Ok(())
}

const REVIEW_TEXTS: &[(&str, &str)] = &[
    ("Exactly as described", "Fits true to size and the fabric feels even better in person. Would buy again."),
    ("My new favourite", "I have worn it almost every day since it arrived and it still looks new."),
    ("Good, not perfect", "Well made and comfortable, but the colour is a shade darker than in the photos."),
    ("Great value", "Solid construction for the price. Shipping was quick and the packaging was plastic-free."),
    ("Lovely quality", "Soft, warm and the stitching is neat throughout. Sized up once for a relaxed fit."),
];

/// Demo customers with delivered orders and approved reviews, so best sellers, "bought
/// together" and ratings come from real rows. Listing counters are then recomputed.
async fn seed_orders_and_reviews(tx: &mut Transaction<'_, Postgres>) -> anyhow::Result<()> {
    let variants: Vec<(Uuid, Uuid, String, String, String, String, i64)> = sqlx::query_as(
        "select ps.id, p.id, p.name, c.name, z.label, ps.sku, p.effective_price_minor
         from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id
         join products p on p.id = pc.product_id join colours c on c.id = pc.colour_id join sizes z on z.id = ps.size_id
         where p.slug !~ '-b[0-9]+$' order by p.slug, ps.sku",
    )
    .fetch_all(&mut **tx)
    .await?;
    if variants.is_empty() {
        return Ok(());
    }
    let city: Option<(String, String, String)> = sqlx::query_as(
        "select ci.name, s.name, co.code::text from cities ci join states s on s.id = ci.state_id
         join countries co on co.id = s.country_id order by co.sort_order, s.name, ci.name limit 1",
    )
    .fetch_optional(&mut **tx)
    .await?;
    let (city, state, country) = city.unwrap_or_default();
    let names = ["Amara Diallo", "Ben Carter", "Chloe Martin", "Diego Alvarez", "Eva Novak", "Farah Khan", "George Lin", "Hana Sato"];
    for (c, name) in names.iter().enumerate() {
        let email = format!("customer{}@larkspur.local", c + 1);
        let exists: bool = sqlx::query_scalar("select exists(select 1 from users where email = $1)").bind(&email).fetch_one(&mut **tx).await?;
        if exists {
            continue;
        }
        let user: Uuid = sqlx::query_scalar("insert into users (email, email_verified_at, name) values ($1, now(), $2) returning id")
            .bind(&email)
            .bind(name)
            .fetch_one(&mut **tx)
            .await?;
        for o in 0..3u64 {
            let seed = mix((c as u64) * 101 + o * 7 + 3);
            let lines: Vec<_> = (0..2 + (seed % 2))
                .map(|l| &variants[(mix(seed + l * 13) % variants.len() as u64) as usize])
                .collect();
            let subtotal: i64 = lines.iter().map(|v| v.6).sum();
            let shipping = if subtotal >= 7500 { 0 } else { 595 };
            let address = serde_json::json!({ "recipient_name": name, "line1": format!("{} Market Street", 10 + c), "city": city, "state": state, "country": country, "postal_code": "94105" });
            let order: Uuid = sqlx::query_scalar(
                "insert into orders (user_id, status, subtotal_minor, shipping_minor, total_minor, email, phone, shipping_address,
                                     payment_method, idempotency_key, placed_at, paid_at)
                 values ($1, 'delivered', $2, $3, $4, $5, $6, $7, 'cash_on_delivery', $8,
                         now() - make_interval(days => $9), now() - make_interval(days => $9))
                 returning id",
            )
            .bind(user)
            .bind(subtotal)
            .bind(shipping)
            .bind(subtotal + shipping)
            .bind(&email)
            .bind(format!("+1555010{:04}", c * 10 + o as usize))
            .bind(address)
            .bind(format!("seed-{email}-{o}"))
            .bind((30 - o * 9) as i32)
            .fetch_one(&mut **tx)
            .await?;
            for (variant, product, product_name, colour, size, sku, price) in lines.iter().copied() {
                sqlx::query(
                    "insert into order_items (order_id, product_id, product_size_id, product_name, colour_name, size_label, sku,
                                              unit_price_minor, quantity, line_total_minor)
                     values ($1, $2, $3, $4, $5, $6, $7, $8, 1, $8)",
                )
                .bind(order).bind(product).bind(variant).bind(product_name).bind(colour).bind(size).bind(sku).bind(price)
                .execute(&mut **tx)
                .await?;
            }
            sqlx::query(
                "insert into order_status_history (order_id, from_status, to_status, actor_kind, note)
                 values ($1, null, 'pending', 'customer', ''), ($1, 'pending', 'paid', 'payment_provider', 'Paid on delivery'),
                        ($1, 'paid', 'processing', 'staff', ''), ($1, 'processing', 'shipped', 'staff', ''),
                        ($1, 'shipped', 'delivered', 'system', 'Demo order')",
            )
            .bind(order)
            .execute(&mut **tx)
            .await?;
            if let Some((_, product, ..)) = lines.first().copied() {
                let (title, comment) = REVIEW_TEXTS[(seed % REVIEW_TEXTS.len() as u64) as usize];
                sqlx::query(
                    "insert into reviews (product_id, user_id, rating, title, comment, status, moderated_at)
                     values ($1, $2, $3, $4, $5, 'approved', now()) on conflict (product_id, user_id) do nothing",
                )
                .bind(product).bind(user).bind(3 + (seed % 3) as i16).bind(title).bind(comment)
                .execute(&mut **tx)
                .await?;
            }
        }
    }
    sqlx::query(
        "update products p set
             sold_count = coalesce((select sum(oi.quantity) from order_items oi join orders o on o.id = oi.order_id
                                    where oi.product_id = p.id and o.status in ('paid', 'processing', 'shipped', 'delivered')), 0),
             rating_count = (select count(*) from reviews r where r.product_id = p.id and r.status = 'approved'),
             rating_sum = (select coalesce(sum(rating), 0) from reviews r where r.product_id = p.id and r.status = 'approved')
         where p.slug !~ '-b[0-9]+$'",
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Grows the catalogue to `total` live products with set-based SQL (34 s for 100,000 on
/// the 2-core development machine). Generated products reuse the demo images and reference data.
pub async fn bulk_products(db: &PgPool, total: u32) -> anyhow::Result<u64> {
    let existing: i64 = sqlx::query_scalar("select count(*) from products where deleted_at is null").fetch_one(db).await?;
    let mut next = sqlx::query_scalar::<_, Option<i64>>(
        "select max(substring(slug from '-b([0-9]+)$')::bigint) from products where slug ~ '-b[0-9]+$'",
    )
    .fetch_one(db).await?.unwrap_or(0) + 1;
    let mut missing = (total as i64 - existing).max(0);
    let added = missing as u64;
    let kinds_sql = kinds_values();
    let adjectives = ADJECTIVES.iter().map(|a| a.to_string()).collect::<Vec<_>>();
    let colour_slugs = COLOURS.iter().map(|c| c.1.to_string()).collect::<Vec<_>>();
    while missing > 0 {
        let batch = missing.min(10_000);
        let mut tx = db.begin().await?;
        bulk_batch(&mut tx, &kinds_sql, &adjectives, &colour_slugs, next, next + batch - 1)
            .await
            .with_context(|| format!("bulk batch starting at {next}"))?;
        tx.commit().await?;
        next += batch;
        missing -= batch;
    }
    if added > 0 {
        // Fresh statistics for the planner, and visibility maps so index-only scans work.
        sqlx::query("vacuum analyze").execute(db).await?;
    }
    Ok(added)
}

/// `(ordinal, key, category_slug, size_kind, base_price, nouns[], material)` rows.
fn kinds_values() -> String {
    let mut sql = String::from("(values ");
    for (i, k) in KINDS.iter().enumerate() {
        let nouns = k.nouns.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(",");
        let _ = write!(
            sql,
            "{}({i}, '{}', '{}', '{}', {}, array[{nouns}], '{}')",
            if i > 0 { "," } else { "" },
            k.key, k.category_slug, k.size_kind, k.base_price, k.material
        );
    }
    sql.push_str(") as k(ord, key, category_slug, size_kind, base_price, nouns, material)");
    sql
}

async fn bulk_batch(
    tx: &mut Transaction<'_, Postgres>,
    kinds_sql: &str,
    adjectives: &[String],
    colour_slugs: &[String],
    from: i64,
    to: i64,
) -> anyhow::Result<()> {
    let n_kinds = KINDS.len() as i64;
    sqlx::query(&format!(
        "create temp table bulk_src on commit drop as
         select g, uuid_generate_v7() as id, k.key, k.category_slug, k.size_kind,
                $3::text[] as adjectives,
                ($3::text[])[1 + (g / {n_kinds}) % array_length($3::text[], 1)] || ' ' ||
                    k.nouns[1 + (g / {n_kinds}) % array_length(k.nouns, 1)] as name,
                k.base_price + (g % 6) * 1000 as price,
                k.material,
                ($4::text[])[1 + g % 12] as colour_a,
                ($4::text[])[1 + (g + 1 + (g / 12) % 11) % 12] as colour_b
         from generate_series($1::bigint, $2::bigint) g
         join {kinds_sql} on k.ord = g % {n_kinds}"
    ))
    .bind(from).bind(to).bind(adjectives).bind(colour_slugs)
    .execute(&mut **tx).await?;
    sqlx::query(
        "insert into products (id, name, slug, description, brand, price_minor, price_override_minor, created_at)
         select id, name, lower(regexp_replace(name, '[^A-Za-z0-9]+', '-', 'g')) || '-b' || g,
                'The ' || name || ' is made from ' || material || '. Built for everyday wear.',
                'Larkspur', price, case when g % 5 = 0 then price * 8 / 10 - 1 end,
                now() - make_interval(days => 60, secs => g)
         from bulk_src",
    )
    .execute(&mut **tx).await?;
    sqlx::query(
        "insert into product_categories (product_id, category_id)
         select s.id, c.id from bulk_src s join categories c on c.slug = s.category_slug",
    )
    .execute(&mut **tx).await?;
    sqlx::query(
        "insert into product_colours (product_id, colour_id, sort_order)
         select s.id, c.id, v.ord from bulk_src s
         cross join lateral (values (0, s.colour_a), (1, s.colour_b)) as v(ord, slug)
         join colours c on c.slug = v.slug",
    )
    .execute(&mut **tx).await?;
    sqlx::query(
        "insert into product_colour_images (product_colour_id, url, alt_text, is_primary, width, height, sort_order)
         select pc.id, '/media/demo/' || s.key || '-' || c.slug || '-' || v.view || '.svg',
                s.name || ' in ' || c.name || ', ' || v.alt, v.ord = 0, 800, 1000, v.ord
         from bulk_src s join product_colours pc on pc.product_id = s.id
         join colours c on c.id = pc.colour_id
         cross join (values (0, 'front', 'front view'), (1, 'detail', 'close-up')) as v(ord, view, alt)",
    )
    .execute(&mut **tx).await?;
    sqlx::query(
        "insert into product_sizes (product_colour_id, size_id, sku, stock)
         select pc.id, z.id, 'B' || s.g || '-' || c.slug || '-' || z.slug,
                case when (s.g + z.sort_order) % 6 = 0 then 0 else 1 + (s.g * 7 + z.sort_order * 13) % 40 end
         from bulk_src s join product_colours pc on pc.product_id = s.id
         join colours c on c.id = pc.colour_id
         join sizes z on z.kind = s.size_kind",
    )
    .execute(&mut **tx).await?;
    Ok(())
}

// ---- generated artwork -------------------------------------------------------------------

async fn write_images(media_dir: &Path) -> anyhow::Result<()> {
    let dir = media_dir.join("demo");
    tokio::fs::create_dir_all(&dir).await.with_context(|| format!("creating {}", dir.display()))?;
    let mut files: Vec<(String, String)> = Vec::new();
    for kind in KINDS {
        for (_, slug, hex) in COLOURS {
            files.push((format!("{}-{slug}-front.svg", kind.key), product_svg(kind.key, hex, false)));
            files.push((format!("{}-{slug}-detail.svg", kind.key), product_svg(kind.key, hex, true)));
        }
    }
    let scenes = [
        ("banner-winter", 1600, 700, "#064e3b", "#0f766e"),
        ("banner-audio", 1600, 700, "#1e1b4b", "#4338ca"),
        ("collection-winter-edit", 800, 450, "#1e3a8a", "#0ea5e9"),
        ("collection-everyday-essentials", 800, 450, "#78350f", "#d6c7a1"),
        ("collection-commuter-kit", 800, 450, "#1c1917", "#84a98c"),
        ("lookbook-autumn-trails", 1200, 800, "#7c2d12", "#ca8a04"),
        ("article-0", 1200, 630, "#365314", "#a3e635"),
        ("article-1", 1200, 630, "#0c4a6e", "#7dd3fc"),
        ("article-2", 1200, 630, "#4c1d95", "#c4b5fd"),
        ("article-3", 1200, 630, "#7f1d1d", "#fca5a5"),
    ];
    for (name, w, h, from, to) in scenes {
        files.push((format!("{name}.svg"), scene_svg(w, h, from, to)));
    }
    for (name, svg) in files {
        tokio::fs::write(dir.join(&name), svg).await.with_context(|| format!("writing {name}"))?;
    }
    Ok(())
}

fn silhouette(kind: &str) -> &'static str {
    match kind {
        "hoodie" => "M150 140 Q200 70 250 140 L320 165 Q345 175 350 200 L370 330 L325 340 L305 240 L305 440 L95 440 L95 240 L75 340 L30 330 L50 200 Q55 175 80 165 Z",
        "tshirt" => "M145 120 L175 108 Q200 135 225 108 L255 120 L345 170 L315 225 L285 205 L285 430 L115 430 L115 205 L85 225 L55 170 Z",
        "jacket" => "M140 115 L180 100 L200 130 L220 100 L260 115 L330 150 Q350 160 352 185 L365 340 L322 346 L305 235 L305 445 L95 445 L95 235 L78 346 L35 340 L48 185 Q50 160 70 150 Z",
        "trousers" => "M125 80 L275 80 L295 450 L220 450 L200 190 L180 450 L105 450 Z",
        "sneaker" => "M55 320 Q62 250 130 238 L205 226 Q240 258 300 268 Q355 280 358 318 L358 338 L55 338 Z",
        "bag" => "M95 190 L305 190 Q320 190 322 205 L335 430 Q335 445 320 445 L80 445 Q65 445 65 430 L78 205 Q80 190 95 190 Z M150 190 Q150 110 200 110 Q250 110 250 190 L232 190 Q232 130 200 130 Q168 130 168 190 Z",
        _ => "M110 300 Q110 120 200 110 Q290 120 290 300 L270 300 Q268 140 200 132 Q132 140 130 300 Z M88 270 Q88 255 103 255 L140 255 L140 370 L103 370 Q88 370 88 355 Z M260 255 L297 255 Q312 255 312 270 L312 355 Q312 370 297 370 L260 370 Z",
    }
}

fn product_svg(kind: &str, hex: &str, detail: bool) -> String {
    let transform = if detail { "translate(-200 -180) scale(2)" } else { "translate(0 20)" };
    let light = hex == "#f5f5f4" || hex == "#d6c7a1" || hex == "#7dd3fc" || hex == "#c4b5fd";
    let backdrop = if light { "#d6d3d1" } else { "#f5f5f4" };
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 500" width="800" height="1000">
<defs><linearGradient id="g" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ffffff" stop-opacity="0.25"/><stop offset="1" stop-color="#000000" stop-opacity="0.18"/></linearGradient></defs>
<rect width="400" height="500" fill="{backdrop}"/><ellipse cx="200" cy="470" rx="150" ry="14" fill="#000" opacity="0.08"/>
<g transform="{transform}"><path d="{path}" fill="{hex}" stroke="#00000033" stroke-width="3" fill-rule="evenodd"/><path d="{path}" fill="url(#g)" fill-rule="evenodd"/></g>
</svg>"##,
        path = silhouette(kind)
    )
}

fn scene_svg(width: u32, height: u32, from: &str, to: &str) -> String {
    let (w, h) = (width as f32, height as f32);
    format!(
        r##"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" height="{height}">
<defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="{from}"/><stop offset="1" stop-color="{to}"/></linearGradient></defs>
<rect width="{width}" height="{height}" fill="url(#bg)"/>
<circle cx="{c1x}" cy="{c1y}" r="{r1}" fill="#ffffff" opacity="0.08"/><circle cx="{c2x}" cy="{c2y}" r="{r2}" fill="#ffffff" opacity="0.12"/>
<path d="M0 {hill} Q{q} {hill2} {width} {hill3} L{width} {height} L0 {height} Z" fill="#000" opacity="0.18"/>
</svg>"##,
        c1x = w * 0.78, c1y = h * 0.3, r1 = h * 0.45, c2x = w * 0.62, c2y = h * 0.75, r2 = h * 0.22,
        hill = h * 0.8, q = w * 0.4, hill2 = h * 0.55, hill3 = h * 0.72,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_are_url_safe() {
        assert_eq!(slugify("Alpine Zip Hoodie"), "alpine-zip-hoodie");
        assert_eq!(slugify("  Noise-Cancelling  Headphones! "), "noise-cancelling-headphones");
        assert_eq!(slugify("T-Shirts"), "t-shirts");
    }

    #[test]
    fn demo_catalogue_is_large_enough() {
        let products: usize = KINDS.iter().map(|k| k.nouns.len()).sum();
        assert!(products >= 60 && KINDS.len() >= 6);
    }
}
