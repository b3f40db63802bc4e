//! Staff page for CSV export and import of products and stock. An upload (a file or pasted
//! text) is kept on the server and previewed: each row it would create or change, and each
//! rejected row with its line and reason. "Import" then reads the kept file again, checks
//! every row again in one transaction and imports the good ones. Everything here asks for
//! `Permission::ManageCatalog`; the rules live in `catalog::csv`.

use crate::{
    catalog::types::{ImportKind, ImportPreview},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    ui::{FormError, Notice, PageTitle, StatusPage, textarea_text, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};

/// Where the upload form posts (a multipart route the request guard streams).
pub const UPLOAD_PATH: &str = "/admin/uploads/csv-import";
/// The session key holding the token of the upload waiting for its confirm step.
#[cfg(feature = "ssr")]
const PENDING_KEY: &str = "csv_import";
/// Rows of each list the preview shows; the counts cover every row.
const SHOWN_ROWS: usize = 500;

#[cfg(feature = "ssr")]
use super::access::catalog_staff;

/// The preview of the upload waiting in this session, worked out afresh; `None` when
/// there is none (or it expired).
#[server(endpoint = "admin/import/preview")]
pub async fn get_import_preview() -> Result<Option<ImportPreview>, AppError> {
    use crate::catalog::csv;
    crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let session = crate::server::ctx::session().await?;
        let Some(token) = session.get::<String>(PENDING_KEY).await? else { return Ok(None) };
        let prefix = &state.config.redis_prefix;
        let Some(pending) = csv::pending(&state.redis, prefix, &token).await?.filter(|p| p.user == actor.user_id) else {
            // Expired: the page shows the upload form alone.
            session.take::<String>(PENDING_KEY).await?;
            return Ok(None);
        };
        let mut conn = state.db.acquire().await?;
        let mut plan = csv::plan(&mut conn, pending.kind, &pending.file_name, &pending.text).await?;
        plan.preview.token = token;
        Ok(Some(plan.preview))
    })
    .await
}

/// Imports the good rows of the upload under `token`, if they are still the ones the
/// preview (`digest`) showed: the file is read and every row checked again, in the one
/// transaction that imports them.
#[server(endpoint = "admin/import/confirm")]
pub async fn confirm_import(#[server(default)] token: String, #[server(default)] digest: String) -> Result<usize, AppError> {
    use crate::{
        catalog::csv,
        forms::server::{finish, Then},
    };
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let session = crate::server::ctx::session().await?;
        crate::auth::server::second_factor::require_recent(&state, &session).await?;
        let prefix = &state.config.redis_prefix;
        let stale = || AppError::Rejected("This preview is no longer current (it expired, or another file was uploaded since). Upload the file again.".into());
        if token.is_empty() || session.get::<String>(PENDING_KEY).await?.as_deref() != Some(token.as_str()) {
            return Err(stale());
        }
        let pending = csv::pending(&state.redis, prefix, &token).await?.filter(|p| p.user == actor.user_id).ok_or_else(stale)?;
        let mut tx = state.db.begin().await?;
        let plan = csv::plan(&mut tx, pending.kind, &pending.file_name, &pending.text).await?;
        if plan.preview.digest != digest {
            return Err(AppError::Conflict(
                "The store changed since this preview, so the rows to import changed. Check the preview below and import again.".into(),
            ));
        }
        if plan.preview.changes.is_empty() {
            return Err(AppError::Rejected("No row changes anything: there is nothing to import.".into()));
        }
        let imported = csv::apply(&mut tx, &actor, &plan, state.clock.now()).await?;
        tx.commit().await?;
        state.catalog.changed();
        session.take::<String>(PENDING_KEY).await?;
        csv::forget(&state.redis, prefix, &token).await;
        Ok(imported)
    })
    .await;
    finish("import", &[], None, result, |n| Then::Stay { step: None, notice: Some(format!("Imported {n} {}.", if *n == 1 { "row" } else { "rows" })) }).await
}

/// Drops the upload waiting in this session.
#[server(endpoint = "admin/import/cancel")]
pub async fn cancel_import() -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, _) = catalog_staff().await?;
        let session = crate::server::ctx::session().await?;
        if let Some(token) = session.take::<String>(PENDING_KEY).await? {
            crate::catalog::csv::forget(&state.redis, &state.config.redis_prefix, &token).await;
        }
        Ok(())
    })
    .await;
    finish("import", &[], None, result, |_| Then::Stay { step: None, notice: Some("The upload was discarded; nothing was imported.".into()) }).await
}

#[component]
pub fn ImportPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| async move { (get_import_preview().await, take_form_outcome().await.ok().flatten()) });
    view! {
        <PageTitle text="Import and export — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(preview) => view! { <ImportExport preview flash/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ImportExport(preview: Option<ImportPreview>, flash: Option<FormFlash>) -> impl IntoView {
    let outcome = FormFlash::of(&flash, "import");
    let error = Signal::derive({ let e = outcome.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
    let notice = Signal::derive({ let n = outcome.as_ref().and_then(|f| f.notice.clone()); move || n.clone() });
    view! {
        <div class="flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold text-stone-900">"Import and export"</h1>
            <a href="/admin/products" class=LINK>"Back to products"</a>
        </div>
        <div class="mt-4 space-y-2" data-testid="import-outcome"><FormError error/><Notice message=notice/></div>
        <section class="mt-6 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="export-heading">
            <h2 id="export-heading" class="text-lg font-semibold">"Export"</h2>
            <p class="mt-1 text-sm text-stone-600">"Every product that is not deleted. To export a filtered list, filter the products list first and use its export links."</p>
            <div class="mt-4 flex flex-wrap gap-3">
                <a href="/admin/products.csv" class=BUTTON_SECONDARY download="products.csv">"Products CSV"</a>
                <a href="/admin/stock.csv" class=BUTTON_SECONDARY download="stock.csv">"Stock CSV"</a>
            </div>
        </section>
        {preview.map(|p| view! { <Preview preview=p/> })}
        <UploadForm flash/>
    }
}

/// What the waiting upload would do, and the confirm step.
#[component]
fn Preview(preview: ImportPreview) -> impl IntoView {
    let good = preview.changes.len();
    let creates = preview.changes.iter().filter(|c| c.creates).count();
    let what = match preview.kind {
        Some(ImportKind::Stock) => "stock",
        _ => "products",
    };
    let summary = format!(
        "{} rows read from {}: {good} to import ({creates} new, {} changed), {} unchanged, {} rejected.",
        preview.rows,
        if preview.file_name.is_empty() { "the pasted text".to_owned() } else { preview.file_name.clone() },
        good - creates,
        preview.unchanged,
        preview.rejected.len()
    );
    let more_rejected = preview.rejected.len().saturating_sub(SHOWN_ROWS);
    let more_changes = good.saturating_sub(SHOWN_ROWS);
    view! {
        <section class="mt-6 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="preview-heading" data-testid="import-preview">
            <h2 id="preview-heading" class="text-lg font-semibold">{format!("Preview: {what}")}</h2>
            <p class="mt-1 text-sm text-stone-700" data-testid="import-summary">{summary}</p>
            {(!preview.rejected.is_empty()).then(|| view! {
                <h3 class="mt-6 font-semibold text-red-900">"Rejected rows (not imported)"</h3>
                <div class="mt-2 overflow-x-auto">
                    <table class="w-full text-left text-sm" data-testid="import-rejected">
                        <thead class="border-b border-stone-200 text-stone-600"><tr>
                            <th scope="col" class="px-2 py-1">"Line"</th><th scope="col" class="px-2 py-1">"Row"</th><th scope="col" class="px-2 py-1">"Reason"</th>
                        </tr></thead>
                        <tbody>
                            {preview.rejected.iter().take(SHOWN_ROWS).map(|r| view! {
                                <tr class="border-b border-stone-100 align-top">
                                    <td class="px-2 py-1 tabular-nums">{r.line}</td>
                                    <td class="px-2 py-1 font-mono text-xs">{r.key.clone()}</td>
                                    <td class="px-2 py-1 text-red-800">{r.reason.clone()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {(more_rejected > 0).then(|| view! { <p class="mt-1 text-sm text-stone-600">{format!("And {more_rejected} more rejected rows.")}</p> })}
            })}
            {(good > 0).then(|| view! {
                <h3 class="mt-6 font-semibold">"Rows to import"</h3>
                <div class="mt-2 overflow-x-auto">
                    <table class="w-full text-left text-sm" data-testid="import-changes">
                        <thead class="border-b border-stone-200 text-stone-600"><tr>
                            <th scope="col" class="px-2 py-1">"Line"</th><th scope="col" class="px-2 py-1">"Row"</th><th scope="col" class="px-2 py-1">"Change"</th>
                        </tr></thead>
                        <tbody>
                            {preview.changes.iter().take(SHOWN_ROWS).map(|c| view! {
                                <tr class="border-b border-stone-100 align-top">
                                    <td class="px-2 py-1 tabular-nums">{c.line}</td>
                                    <td class="px-2 py-1 font-mono text-xs">{c.key.clone()}{c.creates.then_some(" (new)")}</td>
                                    <td class="px-2 py-1">
                                        <ul>{c.fields.iter().map(|(field, before, after)| view! {
                                            <li><span class="font-medium">{field.clone()}</span>": "
                                                {(!c.creates).then(|| view! { <del class="text-stone-500">{before.clone()}</del>" → " })}
                                                <ins class="no-underline">{after.clone()}</ins></li>
                                        }).collect_view()}</ul>
                                    </td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
                {(more_changes > 0).then(|| view! { <p class="mt-1 text-sm text-stone-600">{format!("And {more_changes} more rows to import.")}</p> })}
            })}
            <div class="mt-6 flex flex-wrap items-center gap-3">
                {if good > 0 {
                    view! {
                        <form method="post" action=ConfirmImport::url()>
                            <input type="hidden" name="token" value=preview.token.clone()/>
                            <input type="hidden" name="digest" value=preview.digest.clone()/>
                            <button type="submit" class=BUTTON_PRIMARY>{format!("Import {good} good {}", if good == 1 { "row" } else { "rows" })}</button>
                        </form>
                    }.into_any()
                } else {
                    view! { <p class="text-sm text-stone-700">"No row would change anything, so there is nothing to import."</p> }.into_any()
                }}
                <form method="post" action=CancelImport::url()>
                    <button type="submit" class=BUTTON_SECONDARY>"Discard this upload"</button>
                </form>
            </div>
        </section>
    }
}

/// The upload form: a file or pasted text, and what it holds.
#[component]
fn UploadForm(flash: Option<FormFlash>) -> impl IntoView {
    let mine = FormFlash::of(&flash, "import-upload");
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let kind = mine.as_ref().map(|f| f.value("kind")).unwrap_or_default();
    let text = mine.as_ref().map(|f| f.value("text")).unwrap_or_default();
    let file_error = error.as_ref().and_then(|e| e.field_error("file"));
    let file_described = file_error.as_ref().map(|_| "import-file-error");
    let kind_error = error.as_ref().and_then(|e| e.field_error("kind"));
    let kind_described = kind_error.as_ref().map(|_| "import-kind-error");
    let general = Signal::derive({ let e = error.clone(); move || e.clone() });
    let columns = |kind: ImportKind| match kind {
        ImportKind::Products => "id, name, slug (required), status (active or draft), currency, price, sale_price, categories (names, comma-separated), description, seo_title, seo_description; available and held are ignored",
        ImportKind::Stock => "product (slug), colour, size, sku, stock (required), held (ignored); name each row by its sku, or by product, colour and size",
    };
    view! {
        <section class="mt-6 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="import-heading">
            <h2 id="import-heading" class="text-lg font-semibold">"Import"</h2>
            <p class="mt-1 text-sm text-stone-600">
                "Upload a CSV file (UTF-8, comma-separated, up to 2 MB and 10,000 rows) or paste its text. You will see what it changes before anything is saved. "
                "Empty or missing columns keep what a product has; a row with an unknown slug creates a product."
            </p>
            <form method="post" action=UPLOAD_PATH enctype="multipart/form-data" class="mt-4 space-y-4">
                <FormError error=general/>
                <fieldset aria-describedby=kind_described>
                    <legend class="text-sm font-medium text-stone-800">"The file holds"</legend>
                    {[ImportKind::Products, ImportKind::Stock].into_iter().map(|k| view! {
                        <label class="mt-2 flex items-start gap-2 text-sm">
                            <input type="radio" name="kind" value=k.as_str() checked={kind == k.as_str()} required=true class="mt-0.5 size-4"/>
                            <span><span class="font-medium">{if k == ImportKind::Products { "Products" } else { "Stock" }}</span>
                                <span class="block text-xs text-stone-500">{columns(k)}</span></span>
                        </label>
                    }).collect_view()}
                    {kind_error.map(|m| view! { <p id="import-kind-error" class="mt-1 text-sm text-red-700">{m}</p> })}
                </fieldset>
                <div class="space-y-1">
                    <label for="import-file" class="block text-sm font-medium text-stone-800">"CSV file"</label>
                    <input id="import-file" type="file" name="file" accept=".csv,text/csv"
                        aria-invalid=file_described.map(|_| "true") aria-describedby=file_described
                        class="block text-sm file:mr-3 file:rounded-full file:border file:border-stone-300 file:bg-white file:px-4 file:py-2 file:text-sm file:font-semibold"/>
                    {file_error.map(|m| view! { <p id="import-file-error" class="text-sm text-red-700" data-testid="import-file-error">{m}</p> })}
                </div>
                <div class="space-y-1">
                    <label for="import-text" class="block text-sm font-medium text-stone-800">"Or paste the CSV"</label>
                    <textarea id="import-text" name="text" rows="8" spellcheck="false"
                        class="block w-full rounded-lg border border-stone-300 px-3 py-2 font-mono text-sm focus:outline-2 focus:outline-emerald-700">{textarea_text(&text)}</textarea>
                </div>
                <button type="submit" class=BUTTON_PRIMARY>"Preview import"</button>
            </form>
        </section>
    }
}

/// The upload and export routes (plain axum handlers: a multipart body, and CSV answers).
#[cfg(feature = "ssr")]
pub mod server {
    use super::PENDING_KEY;
    use crate::{
        admin::table::ListQuery,
        catalog::{
            csv::{self, Pending, MAX_BYTES},
            types::ImportKind,
        },
        error::AppError,
        forms::{server::FLASH_KEY, FormFlash},
        server::{multipart::Limits, session::AppSession, state::AppState},
    };
    use axum::{
        extract::{Multipart, RawQuery, State},
        http::{header, request::Parts},
        response::{IntoResponse, Redirect, Response},
    };
    use uuid::Uuid;

    /// Largest upload body: the file and the pasted text together, with the form around them.
    pub const MAX_UPLOAD_BODY: usize = 2 * MAX_BYTES + 64 * 1024;
    /// Pasted text kept for the form after a refusal, so it need not be pasted again.
    const KEPT_TEXT: usize = 64 * 1024;

    fn csv_response(name: &str, body: String) -> Response {
        let disposition = format!("attachment; filename=\"{name}\"");
        ([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)], body).into_response()
    }

    /// `GET /admin/products.csv?<the product list's filters>`: every matching product.
    pub async fn export_products(State(state): State<AppState>, session: tower_sessions::Session, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
        crate::admin::access::catalog_staff_of(&state, &AppSession::new(session)).await?;
        Ok(csv_response("products.csv", csv::export_products(&state.db, &ListQuery::from_raw(raw.as_deref())).await?))
    }

    /// `GET /admin/stock.csv?<the product list's filters>`: every colour × size of the
    /// matching products.
    pub async fn export_stock(State(state): State<AppState>, session: tower_sessions::Session, RawQuery(raw): RawQuery) -> Result<Response, AppError> {
        crate::admin::access::catalog_staff_of(&state, &AppSession::new(session)).await?;
        Ok(csv_response("stock.csv", csv::export_stock(&state.db, &ListQuery::from_raw(raw.as_deref())).await?))
    }

    /// What the upload form sent.
    #[derive(Default)]
    struct Received {
        kind: String,
        file_name: String,
        file: Vec<u8>,
        text: String,
    }

    /// `POST /admin/uploads/csv-import`: `kind`, then `file` or `text`. A file that can be
    /// read is kept for its preview at /admin/import; otherwise the form shows why.
    pub async fn upload(State(state): State<AppState>, session: tower_sessions::Session, parts: Parts, multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>) -> Response {
        let session = AppSession::new(session);
        let user = match crate::admin::access::catalog_staff_of(&state, &session).await {
            Ok(user) => user,
            Err(e) => return e.into_response(),
        };
        let mut received = Received::default();
        let result = receive(&state, user, &parts, multipart, &mut received).await;
        let outcome = match result {
            Ok(token) => session.put(PENDING_KEY, &token).await,
            Err(error) => {
                let text = if received.text.len() <= KEPT_TEXT { received.text } else { String::new() };
                let flash = FormFlash { form: "import-upload".into(), values: [("kind".to_owned(), received.kind), ("text".to_owned(), text)].into(), error: Some(error), ..Default::default() };
                session.put(FLASH_KEY, &flash).await
            }
        };
        match outcome {
            Ok(()) => Redirect::to("/admin/import").into_response(),
            Err(e) => e.into_response(),
        }
    }

    fn too_large() -> AppError {
        AppError::field("file", format!("The file is larger than {} MB. Split it into smaller files.", MAX_BYTES / (1024 * 1024)))
    }

    const UPLOAD: Limits = Limits { body: MAX_UPLOAD_BODY, too_large };

    async fn receive(
        state: &AppState,
        user: Uuid,
        parts: &Parts,
        multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
        received: &mut Received,
    ) -> Result<String, AppError> {
        let mut multipart = UPLOAD.open(parts, multipart)?;
        while let Some(mut field) = UPLOAD.next(&mut multipart).await? {
            match field.name().unwrap_or_default() {
                "kind" => received.kind = text_of(UPLOAD.capped(&mut field, 64).await?.ok_or_else(|| AppError::field("kind", "Choose what the file holds."))?)?,
                "file" => {
                    received.file_name = crate::server::multipart::file_name(&field);
                    received.file = UPLOAD.capped(&mut field, MAX_BYTES).await?.ok_or_else(too_large)?;
                }
                "text" => received.text = text_of(UPLOAD.capped(&mut field, MAX_BYTES).await?.ok_or_else(too_large)?)?,
                _ => {}
            }
        }
        let kind = ImportKind::parse(&received.kind).ok_or_else(|| AppError::field("kind", "Choose what the file holds: products or stock."))?;
        let (file_name, text) = if !received.file.is_empty() {
            (received.file_name.clone(), text_of(std::mem::take(&mut received.file))?)
        } else if !received.text.trim().is_empty() {
            (String::new(), received.text.clone())
        } else {
            return Err(AppError::field("file", "Choose a CSV file, or paste its text below."));
        };
        // A file that cannot be read at all is refused here, beside the form.
        csv::read(kind, &text).map_err(|m| AppError::field("file", m))?;
        csv::keep(&state.redis, &state.config.redis_prefix, &Pending { user, kind, file_name, text }).await
    }

    /// The bytes as text: UTF-8 (what spreadsheets save as "CSV UTF-8"), without NUL.
    fn text_of(bytes: Vec<u8>) -> Result<String, AppError> {
        let text = String::from_utf8(bytes).map_err(|_| AppError::field("file", "The file is not UTF-8 text. Save it as \"CSV UTF-8\" and upload it again."))?;
        if text.contains('\0') {
            return Err(AppError::field("file", "The file contains characters that are not allowed (NUL). Is it really a CSV file?"));
        }
        Ok(text)
    }
}
