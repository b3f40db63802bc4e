//! The journal and its editor against a real database: the sanitiser against a list of XSS
//! vectors, who may write articles, the editor's rules (what was typed is kept with each
//! message), the preview drawn by the publishing function, scheduling on the store's clock,
//! old slugs redirecting, the featured image through the image pipeline, unpublish and soft
//! delete, and engagement (views, likes, reads) recorded only with analytics consent for
//! anonymous visitors.
#![cfg(feature = "ssr")]

mod support;

use axum::{
    body::Body,
    http::{header, Request, StatusCode},
};
use chrono::Duration;
use larkspur::{
    cms::render::render,
    seed::{EDITOR_EMAIL, EDITOR_PASSWORD},
};
use sqlx::PgPool;
use std::path::PathBuf;
use support::{shop::count, *};
use uuid::Uuid;

const TITLE: &str = "Packing for a rainy weekend";
const SLUG: &str = "packing-for-a-rainy-weekend";

async fn editor(app: &TestApp) -> Client {
    signed_in_as(app, EDITOR_EMAIL, EDITOR_PASSWORD).await
}

/// The editor's fields for a good published article, with `changes`.
fn form<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", TITLE),
        ("slug", ""),
        ("body", "Rain is no reason to stay in.\n\n## What to pack\n\n- a **waxed** jacket\n- a fleece hoodie\n\n## Where to go\n\nAnywhere with a café."),
        ("excerpt", "Three layers and a bag that shrugs off the rain."),
        ("tags", "Travel, rain gear"),
        ("seo_description", "What to pack for a rainy weekend away."),
        ("state", "published"),
        ("publish_at", ""),
        ("intent", "save"),
    ];
    for (key, value) in changes {
        match fields.iter_mut().find(|(k, _)| k == key) {
            Some(field) => field.1 = value,
            None => fields.push((key, value)),
        }
    }
    fields
}

async fn save(client: &Client, fields: &[(&str, &str)]) -> Uuid {
    let res = client.call("admin/articles/save", fields).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    res.json().as_str().expect("the article's id").parse().unwrap()
}

// ---- the sanitiser ------------------------------------------------------------------------

/// The opening tags of serialised HTML (ammonia's output: text `<` is always escaped), each with its
/// lowercased name and attributes (values with the entities ammonia writes decoded).
fn tags(html: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut found = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        let after = &rest[start + 1..];
        let mut end = after.len();
        let mut quote: Option<char> = None;
        for (i, c) in after.char_indices() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(q), c) if c == q => quote = None,
                (None, '>') => {
                    end = i;
                    break;
                }
                _ => {}
            }
        }
        if after.starts_with('/') {
            // A closing tag carries nothing.
            rest = &after[end.min(after.len())..];
            continue;
        }
        let inside = &after[..end];
        let name: String = inside.chars().take_while(|c| !c.is_whitespace() && *c != '/').collect::<String>().to_lowercase();
        let mut attributes = Vec::new();
        let mut attrs = inside[name.len()..].trim();
        while !attrs.is_empty() {
            let key: String = attrs.chars().take_while(|c| !c.is_whitespace() && *c != '=' && *c != '/').collect();
            attrs = attrs[key.len()..].trim_start();
            let mut value = String::new();
            if let Some(stripped) = attrs.strip_prefix('=') {
                let stripped = stripped.trim_start();
                if let Some(quoted) = stripped.strip_prefix('"') {
                    let close = quoted.find('"').unwrap_or(quoted.len());
                    value = quoted[..close].to_owned();
                    attrs = quoted.get(close + 1..).unwrap_or_default().trim_start();
                } else {
                    let raw: String = stripped.chars().take_while(|c| !c.is_whitespace()).collect();
                    attrs = stripped[raw.len()..].trim_start();
                    value = raw;
                }
            }
            attrs = attrs.trim_start_matches('/').trim_start();
            if !key.is_empty() {
                let decoded = value.replace("&quot;", "\"").replace("&nbsp;", " ").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
                attributes.push((key.to_lowercase(), decoded));
            } else if attrs.len() == inside.len() {
                break;
            }
        }
        found.push((name, attributes));
        rest = &after[end.min(after.len())..];
    }
    found
}

/// What in `html` could run script or restyle the page: forbidden elements, event handler
/// and style attributes, and URLs with a scheme other than http(s) and mailto.
fn dangers(html: &str) -> Vec<String> {
    const ELEMENTS: [&str; 30] = [
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math", "link", "meta", "base", "form", "input",
        "button", "textarea", "select", "body", "html", "head", "template", "noscript", "video", "audio", "source", "marquee", "title", "xml",
        "portal",
    ];
    const URLS: [&str; 9] = ["href", "src", "action", "formaction", "data", "poster", "background", "cite", "xlink:href"];
    let mut found = Vec::new();
    for (name, attributes) in tags(html) {
        if ELEMENTS.contains(&name.as_str()) {
            found.push(format!("<{name}>"));
        }
        for (key, value) in attributes {
            if key.starts_with("on") || ["style", "srcdoc", "formaction", "action", "background", "data", "dynsrc", "lowsrc"].contains(&key.as_str()) {
                found.push(format!("{name}[{key}]"));
            }
            if URLS.contains(&key.as_str()) {
                let squashed: String = value.chars().filter(|c| !c.is_whitespace() && !c.is_control()).collect::<String>().to_lowercase();
                let scheme = squashed.split_once(':').map(|(s, _)| s).filter(|s| !s.contains('/') && !s.contains('?') && !s.contains('#'));
                if scheme.is_some_and(|s| !["http", "https", "mailto"].contains(&s)) || squashed.contains("&#") {
                    found.push(format!("{name}[{key}={value}]"));
                }
            }
        }
    }
    found
}

#[test]
fn the_sanitiser_strips_every_xss_vector() {
    // OWASP's XSS filter evasion cheat sheet and friends, as Markdown and as raw HTML in it.
    let vectors: &[&str] = &[
        "<script>alert(1)</script>",
        "<SCRIPT SRC=http://xss.example/xss.js></SCRIPT>",
        "<<SCRIPT>alert(\"XSS\");//<</SCRIPT>",
        "<img src=x onerror=alert(1)>",
        "<IMG SRC=\"javascript:alert('XSS');\">",
        "<IMG SRC=JaVaScRiPt:alert('XSS')>",
        "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
        "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
        "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
        "<IMG SRC=\"jav\tascript:alert('XSS');\">",
        "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
        "<IMG \"\"\"><SCRIPT>alert(\"XSS\")</SCRIPT>\"\\>",
        "<a href=\"javascript:alert(1)\">click</a>",
        "<a href=\"&#x6A;avascript:alert(1)\">click</a>",
        "<a href=\" javascript:alert(1)\">click</a>",
        "<a href=\"vbscript:msgbox(1)\">click</a>",
        "<a href=\"data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==\">click</a>",
        "<a href=\"https://larkspur.example/\" onclick=\"alert(1)\">click</a>",
        "[click](javascript:alert(1))",
        "[click](JAVASCRIPT:alert(1))",
        "[click](  javascript:alert(1) )",
        "![x](javascript:alert(1))",
        "[a](https://larkspur.example \"title\\\" onmouseover=\\\"alert(1)\")",
        "<svg onload=alert(1)>",
        "<svg><script>alert(1)</script></svg>",
        "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
        "<BODY ONLOAD=alert('XSS')>",
        "<iframe src=\"javascript:alert(1)\"></iframe>",
        "<iframe srcdoc=\"<script>alert(1)</script>\"></iframe>",
        "<object data=\"javascript:alert(1)\"></object>",
        "<embed src=\"javascript:alert(1)\">",
        "<div style=\"background:url(javascript:alert(1))\">x</div>",
        "<p style=\"color:red\">x</p>",
        "<style>body{background:url(\"javascript:alert(1)\")}</style>",
        "<LINK REL=\"stylesheet\" HREF=\"javascript:alert('XSS');\">",
        "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
        "<BASE HREF=\"javascript:alert('XSS');//\">",
        "<form action=\"javascript:alert(1)\"><input type=\"submit\"></form>",
        "<button formaction=\"javascript:alert(1)\">x</button>",
        "<details open ontoggle=alert(1)>",
        "<marquee onstart=alert(1)>x</marquee>",
        "<video><source onerror=\"alert(1)\"></video>",
        "<audio src=x onerror=alert(1)>",
        "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
        "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
        "<x onclick=alert(1)>click me</x>",
        "<template><script>alert(1)</script></template>",
        "<img src=\"https://larkspur.example/a.png\" style=\"width:1px\" onmouseover=\"alert(1)\">",
        "<!--<script>alert(1)</script>-->",
        "<a href=\"jav&#x0A;ascript:alert(1)\">x</a>",
        "<h2 id=\"x\" onclick=\"alert(1)\">Heading</h2>",
    ];
    assert!(vectors.len() >= 30);
    for vector in vectors {
        let html = render(vector);
        let found = dangers(&html);
        assert!(found.is_empty(), "{vector:?} left {found:?} in {html}");
        let lower = html.to_lowercase();
        assert!(!lower.contains("<script") && !lower.contains("<style") && !lower.contains("style="), "{vector:?}: {html}");
    }
    // The checker itself catches what it looks for.
    assert_eq!(dangers("<a href=\"javascript:x\" onclick=\"y\">z</a><p style=\"a\"></p><script></script>").len(), 4);
}

#[test]
fn the_sanitiser_keeps_ordinary_formatting() {
    let html = render(
        "Care for **waxed** canvas, *gently*.\n\n## Cleaning\n\n1. Brush it.\n2. [Re-wax it](https://larkspur.example/wax).\n\n\
         > Never machine-wash.\n\n![A waxed bag](/media/demo/article-0.svg)\n\n| step | when |\n|---|---|\n| wax | yearly |\n\n`code` and <kbd>Ctrl</kbd>",
    );
    for kept in [
        "<strong>waxed</strong>",
        "<em>gently</em>",
        "<h2 id=\"section-cleaning\">Cleaning</h2>",
        "<ol>",
        "<a href=\"https://larkspur.example/wax\" rel=\"noopener noreferrer\">Re-wax it</a>",
        "<blockquote>",
        "<table>",
        "<code>code</code>",
        "<kbd>Ctrl</kbd>",
        "src=\"/media/demo/article-0.svg\"",
        "alt=\"A waxed bag\"",
        "loading=\"lazy\"",
    ] {
        assert!(html.contains(kept), "{kept} in {html}");
    }
    assert!(dangers(&html).is_empty());
}

// ---- who may write ------------------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn only_staff_who_manage_content_write_articles(db: PgPool) {
    let app = spawn(db).await;
    create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let visitor = Client::new(&app);
    let customer = signed_in_as(&app, "cus@example.com", "correct horse battery").await;
    let editor = editor(&app).await;
    let seeded: Uuid = sqlx::query_scalar("select id from articles order by published_at desc limit 1").fetch_one(&app.db).await.unwrap();
    let id = seeded.to_string();
    let articles = count(&app.db, "select count(*) from articles").await;
    let mut update = form(&[]);
    update.push(("id", &id));
    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        ("admin/articles/list", vec![]),
        ("admin/articles/editor", vec![("id", &id)]),
        ("admin/articles/preview", vec![("body", "# Hi")]),
        ("admin/articles/save", form(&[])),
        ("admin/articles/save", update.clone()),
        ("admin/articles/unpublish", vec![("id", &id)]),
        ("admin/articles/delete", vec![("id", &id), ("confirm", "delete")]),
        ("admin/articles/restore", vec![("id", &id)]),
        ("admin/articles/image/remove", vec![("id", &id)]),
    ];
    for (function, args) in &calls {
        assert_eq!(visitor.call(function, args).await.status, StatusCode::UNAUTHORIZED, "{function} signed out");
        assert_eq!(customer.call(function, args).await.status, StatusCode::FORBIDDEN, "{function} as a customer");
    }
    for page in ["/admin/articles".to_owned(), "/admin/articles/new".to_owned(), format!("/admin/articles/{id}")] {
        assert_eq!(visitor.get(&page).await.status, StatusCode::UNAUTHORIZED, "{page}");
        assert_eq!(customer.get(&page).await.status, StatusCode::FORBIDDEN, "{page}");
        let res = editor.get(&page).await;
        assert_eq!(res.status, StatusCode::OK, "{page} as an editor");
    }
    for (client, status) in [(&visitor, StatusCode::UNAUTHORIZED), (&customer, StatusCode::FORBIDDEN)] {
        let body = multipart(&[("article", &id), ("alt", "A bag")], Some(("bag.png", &png(64, 36))));
        assert_eq!(client.request(upload_request("/admin/articles", body.len()), Body::from(body)).await.status, status, "the upload");
    }
    assert_eq!(count(&app.db, "select count(*) from articles").await, articles, "nothing created");
    assert_eq!(count(&app.db, "select count(*) from audit_log where entity_kind = 'article'").await, 0, "nothing changed");

    // Editors (and admins) may: the list, the menu entry, the editor.
    let list = editor.call("admin/articles/list", &[]).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.json()[0]["total"].as_i64().unwrap() >= 4, "the seeded articles");
    let page = editor.get("/admin/articles").await.body;
    assert!(page.contains("href=\"/admin/articles\"") && !page.contains("href=\"/admin/products\""), "the menu shows what an editor may open");
    for page in ["/admin/products", "/admin/orders"] {
        assert_eq!(editor.get(page).await.status, StatusCode::FORBIDDEN, "{page} stays closed to editors");
    }
    let created = save(&editor, &form(&[])).await;
    assert_eq!(count(&app.db, &format!("select count(*) from audit_log where entity_id = '{created}' and action = 'create'")).await, 1);
}

// ---- the editor ---------------------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn validation_errors_keep_what_was_typed(db: PgPool) {
    let app = spawn(db).await;
    let editor = editor(&app).await;
    let articles = count(&app.db, "select count(*) from articles").await;
    // Every message at once, as JSON for a script.
    let bad = form(&[("title", " "), ("slug", "Not A Slug"), ("state", "scheduled"), ("tags", "ok, !!!"), ("excerpt", "Kept excerpt, typed by hand.")]);
    let res = editor.call("admin/articles/save", &bad).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    let errors = &res.json()["Validation"];
    for field in ["title", "slug", "publish_at", "tags"] {
        assert!(errors[field][0].is_string(), "{field}: {errors}");
    }
    // A slug another article has, even alongside other mistakes.
    let seeded: String = sqlx::query_scalar("select slug from articles limit 1").fetch_one(&app.db).await.unwrap();
    let taken = editor.call("admin/articles/save", &form(&[("slug", &seeded), ("state", "bogus")])).await.json();
    assert!(taken["Validation"]["slug"][0].as_str().unwrap().contains("Another article"), "{taken}");
    assert!(taken["Validation"]["state"][0].is_string());

    // Without JavaScript: back to the form with each message beside its field and what was typed.
    let res = editor.post_form("admin/articles/save", &bad, "/admin/articles/new").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/articles/new"));
    let page = editor.get("/admin/articles/new").await.body;
    for id in ["field-title-error", "field-slug-error", "field-publish_at-error", "field-tags-error"] {
        assert!(page.contains(&format!("id=\"{id}\"")), "{id} missing");
    }
    assert!(page.contains("Give the article a title."));
    for typed in ["Kept excerpt, typed by hand.", "Not A Slug", "ok, !!!", "Rain is no reason to stay in."] {
        assert!(page.contains(typed), "{typed} kept");
    }
    assert!(page.contains("value=\"scheduled\" checked"), "the chosen state stays chosen");
    // The preview shows what was typed, drawn as readers would get it.
    assert!(page.contains("<h2 id=\"section-what-to-pack\">What to pack</h2>"), "the typed body's preview");
    assert_eq!(count(&app.db, "select count(*) from articles").await, articles, "nothing created");
    assert!(!editor.get("/admin/articles/new").await.body.contains("Kept excerpt"), "a reload shows a clean form");
}

#[sqlx::test(migrations = "./migrations")]
async fn the_preview_is_what_readers_get(db: PgPool) {
    let app = spawn(db).await;
    let editor = editor(&app).await;
    let body = "## Hello\n\n<img src=x onerror=alert(1)> and [a link](javascript:alert(1))\n\n<script>alert(2)</script>";
    let preview = editor.call("admin/articles/preview", &[("body", body)]).await;
    assert_eq!(preview.status, StatusCode::OK, "{}", preview.body);
    let preview = preview.json().as_str().unwrap().to_owned();
    assert!(preview.contains("<h2 id=\"section-hello\">Hello</h2>") && !preview.contains("onerror") && !preview.contains("<script"), "{preview}");
    assert_eq!(preview, render(body), "the very function that publishes");

    // Without JavaScript, "Preview" saves nothing and the page comes back with the preview.
    let articles = count(&app.db, "select count(*) from articles").await;
    let res = editor.post_form("admin/articles/save", &form(&[("body", body), ("intent", "preview")]), "/admin/articles/new").await;
    assert_eq!(res.headers_location.as_deref(), Some("/admin/articles/new"));
    let page = editor.get("/admin/articles/new").await.body;
    assert!(page.contains("nothing is saved until you press"), "the notice");
    assert!(page.contains("<h2 id=\"section-hello\">Hello</h2>"), "the preview beside the form");
    assert!(page.contains(TITLE), "what was typed stays");
    assert_eq!(count(&app.db, "select count(*) from articles").await, articles, "nothing saved");

    // Saved, the stored HTML is the preview's, and readers get that.
    let id = save(&editor, &form(&[("body", body)])).await;
    let stored: String = sqlx::query_scalar("select body_html from articles where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!(stored, preview);
    let article = Client::new(&app).get(&format!("/journal/{SLUG}")).await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(article.body.contains(&preview) && !article.body.contains("alert(2)"));
}

#[sqlx::test(migrations = "./migrations")]
async fn a_scheduled_article_is_hidden_before_its_time_and_public_after_it(db: PgPool) {
    let app = spawn(db).await;
    let editor = editor(&app).await;
    let at = (app.clock_now() + Duration::hours(2)).format("%Y-%m-%dT%H:%M").to_string();
    let id = save(&editor, &form(&[("state", "scheduled"), ("publish_at", &at), ("tags", "Rainy days")])).await;
    let visitor = Client::new(&app);
    let page = format!("/journal/{SLUG}");
    assert_eq!(visitor.get(&page).await.status, StatusCode::NOT_FOUND);
    assert!(!visitor.get("/journal").await.body.contains(TITLE));
    assert!(!visitor.get("/").await.body.contains(TITLE));
    assert_eq!(visitor.get("/journal/tag/rainy-days").await.status, StatusCode::NOT_FOUND, "a tag only a scheduled article has");
    assert!(!visitor.get("/sitemaps/pages.xml").await.body.contains(SLUG));
    assert_eq!(visitor.call("cms/like", &[("article", &id.to_string()), ("like", "true")]).await.status, StatusCode::BAD_REQUEST);
    // Staff see it as a preview, which records nothing.
    let preview = editor.get(&page).await;
    assert_eq!(preview.status, StatusCode::OK);
    assert!(preview.body.contains("data-testid=\"preview-banner\"") && preview.body.contains("scheduled for"), "the preview banner");
    assert!(preview.body.contains("noindex"));
    assert_eq!(count(&app.db, "select count(*) from article_views").await, 0);
    let listed = editor.call("admin/articles/list", &[("query[filters][state]", "scheduled")]).await.json();
    assert_eq!(listed[0]["total"], 1, "{listed}");

    // One minute before: still hidden. At its time: public, with nobody pressing anything.
    app.clock.advance(Duration::minutes(119));
    assert_eq!(visitor.get(&page).await.status, StatusCode::NOT_FOUND);
    app.clock.advance(Duration::minutes(1));
    let article = visitor.get(&page).await;
    assert_eq!(article.status, StatusCode::OK);
    assert!(!article.body.contains("preview-banner"));
    assert!(article.body.contains("\"@type\":\"Article\"") && article.body.contains("\"headline\":\"Packing for a rainy weekend\""), "JSON-LD Article");
    assert!(article.body.contains("1 min read"));
    assert!(article.body.contains("href=\"/journal/tag/rainy-days\""), "its tags link to their pages");
    assert!(visitor.get("/journal").await.body.contains(TITLE));
    let tag = visitor.get("/journal/tag/rainy-days").await;
    assert_eq!(tag.status, StatusCode::OK);
    assert!(tag.body.contains(TITLE) && tag.body.contains("<h1") && tag.body.contains("Rainy days"));
    assert!(visitor.get("/").await.body.contains(TITLE), "the home page's latest articles");
    assert!(visitor.get("/sitemaps/pages.xml").await.body.contains(SLUG));
    let published = editor.call("admin/articles/list", &[("query[filters][state]", "published"), ("query[q]", "rainy")]).await.json();
    assert_eq!(published[0]["total"], 1, "{published}");
}

#[sqlx::test(migrations = "./migrations")]
async fn a_changed_slug_redirects_and_titles_are_escaped(db: PgPool) {
    let app = spawn(db).await;
    let editor = editor(&app).await;
    let title = "Rain </script><script>alert(1)</script> & wind";
    let id = save(&editor, &form(&[("title", title), ("slug", SLUG)])).await;
    let id_text = id.to_string();
    let mut renamed = form(&[("title", title), ("slug", "rainy-weekend-packing")]);
    renamed.push(("id", &id_text));
    assert_eq!(save(&editor, &renamed).await, id);
    let visitor = Client::new(&app);
    let old = visitor.get(&format!("/journal/{SLUG}")).await;
    assert_eq!(old.status, StatusCode::MOVED_PERMANENTLY);
    assert_eq!(old.headers_location.as_deref(), Some("/journal/rainy-weekend-packing"));
    let new = visitor.get("/journal/rainy-weekend-packing").await;
    assert_eq!(new.status, StatusCode::OK);
    assert!(!new.body.contains("<script>alert(1)"), "the title is escaped everywhere: title, meta, JSON-LD");
    assert!(new.body.contains("\\u003c/script\\u003e"), "JSON-LD escapes <");
    let audit = count(&app.db, &format!("select count(*) from audit_log where entity_id = '{id}' and action = 'update' and before->>'slug' = '{SLUG}'")).await;
    assert_eq!(audit, 1, "the change is audited with the value before");
    // Taking the old slug back: it answers again, and the newer one redirects.
    let mut back = form(&[("title", title), ("slug", SLUG)]);
    back.push(("id", &id_text));
    save(&editor, &back).await;
    assert_eq!(visitor.get(&format!("/journal/{SLUG}")).await.status, StatusCode::OK);
    assert_eq!(visitor.get("/journal/rainy-weekend-packing").await.headers_location.as_deref(), Some(&*format!("/journal/{SLUG}")));
    // A deleted article's old addresses are gone too.
    let res = editor.call("admin/articles/delete", &[("id", &id_text)]).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "deleting needs the confirm step");
    let res = editor.call("admin/articles/delete", &[("id", &id_text), ("confirm", "delete")]).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(visitor.get(&format!("/journal/{SLUG}")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(visitor.get("/journal/rainy-weekend-packing").await.status, StatusCode::NOT_FOUND);
    let deleted = editor.call("admin/articles/list", &[("query[filters][state]", "deleted")]).await.json();
    assert_eq!(deleted[0]["total"], 1);
    assert_eq!(editor.call("admin/articles/save", &back).await.status, StatusCode::CONFLICT, "a deleted article is restored before it is edited");
    assert_eq!(editor.call("admin/articles/restore", &[("id", &id_text)]).await.status, StatusCode::OK);
    assert_eq!(visitor.get(&format!("/journal/{SLUG}")).await.status, StatusCode::OK);
    // Unpublished, it answers "not found" again, and is listed as a draft.
    let res = editor.post_form("admin/articles/unpublish", &[("id", &id_text)], &format!("/admin/articles/{id}")).await;
    assert_eq!(res.headers_location, Some(format!("/admin/articles/{id}")));
    assert!(editor.get(&format!("/admin/articles/{id}")).await.body.contains("Unpublished"), "the page says so");
    assert_eq!(visitor.get(&format!("/journal/{SLUG}")).await.status, StatusCode::NOT_FOUND);
    for action in ["create", "update", "delete", "restore", "unpublish"] {
        assert!(count(&app.db, &format!("select count(*) from audit_log where entity_id = '{id}' and action = '{action}'")).await >= 1, "{action} audited");
    }
}

// ---- engagement ---------------------------------------------------------------------------

#[sqlx::test(migrations = "./migrations")]
async fn a_like_twice_counts_once(db: PgPool) {
    let app = spawn(db).await;
    let editor = editor(&app).await;
    let id = save(&editor, &form(&[])).await.to_string();
    async fn like(client: &Client, id: &str, yes: &str) -> Response {
        client.call("cms/like", &[("article", id), ("like", yes)]).await
    }
    // An anonymous visitor who allowed cookies may like; twice is once.
    let reader = Client::new(&app);
    reader.accept_cookies().await;
    let first = like(&reader, &id, "true").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(first.json(), serde_json::json!({ "liked": true, "count": 1 }));
    assert_eq!(like(&reader, &id, "true").await.json(), serde_json::json!({ "liked": true, "count": 1 }), "a second like counts once");
    // The plain form (no JavaScript) says the same and goes back to the article.
    let res = reader.post_form("cms/like", &[("article", &id), ("like", "true")], &format!("/journal/{SLUG}")).await;
    assert_eq!(res.headers_location, Some(format!("/journal/{SLUG}")));
    assert_eq!(count(&app.db, "select count(*) from article_likes").await, 1);
    let page = reader.get(&format!("/journal/{SLUG}")).await.body;
    assert!(page.contains("aria-pressed=\"true\"") && page.contains("1 like<"), "the page shows the like");
    // The database refuses a second row for the same reader, whatever the code does.
    let anonymous: Uuid = sqlx::query_scalar("select anonymous_user_id from article_likes").fetch_one(&app.db).await.unwrap();
    let err = sqlx::query("insert into article_likes (article_id, anonymous_user_id) values ($1::uuid, $2)").bind(&id).bind(anonymous).execute(&app.db).await.unwrap_err();
    assert_eq!(err.as_database_error().and_then(|e| e.constraint()), Some("article_likes_anonymous_key"));
    // A customer likes too; each un-likes only their own.
    let customer = create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let customer = shop::signed_in(&app, customer).await;
    assert_eq!(like(&customer, &id, "true").await.json()["count"], 2);
    assert_eq!(like(&customer, &id, "true").await.json()["count"], 2);
    assert_eq!(like(&reader, &id, "false").await.json(), serde_json::json!({ "liked": false, "count": 1 }));
    assert_eq!(like(&reader, &id, "false").await.json()["count"], 1, "un-liking twice is once too");
    let stored: i32 = sqlx::query_scalar("select like_count from articles where id = $1::uuid").bind(&id).fetch_one(&app.db).await.unwrap();
    assert_eq!((stored, count(&app.db, "select count(*) from article_likes").await), (1, 1));
    // Without consent (or a sign-in) nothing is recorded.
    let stranger = Client::new(&app);
    let refused = like(&stranger, &id, "true").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("sign in or allow cookies"));
    let declined = Client::new(&app);
    assert_eq!(declined.call("consent/save", &[("preset", "none")]).await.status, StatusCode::OK);
    assert_eq!(like(&declined, &id, "true").await.status, StatusCode::BAD_REQUEST);
    assert!(declined.get(&format!("/journal/{SLUG}")).await.body.contains("data-testid=\"like-prompt\""));
    assert_eq!(count(&app.db, "select count(*) from article_likes").await, 1);
    let updated: i64 = count(&app.db, &format!("select count(*) from audit_log where entity_id = '{id}'")).await;
    assert_eq!(updated, 1, "likes are no staff change");
}

#[sqlx::test(migrations = "./migrations")]
async fn views_and_reads_are_recorded_only_with_consent(db: PgPool) {
    let app = spawn(db).await;
    let editor = editor(&app).await;
    let id = save(&editor, &form(&[])).await;
    let id_text = id.to_string();
    let page = format!("/journal/{SLUG}");
    let updated_before: chrono::DateTime<chrono::Utc> = sqlx::query_scalar("select updated_at from articles where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    // No choice yet, or analytics declined: nothing, and no tracker on the page.
    let stranger = Client::new(&app);
    let body = stranger.get(&page).await.body;
    assert!(!body.contains("ReadTracker"), "no beacon is even prepared");
    assert_eq!(stranger.call("cms/read", &[("article", &id_text), ("depth", "90"), ("seconds", "30")]).await.status, StatusCode::OK);
    assert_eq!(count(&app.db, "select count(*) from article_views").await + count(&app.db, "select count(*) from article_reads").await, 0);
    // Allowed: each view counts, and the deepest read is kept.
    let reader = Client::new(&app);
    reader.accept_cookies().await;
    assert!(reader.get(&page).await.body.contains("ReadTracker"));
    reader.get(&page).await;
    assert_eq!(count(&app.db, "select count(*) from article_views where anonymous_user_id is not null").await, 2);
    for (depth, seconds) in [("40", "12"), ("80", "5"), ("30", "3"), ("250", "-4")] {
        let res = reader.call("cms/read", &[("article", &id_text), ("depth", depth), ("seconds", seconds)]).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    let read: (i16, i32) = sqlx::query_as("select scroll_percent, read_seconds from article_reads").fetch_one(&app.db).await.unwrap();
    assert_eq!(read, (100, 12), "the deepest scroll (capped at 100) and the longest time, one row per reader");
    // A signed-in customer is recorded by account.
    let customer = create_user(&app.db, "cus@example.com", "correct horse battery", "customer").await;
    let customer_browser = shop::signed_in(&app, customer).await;
    customer_browser.get(&page).await;
    customer_browser.call("cms/read", &[("article", &id_text), ("depth", "55"), ("seconds", "20")]).await;
    assert_eq!(count(&app.db, &format!("select count(*) from article_reads where user_id = '{customer}' and scroll_percent = 55")).await, 1);
    let (views, updated_after): (i32, chrono::DateTime<chrono::Utc>) =
        sqlx::query_as("select view_count, updated_at from articles where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_eq!(views, 3);
    assert_eq!(updated_after, updated_before, "counting readers is no edit");
    // Staff see the figures in the editor.
    let editor_page = editor.get(&format!("/admin/articles/{id}")).await.body;
    assert!(editor_page.contains("data-testid=\"engagement\"") && editor_page.contains("78%"), "average depth of 100 and 55");
    // Reads of an article readers cannot see are ignored.
    let draft = save(&editor, &form(&[("title", "A draft"), ("state", "draft")])).await.to_string();
    reader.call("cms/read", &[("article", &draft), ("depth", "50")]).await;
    assert_eq!(count(&app.db, &format!("select count(*) from article_reads where article_id = '{draft}'")).await, 0);
}

// ---- the featured image -------------------------------------------------------------------

const BOUNDARY: &str = "larkspur-article-boundary-51c2";

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
    }
    if let Some((file_name, bytes)) = file {
        body.extend_from_slice(
            format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: image/png\r\n\r\n").as_bytes(),
        );
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn upload_request(referer: &str, length: usize) -> axum::http::request::Builder {
    Request::post("/admin/uploads/article-image")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"))
        .header(header::ACCEPT, "text/html,application/xhtml+xml")
        .header(header::REFERER, referer)
        .header(header::ORIGIN, "http://127.0.0.1:3000")
        .header(header::CONTENT_LENGTH, length)
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let image = image::RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(image).write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    bytes.into_inner()
}

#[sqlx::test(migrations = "./migrations")]
async fn the_featured_image_goes_through_the_image_pipeline(db: PgPool) {
    let media = std::env::temp_dir().join(format!("larkspur-articles-{}", Uuid::now_v7()));
    let dir = media.to_string_lossy().into_owned();
    let app = spawn_configured(db, &redis_url(), &[("MEDIA_DIR", dir.as_str())]).await;
    let editor = editor(&app).await;
    let id = save(&editor, &form(&[])).await;
    let editor_page = format!("/admin/articles/{id}");
    let upload = |fields: Vec<(&'static str, String)>, file: Option<(&'static str, Vec<u8>)>| {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let body = multipart(&fields, file.as_ref().map(|(n, b)| (*n, b.as_slice())));
        editor.request(upload_request(&editor_page, body.len()), Body::from(body))
    };
    // A text file named like a picture, and a missing description: refused, nothing stored.
    let res = upload(vec![("article", id.to_string()), ("alt", "A bag".into())], Some(("bag.png", b"not an image at all".to_vec()))).await;
    assert_eq!(res.headers_location.as_deref(), Some(editor_page.as_str()));
    assert!(editor.get(&editor_page).await.body.contains("is a text file, not an image"));
    let res = upload(vec![("article", id.to_string()), ("alt", " ".into())], Some(("bag.png", png(64, 36)))).await;
    assert_eq!(res.headers_location.as_deref(), Some(editor_page.as_str()));
    assert!(editor.get(&editor_page).await.body.contains("id=\"image-alt-error\""));
    assert_eq!(count(&app.db, "select count(*) from articles where featured_image_url is not null and slug = 'packing-for-a-rainy-weekend'").await, 0);

    let res = upload(vec![("article", id.to_string()), ("alt", "A waxed bag in the rain".into())], Some(("bag.png", png(1024, 576)))).await;
    assert_eq!(res.headers_location, Some(format!("/admin/articles/{id}?saved=image#image")));
    let (url, key, widths, alt): (String, String, Vec<i32>, String) =
        sqlx::query_as("select featured_image_url, featured_image_key, featured_image_widths, featured_image_alt from articles where id = $1")
            .bind(id)
            .fetch_one(&app.db)
            .await
            .unwrap();
    assert!(key.starts_with("articles/") && url == format!("/media/{key}/1024.jpg"), "{url} {key}");
    assert_eq!((widths, alt.as_str()), (vec![320, 640, 1024], "A waxed bag in the rain"));
    for file in ["320.webp", "640.jpg", "1024.webp", "1024.jpg"] {
        assert!(PathBuf::from(&media).join(&key).join(file).exists(), "{file}");
    }
    let article = Client::new(&app).get(&format!("/journal/{SLUG}")).await.body;
    assert!(article.contains(&format!("/media/{key}/640.webp 640w")) && article.contains("alt=\"A waxed bag in the rain\""), "a <picture> with srcset");
    assert!(article.contains(&format!("\"image\":[\"http://127.0.0.1:3000/media/{key}/1024.jpg\"]")), "in the JSON-LD too");
    // The description is edited with the article; the image is required to have one.
    let id_text = id.to_string();
    let mut no_alt = form(&[("image_alt", "")]);
    no_alt.push(("id", &id_text));
    assert!(editor.call("admin/articles/save", &no_alt).await.json()["Validation"]["image_alt"][0].is_string());
    // A new upload replaces it, and the old files go.
    upload(vec![("article", id.to_string()), ("alt", "Another".into())], Some(("second.png", png(400, 300)))).await;
    let second: String = sqlx::query_scalar("select featured_image_key from articles where id = $1").bind(id).fetch_one(&app.db).await.unwrap();
    assert_ne!(second, key);
    assert!(!PathBuf::from(&media).join(&key).join("320.jpg").exists(), "the replaced image's files are removed");
    assert_eq!(editor.call("admin/articles/image/remove", &[("id", &id_text)]).await.status, StatusCode::OK);
    assert!(!PathBuf::from(&media).join(&second).join("400.jpg").exists());
    assert_eq!(count(&app.db, &format!("select count(*) from audit_log where entity_id = '{id}' and action in ('set_image', 'remove_image')")).await, 3);
    let _ = std::fs::remove_dir_all(&media);
}
