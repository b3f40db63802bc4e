//! Staff pages for home-page banners: the list in home-page order (state, window,
//! impressions, clicks and click-through, arrows to reorder) and the editor (image with its
//! required alt text, words, button, schedule), delete behind a confirm step. The editor's
//! form carries the image, so it posts as one multipart form to an axum handler
//! ([`server::save`], under the upload prefix, through the product images' pipeline); the
//! rest are server functions. Every one asks for `Permission::ManageContent` (editors and
//! admins); the rules live in `banners`.

use super::{
    categories::arrows,
    table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row},
};
use crate::{
    banners::{click_through, BannerEditor, BannerInput, BannerState, StaffBanner},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    media::Picture,
    ui::{invalid, Field, FormError, Notice, PageTitle, StatusPage, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

/// Where the editor's form posts (under `server::guard::UPLOAD_PREFIXES`: streamed, not buffered).
pub const SAVE_PATH: &str = "/admin/uploads/banners";

#[cfg(feature = "ssr")]
async fn content_staff() -> Result<(crate::server::state::AppState, crate::audit::server::Actor), AppError> {
    super::access::staff(crate::auth::Permission::ManageContent).await
}

/// One page of the list, and the time its states are worked out at.
#[server(endpoint = "admin/banners/list")]
pub async fn list_banners(#[server(default)] query: ListQuery) -> Result<(Paged<StaffBanner>, DateTime<Utc>), AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = content_staff().await?;
        let now = state.clock.now();
        Ok((crate::banners::server::list(&state.db, &query, now).await?, now))
    })
    .await
}

#[server(endpoint = "admin/banners/editor")]
pub async fn get_banner_editor(#[server(default)] id: Option<Uuid>) -> Result<BannerEditor, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = content_staff().await?;
        let now = state.clock.now();
        let banner = match id {
            None => None,
            Some(id) => Some(crate::banners::server::banner(&state.db, id).await?.ok_or_else(|| AppError::NotFound("That banner".into()))?),
        };
        Ok(BannerEditor { banner, now })
    })
    .await
}

/// Moves a banner one place up (earlier on the home page) or down.
#[server(endpoint = "admin/banners/move")]
pub async fn move_banner(#[server(default)] id: Option<Uuid>, #[server(default)] direction: String) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = content_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That banner".into()))?;
        let up = super::categories::direction(&direction)?;
        crate::banners::server::move_banner(&state.db, &actor, id, up, state.clock.now()).await
    })
    .await;
    finish("banner-list", &[], None, result, |_| Then::Return).await
}

/// Deletes a banner and its image, after the confirm step.
#[server(endpoint = "admin/banners/delete")]
pub async fn delete_banner(#[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = content_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That banner".into()))?;
        if confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete this banner.".into()));
        }
        let old = crate::banners::server::delete(&state.db, &actor, id, state.clock.now()).await?;
        if let Some(prefix) = old.storage_key {
            super::images::server::remove_files(state.media.as_ref(), &prefix, &old.widths).await;
        }
        Ok(())
    })
    .await;
    finish("banner-delete", &[], None, result, |_| Then::Redirect("/admin/banners?deleted=1".to_owned())).await
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M").to_string()
}

/// `1 Dec 2026, 09:00 – 31 Dec 2026, 23:59 UTC`, open ends said as such.
fn window(starts_at: Option<DateTime<Utc>>, ends_at: Option<DateTime<Utc>>) -> String {
    match (starts_at, ends_at) {
        (None, None) => "Always".to_owned(),
        (Some(start), None) => format!("From {} UTC", day(start)),
        (None, Some(end)) => format!("Until {} UTC", day(end)),
        (Some(start), Some(end)) => format!("{} – {} UTC", day(start), day(end)),
    }
}

fn banner_row(b: StaffBanner, now: DateTime<Utc>) -> Row {
    let state = b.state(now);
    let id = b.id.to_string();
    Row {
        id: id.clone(),
        cells: vec![
            Cell::Link { href: format!("/admin/banners/{id}"), text: b.fields.title.clone() },
            Cell::Badge { text: state.label().into(), good: state == BannerState::Live },
            Cell::Muted(window(b.fields.starts_at, b.fields.ends_at)),
            Cell::Text(b.impressions.to_string()),
            Cell::Text(b.clicks.to_string()),
            Cell::Text(click_through(b.clicks, b.impressions).unwrap_or_else(|| "—".into())),
            Cell::Actions(arrows(MoveBanner::url(), &[("id", id)], &b.fields.title, b.first, b.last)),
        ],
    }
}

#[component]
pub fn BannersPage() -> impl IntoView {
    let list_query = use_list_query(&["status"]);
    let query = use_query_map();
    let data = Resource::new(move || list_query.get(), |q| async move { (list_banners(q).await, take_form_outcome().await.ok().flatten()) });
    let deleted = move || query.with(|q| q.get("deleted")).is_some();
    view! {
        <PageTitle text="Banners — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok((page, now)) => {
                    let error = FormFlash::of(&flash, "banner-list").and_then(|f| f.error);
                    let error = Signal::derive(move || error.clone());
                    let notice = deleted().then(|| "Banner deleted.".to_owned());
                    let notice = Signal::derive(move || notice.clone());
                    let filters = vec![FilterSelect {
                        key: "status",
                        label: "Status",
                        options: [("", "All banners"), ("live", "Live"), ("scheduled", "Scheduled"), ("ended", "Ended"), ("inactive", "Inactive")]
                            .into_iter()
                            .map(|(v, l)| (v.to_owned(), l.to_owned()))
                            .collect(),
                    }];
                    let columns = vec![
                        Column::new("title", "Banner"),
                        Column::new("status", "Status"),
                        Column::new("when", "When"),
                        Column::new("impressions", "Impressions").numeric(),
                        Column::new("clicks", "Clicks").numeric(),
                        Column::new("ctr", "Click-through").numeric(),
                        Column::new("order", "Order"),
                    ];
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-2xl font-semibold text-stone-900">"Banners"</h1>
                            <a href="/admin/banners/new" class=BUTTON_PRIMARY>"Add banner"</a>
                        </div>
                        <p class="mt-1 max-w-3xl text-sm text-stone-600">
                            "The home page shows the live banners in this order: the first large at the top, the next three below it. Impressions count home-page views by visitors who allowed analytics; clicks count presses of the button. Times are in UTC."
                        </p>
                        <div class="mt-4 space-y-2"><FormError error/><Notice message=notice/></div>
                        <DataTable path="/admin/banners" query=list_query.get() columns rows=page.rows.into_iter().map(|b| banner_row(b, now)).collect() total=page.total
                            search_label="Search by title" filters empty="No banners match. Clear the search or filters, or add a banner."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn BannerEditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    let is_new = move || params.with(|p| p.get("id")).as_deref() == Some("new");
    let editor = Resource::new(move || (id(), is_new()), |(id, is_new)| async move {
        let editor = match (id, is_new) {
            // The access check answers first, then "not found" for an address that is no id.
            (None, false) => get_banner_editor(None).await.and(Err(AppError::NotFound("That banner".into()))),
            (id, _) => get_banner_editor(id).await,
        };
        (editor, take_form_outcome().await.ok().flatten())
    });
    let saved = move || query.with(|q| q.get("saved")).is_some();
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("delete");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || editor.get().map(|(result, flash)| match result {
                Ok(editor) => view! { <BannerForm editor flash saved=saved() confirming=confirming()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

const CARD: &str = "space-y-4 rounded-xl border border-stone-200 bg-white p-6";

#[component]
fn BannerForm(editor: BannerEditor, flash: Option<FormFlash>, saved: bool, confirming: bool) -> impl IntoView {
    let mine = FormFlash::of(&flash, "banner");
    let stored = editor.banner.as_ref().map(|b| BannerInput::of(&b.fields)).unwrap_or_else(|| BannerInput { is_active: true, ..BannerInput::default() });
    let value = |field: &str, current: &str| RwSignal::new(mine.as_ref().map_or_else(|| current.to_owned(), |f| f.value(field)));
    let (title, subtitle, image_alt) = (value("title", &stored.title), value("subtitle", &stored.subtitle), value("image_alt", &stored.image_alt));
    let (button_text, button_link) = (value("button_text", &stored.button_text), value("button_link", &stored.button_link));
    let (starts_at, ends_at) = (value("starts_at", &stored.starts_at), value("ends_at", &stored.ends_at));
    let active = mine.as_ref().map_or(stored.is_active, |f| f.value("is_active") == "on");
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let image_error = error.as_ref().and_then(|e| e.field_error("image"));
    let err = Signal::derive({ let e = error.clone(); move || e.clone() });
    let other = ["banner-delete"].iter().find_map(|form| FormFlash::of(&flash, form));
    let other_error = Signal::derive({ let e = other.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
    let notice = saved.then(|| "Banner saved.".to_owned());
    let notice = Signal::derive(move || notice.clone());
    let title_text = editor.banner.as_ref().map_or_else(|| "New banner".to_owned(), |b| b.fields.title.clone());
    let id_value = editor.banner.as_ref().map(|b| b.id.to_string()).unwrap_or_default();
    let now = editor.now;
    let is_new = editor.banner.is_none();
    let image_hint = if is_new {
        "JPEG, PNG, WebP or GIF up to 15 MB, wide (about 1600 × 700 pixels shows best). Should the form come back with a message, choose the file again."
    } else {
        "Leave empty to keep the current image. JPEG, PNG, WebP or GIF up to 15 MB, wide (about 1600 × 700 pixels shows best)."
    };
    view! {
        <PageTitle text=format!("{title_text} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <ol class="flex gap-2"><li><a href="/admin/banners" class=LINK>"Banners"</a></li><li aria-hidden="true">"/"</li><li aria-current="page">{title_text.clone()}</li></ol>
        </nav>
        <div class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold text-stone-900">{title_text.clone()}</h1>
            {editor.banner.as_ref().map(|b| {
                let state = b.state(now);
                let tone = if state == BannerState::Live { "bg-emerald-100 text-emerald-900" } else { "bg-stone-200 text-stone-800" };
                view! {
                    <div class="flex items-center gap-4 text-sm">
                        <span class=format!("inline-flex rounded-full px-3 py-1 text-xs font-semibold {tone}") data-testid="banner-state">{state.label()}</span>
                        <a href=format!("/admin/audit?kind=banner&entity={}", b.id) class=LINK>"History"</a>
                    </div>
                }
            })}
        </div>
        {editor.banner.as_ref().map(|b| view! {
            <dl class="mt-4 grid max-w-xl grid-cols-3 gap-4" data-testid="banner-figures">
                <div class="rounded-xl border border-stone-200 bg-white p-4"><dt class="text-xs text-stone-600">"Impressions"</dt><dd class="text-2xl font-semibold tabular-nums">{b.impressions}</dd></div>
                <div class="rounded-xl border border-stone-200 bg-white p-4"><dt class="text-xs text-stone-600">"Clicks"</dt><dd class="text-2xl font-semibold tabular-nums">{b.clicks}</dd></div>
                <div class="rounded-xl border border-stone-200 bg-white p-4"><dt class="text-xs text-stone-600">"Click-through"</dt><dd class="text-2xl font-semibold tabular-nums">{click_through(b.clicks, b.impressions).unwrap_or_else(|| "—".into())}</dd></div>
            </dl>
        })}
        <div class="mt-4 space-y-2"><Notice message=notice/><FormError error=err/><FormError error=other_error/></div>
        <form method="post" action=SAVE_PATH enctype="multipart/form-data" class="mt-6 grid gap-6 lg:grid-cols-3">
            {editor.banner.as_ref().map(|b| view! { <input type="hidden" name="id" value=b.id.to_string()/> })}
            <section class=format!("{CARD} lg:col-span-2") aria-labelledby="words-heading">
                <h2 id="words-heading" class="text-lg font-semibold">"Words and button"</h2>
                <Field label="Title" name="title" value=title error=err required=true hint="The headline, up to 120 characters."/>
                <Field label="Subtitle (optional)" name="subtitle" value=subtitle error=err hint="A sentence under the headline, up to 240 characters."/>
                <div class="grid gap-4 md:grid-cols-2">
                    <Field label="Button text (optional)" name="button_text" value=button_text error=err hint="Like “Shop the Winter Edit”. Leave both empty for no button."/>
                    <Field label="Button link" name="button_link" value=button_link error=err autocomplete="off"
                        hint="A path on this shop, like /c/hoodies, or an address starting with https://."/>
                </div>
            </section>
            <section class=CARD aria-labelledby="when-heading">
                <h2 id="when-heading" class="text-lg font-semibold">"When"</h2>
                <p class="text-xs text-stone-600">{format!("Times are in UTC; it is now {} UTC. Leave empty for no start or end.", day(now))}</p>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="is_active" value="on" checked=active class="size-4"/>"Active (shown within its dates)"</label>
                <Field label="Starts (UTC)" name="starts_at" value=starts_at error=err input_type="datetime-local"/>
                <Field label="Ends (UTC)" name="ends_at" value=ends_at error=err input_type="datetime-local" hint="The banner leaves the home page at this moment."/>
            </section>
            <section class=format!("{CARD} lg:col-span-3") aria-labelledby="image-heading">
                <h2 id="image-heading" class="text-lg font-semibold">"Image"</h2>
                {editor.banner.as_ref().map(|b| view! {
                    <Picture url=b.image_url.clone() alt=b.fields.image_alt.clone() widths=b.image_widths.clone() sizes="(min-width: 1024px) 640px, 100vw"
                        class="aspect-[16/7] w-full max-w-xl rounded-lg bg-stone-100 object-cover" width="640" height="280" testid="banner-image"/>
                })}
                <div class="space-y-1">
                    <label for="field-image" class="block text-sm font-medium text-stone-800">{if is_new { "Image file" } else { "Replace the image (optional)" }}</label>
                    <p id="field-image-hint" class="text-xs text-stone-500">{image_hint}</p>
                    <input id="field-image" type="file" name="image" required=is_new accept="image/jpeg,image/png,image/webp,image/gif"
                        aria-invalid=invalid(image_error.is_some()) aria-describedby=if image_error.is_some() { "field-image-hint field-image-error" } else { "field-image-hint" }
                        class="block text-sm file:mr-3 file:rounded-full file:border-0 file:bg-emerald-800 file:px-4 file:py-2 file:text-white"/>
                    {image_error.map(|m| view! { <p id="field-image-error" class="text-sm text-red-700">{m}</p> })}
                </div>
                <div class="max-w-xl">
                    <Field label="Image description (alt text)" name="image_alt" value=image_alt error=err required=true
                        hint="What the image shows, for shoppers using a screen reader."/>
                </div>
            </section>
            <div class="lg:col-span-3"><button type="submit" class=BUTTON_PRIMARY>{if is_new { "Create banner" } else { "Save banner" }}</button></div>
        </form>
        {(!is_new).then(|| if confirming {
            view! {
                <section class="mt-8 rounded-xl border border-red-200 bg-red-50 p-6" aria-labelledby="delete-heading" data-testid="confirm-delete">
                    <h2 id="delete-heading" class="text-lg font-semibold text-red-900">"Delete this banner?"</h2>
                    <p class="mt-1 text-sm text-red-900">"It leaves the home page with its image, impressions and clicks. This cannot be undone; untick Active to hide it instead."</p>
                    <form method="post" action=DeleteBanner::url() class="mt-4 flex flex-wrap gap-3">
                        <input type="hidden" name="id" value=id_value.clone()/>
                        <input type="hidden" name="confirm" value="delete"/>
                        <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Delete banner"</button>
                        <a href=format!("/admin/banners/{id_value}") class=BUTTON_SECONDARY>"Keep it"</a>
                    </form>
                </section>
            }.into_any()
        } else {
            view! { <p class="mt-8"><a href=format!("/admin/banners/{id_value}?confirm=delete") class="text-sm font-medium text-red-800 underline">"Delete banner…"</a></p> }.into_any()
        })}
    }
}

#[cfg(feature = "ssr")]
pub mod server {
    //! The editor's post: access and cross-site checks as every staff action has, the
    //! fields and the optional image read from one multipart form, the fields checked by
    //! `BannerInput::parse`, the image made and stored by the product images' pipeline,
    //! then one audited transaction; the replaced image's files are removed after it.
    use crate::{
        admin::images::server::{json_error, put_files, remove_files},
        audit::server::Actor,
        banners::{
            server::{self as banners, BannerImage},
            BannerInput,
        },
        error::AppError,
        forms::{server::FLASH_KEY, FormFlash},
        media::process::{self, Refusal, MAX_FILE_BYTES},
        server::{
            multipart::{file_name, Limits},
            session::AppSession,
            state::AppState,
        },
    };
    use axum::{
        extract::{multipart::MultipartRejection, Multipart, State},
        http::{header, request::Parts},
        response::{IntoResponse, Redirect, Response},
    };
    use uuid::Uuid;

    /// One image with the fields: the product images' body limit, its message beside the image.
    const FORM: Limits = Limits {
        body: crate::server::guard::MAX_UPLOAD_BODY,
        too_large: || AppError::field("image", "The image is larger than 15 MB. Upload a smaller file."),
    };

    /// What the form sent: kept to answer a refusal with what was typed.
    #[derive(Default)]
    struct Received {
        id: Option<Uuid>,
        input: BannerInput,
        image: Option<(String, Vec<u8>)>,
    }

    impl Received {
        fn typed(&self) -> Vec<(String, String)> {
            let i = &self.input;
            [
                ("title", i.title.as_str()),
                ("subtitle", i.subtitle.as_str()),
                ("image_alt", i.image_alt.as_str()),
                ("button_text", i.button_text.as_str()),
                ("button_link", i.button_link.as_str()),
                ("starts_at", i.starts_at.as_str()),
                ("ends_at", i.ends_at.as_str()),
                ("is_active", if i.is_active { "on" } else { "" }),
            ]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect()
        }
    }

    /// `POST /admin/uploads/banners`: `id` (none for a new banner), the fields, `image`.
    pub async fn save(State(state): State<AppState>, session: tower_sessions::Session, parts: Parts, multipart: Result<Multipart, MultipartRejection>) -> Response {
        let session = AppSession::new(session);
        let wants_json = parts.headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/json"));
        let user = match crate::admin::access::staff_of(&state, &session, crate::auth::Permission::ManageContent).await {
            Ok(user) => user,
            Err(e) => return e.into_response(),
        };
        let client_ip = crate::server::client::ClientInfo::from_parts(&parts, state.config.trust_proxy).ip.map(|ip| ip.to_string());
        let actor = Actor { user_id: user, client_ip };
        let mut received = Received::default();
        let result = receive(&state, &actor, &parts, multipart, &mut received).await;
        if wants_json {
            return match result {
                Ok(id) => axum::Json(serde_json::json!({ "id": id })).into_response(),
                Err(e) => json_error(e),
            };
        }
        match result {
            Ok(id) => Redirect::to(&format!("/admin/banners/{id}?saved=1")).into_response(),
            Err(error) => {
                let flash = FormFlash { form: "banner".into(), values: received.typed().into_iter().collect(), error: Some(error), ..Default::default() };
                if let Err(e) = session.put(FLASH_KEY, &flash).await {
                    return e.into_response();
                }
                let referer = parts.headers.get(header::REFERER).and_then(|v| v.to_str().ok());
                Redirect::to(&crate::forms::server::form_page(referer)).into_response()
            }
        }
    }

    const CHOOSE_IMAGE: &str = "Choose an image for the banner.";

    async fn receive(state: &AppState, actor: &Actor, parts: &Parts, multipart: Result<Multipart, MultipartRejection>, received: &mut Received) -> Result<Uuid, AppError> {
        let mut multipart = FORM.open(parts, multipart)?;
        while let Some(mut field) = FORM.next(&mut multipart).await? {
            let name = field.name().unwrap_or_default().to_owned();
            let input = &mut received.input;
            match name.as_str() {
                "id" => {
                    let id = FORM.text(&mut field).await?;
                    let id = id.trim();
                    received.id = if id.is_empty() { None } else { Some(id.parse().map_err(|_| AppError::NotFound("That banner".into()))?) };
                }
                "title" => input.title = FORM.text(&mut field).await?,
                "subtitle" => input.subtitle = FORM.text(&mut field).await?,
                "image_alt" => input.image_alt = FORM.text(&mut field).await?,
                "button_text" => input.button_text = FORM.text(&mut field).await?,
                "button_link" => input.button_link = FORM.text(&mut field).await?,
                "starts_at" => input.starts_at = FORM.text(&mut field).await?,
                "ends_at" => input.ends_at = FORM.text(&mut field).await?,
                "is_active" => input.is_active = !FORM.text(&mut field).await?.is_empty(),
                "image" => {
                    let file_name = file_name(&field);
                    let Some(bytes) = FORM.capped(&mut field, MAX_FILE_BYTES).await? else {
                        return Err(AppError::field("image", format!("“{file_name}” {}", Refusal::TooLarge)));
                    };
                    // A file input left empty still sends one empty part.
                    if !(bytes.is_empty() && file_name.is_empty()) {
                        received.image = Some((file_name, bytes));
                    }
                }
                _ => {}
            }
        }
        if let Some(id) = received.id {
            if !banners::exists(&state.db, id).await? {
                return Err(AppError::NotFound("That banner".into()));
            }
        }
        let missing_image = received.id.is_none() && received.image.is_none();
        let fields = match (received.input.parse(), missing_image) {
            (Ok(fields), false) => fields,
            (Ok(_), true) => return Err(AppError::field("image", CHOOSE_IMAGE)),
            (Err(AppError::Validation(mut errors)), true) => {
                errors.add("image", CHOOSE_IMAGE);
                return Err(AppError::Validation(errors));
            }
            (Err(error), _) => return Err(error),
        };
        let stored = match received.image.take() {
            None => None,
            Some((file_name, bytes)) => {
                // The product images' pipeline: decoded within limits, stripped, resized.
                let processed = tokio::task::spawn_blocking(move || process::process(&bytes))
                    .await
                    .map_err(|e| AppError::internal(anyhow::anyhow!("image worker: {e}")))?
                    .map_err(|refusal| AppError::field("image", format!("“{file_name}” {refusal}")))?;
                Some(put_files(state.media.as_ref(), &processed, "banners").await.map_err(AppError::internal)?)
            }
        };
        let image = stored.as_ref().map(|n| BannerImage { url: n.url.clone(), widths: n.widths.clone(), storage_key: n.storage_key.clone() });
        match banners::save(&state.db, actor, received.id, &fields, image.as_ref(), state.clock.now()).await {
            Ok((id, old)) => {
                // The row names the new files now; the old ones are only litter.
                if let Some(prefix) = old.storage_key {
                    remove_files(state.media.as_ref(), &prefix, &old.widths).await;
                }
                Ok(id)
            }
            Err(error) => {
                if let Some(new) = stored {
                    remove_files(state.media.as_ref(), &new.storage_key, &new.widths).await;
                }
                Err(error)
            }
        }
    }
}
