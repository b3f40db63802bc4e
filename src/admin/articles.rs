//! Staff pages for the journal: the list (search, state filter, sortable columns) and the
//! editor (title, URL name, Markdown body with a live preview beside it, excerpt, tags, SEO
//! description, state and time, featured image), with unpublish, soft delete behind a
//! confirm step, and restore. The preview is drawn by the same `cms::render` that saves an
//! article: an island asks `preview_article` as the editor types, and without JavaScript
//! the "Preview" button posts the form and the page comes back with the preview. Every
//! server function asks for `Permission::ManageContent` (editors and admins); the rules live
//! in `cms::types` and `cms::manage`.
// A form's server function takes one argument per field, and the `#[server]` macro does not
// pass an item-level allow on to the browser side.
#![allow(clippy::too_many_arguments)]

use super::table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row, RowAction};
use crate::{
    cms::{
        types::{ArticleEditor, ArticleInput, ArticleState, StaffArticle, StaffArticleRow},
        ARTICLE_BODY,
    },
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    media::Picture,
    ui::{invalid, Field, FormError, Notice, PageTitle, StatusPage, TextArea, textarea_text, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

/// Where the featured image's upload form posts (a multipart route the request guard streams).
pub const IMAGE_UPLOAD_PATH: &str = "/admin/uploads/article-image";

#[cfg(feature = "ssr")]
async fn content_staff() -> Result<(crate::server::state::AppState, crate::audit::server::Actor), AppError> {
    super::access::staff(crate::auth::Permission::ManageContent).await
}

/// One page of the list, and the time its states are worked out at.
#[server(endpoint = "admin/articles/list")]
pub async fn list_articles(#[server(default)] query: ListQuery) -> Result<(Paged<StaffArticleRow>, DateTime<Utc>), AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = content_staff().await?;
        let now = state.clock.now();
        Ok((crate::cms::manage::list(&state.db, &query, now).await?, now))
    })
    .await
}

#[server(endpoint = "admin/articles/editor")]
pub async fn get_article_editor(#[server(default)] id: Option<Uuid>) -> Result<ArticleEditor, AppError> {
    crate::server::ctx::respond(async move {
        let (_, role) = crate::auth::server::require_permission(crate::auth::Permission::ManageContent).await?;
        let state = crate::server::ctx::state()?;
        let can_audit = role.can(crate::auth::Permission::ViewAudit);
        crate::cms::manage::editor(&state.db, id, state.clock.now(), can_audit).await?.ok_or_else(|| AppError::NotFound("That article".into()))
    })
    .await
}

/// The HTML readers would get for `body`: the very function that saves an article.
#[server(endpoint = "admin/articles/preview")]
pub async fn preview_article(#[server(default)] body: String) -> Result<String, AppError> {
    crate::server::ctx::respond(async move {
        content_staff().await?;
        if body.chars().count() > crate::cms::types::BODY_MAX {
            return Err(AppError::field("body", format!("Keep the article to {} characters.", crate::cms::types::BODY_MAX)));
        }
        Ok(crate::cms::render::render(&body))
    })
    .await
}

/// Creates (no `id`) or updates an article from the editor's form; with `intent=preview`
/// it saves nothing and the page comes back with the preview of what was typed. Answers
/// the article's id once saved (`None` for a preview).
#[server(endpoint = "admin/articles/save")]
pub async fn save_article(
    #[server(default)] id: Option<Uuid>,
    #[server(default)] title: String,
    #[server(default)] slug: String,
    #[server(default)] body: String,
    #[server(default)] excerpt: String,
    #[server(default)] tags: String,
    #[server(default)] seo_description: String,
    #[server(default)] state: String,
    #[server(default)] publish_at: String,
    #[server(default)] image_alt: String,
    #[server(default)] intent: String,
) -> Result<Option<Uuid>, AppError> {
    use crate::forms::server::{finish, Then};
    let input = ArticleInput { title, slug, body, excerpt, tags, seo_description, state, publish_at, image_alt };
    let typed = input.clone();
    let previewing = intent == "preview";
    let result = crate::server::ctx::respond(async move {
        let (app, actor) = content_staff().await?;
        if previewing {
            return Ok(None);
        }
        let now = app.clock.now();
        let fields = crate::cms::manage::validate(&app.db, id, &input, now).await?;
        crate::cms::manage::save(&app.db, &actor, id, &fields, now).await.map(Some)
    })
    .await;
    let values = [
        ("title", typed.title.as_str()),
        ("slug", typed.slug.as_str()),
        ("body", typed.body.as_str()),
        ("excerpt", typed.excerpt.as_str()),
        ("tags", typed.tags.as_str()),
        ("seo_description", typed.seo_description.as_str()),
        ("state", typed.state.as_str()),
        ("publish_at", typed.publish_at.as_str()),
        ("image_alt", typed.image_alt.as_str()),
    ];
    finish("article", &values, None, result, |saved| match saved {
        Some(id) => Then::Redirect(format!("/admin/articles/{id}?saved=1")),
        None => Then::Stay { step: Some("preview"), notice: Some("Preview below: nothing is saved until you press “Save article”.".into()) },
    })
    .await
}

/// Takes a published or scheduled article off the journal (it becomes a draft).
#[server(endpoint = "admin/articles/unpublish")]
pub async fn unpublish_article(#[server(default)] id: Option<Uuid>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = content_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That article".into()))?;
        crate::cms::manage::unpublish(&state.db, &actor, id, state.clock.now()).await
    })
    .await;
    finish("article-state", &[], None, result, |changed| Then::Stay {
        step: None,
        notice: Some(if *changed { "Unpublished: the article is a draft again." } else { "The article was not published." }.into()),
    })
    .await
}

/// Soft-deletes an article, after the confirm step (`confirm=delete`).
#[server(endpoint = "admin/articles/delete")]
pub async fn delete_article(#[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = content_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That article".into()))?;
        if confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete this article.".into()));
        }
        crate::cms::manage::set_deleted(&state.db, &actor, id, true, state.clock.now()).await.map(|_| ())
    })
    .await;
    finish("article-state", &[], None, result, |_| Then::Redirect("/admin/articles?deleted=1".into())).await
}

/// Brings a deleted article back, as it was.
#[server(endpoint = "admin/articles/restore")]
pub async fn restore_article(#[server(default)] id: Option<Uuid>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = content_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That article".into()))?;
        crate::cms::manage::set_deleted(&state.db, &actor, id, false, state.clock.now()).await.map(|_| ())
    })
    .await;
    finish("article-state", &[], None, result, |_| Then::Stay { step: None, notice: Some("Restored.".into()) }).await
}

/// Takes the featured image away (its files are removed once that is recorded).
#[server(endpoint = "admin/articles/image/remove")]
pub async fn remove_article_image(#[server(default)] id: Option<Uuid>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = content_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That article".into()))?;
        let old = crate::cms::manage::set_image(&state.db, &actor, id, None, state.clock.now()).await?;
        if let Some(prefix) = old.storage_key {
            super::images::server::remove_files(state.media.as_ref(), &prefix, &old.widths).await;
        }
        Ok(())
    })
    .await;
    finish("article-image", &[], None, result, |_| Then::Stay { step: None, notice: Some("Featured image removed.".into()) }).await
}

fn when(at: DateTime<Utc>) -> String {
    at.format("%-d %b %Y, %H:%M").to_string()
}

fn article_row(a: StaffArticleRow, now: DateTime<Utc>) -> Row {
    let state = ArticleState::of(&a.status, a.published_at, now);
    let id = a.id.to_string();
    let badge = if a.deleted { Cell::Badge { text: "Deleted".into(), good: false } } else { Cell::Badge { text: state.label().into(), good: state == ArticleState::Published } };
    let mut actions = vec![RowAction::Link { href: format!("/journal/{}", a.slug), text: "View".into(), label: format!("View {} on the journal", a.title) }];
    if !a.deleted && state != ArticleState::Draft {
        actions.push(RowAction::Post {
            action: UnpublishArticle::url().to_owned(),
            fields: vec![("id".into(), id.clone())],
            text: "Unpublish".into(),
            label: format!("Unpublish {}", a.title),
        });
    }
    Row {
        id: id.clone(),
        cells: vec![
            Cell::Link { href: format!("/admin/articles/{id}"), text: a.title.clone() },
            badge,
            Cell::Muted(a.published_at.map(|at| format!("{} UTC", when(at))).unwrap_or_else(|| "—".into())),
            Cell::Muted(a.tags.clone()),
            Cell::Text(a.views.to_string()),
            Cell::Text(a.likes.to_string()),
            Cell::Muted(when(a.updated_at)),
            Cell::Actions(actions),
        ],
    }
}

fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
}

#[component]
pub fn ArticlesPage() -> impl IntoView {
    let list_query = use_list_query(&["state"]);
    let query = use_query_map();
    let data = Resource::new(move || list_query.get(), |q| async move { (list_articles(q).await, take_form_outcome().await.ok().flatten()) });
    let deleted = move || query.with(|q| q.get("deleted")).is_some();
    view! {
        <PageTitle text="Articles — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok((page, now)) => {
                    let mine = FormFlash::of(&flash, "article-state");
                    let error = Signal::derive({ let e = mine.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
                    let notice = mine.as_ref().and_then(|f| f.notice.clone()).or_else(|| deleted().then(|| "The article was deleted.".to_owned()));
                    let notice = Signal::derive(move || notice.clone());
                    let filters = vec![FilterSelect {
                        key: "state",
                        label: "State",
                        options: options(&[("", "All but deleted"), ("draft", "Drafts"), ("scheduled", "Scheduled"), ("published", "Published"), ("deleted", "Deleted")]),
                    }];
                    let columns = vec![
                        Column::new("title", "Title").sortable(),
                        Column::new("state", "State"),
                        Column::new("published", "Publication (UTC)").sortable(),
                        Column::new("tags", "Tags"),
                        Column::new("views", "Views").sortable().numeric(),
                        Column::new("likes", "Likes").sortable().numeric(),
                        Column::new("updated", "Last change (UTC)").sortable(),
                        Column::new("actions", "Actions"),
                    ];
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-2xl font-semibold text-stone-900">"Articles"</h1>
                            <a href="/admin/articles/new" class=BUTTON_PRIMARY>"Write an article"</a>
                        </div>
                        <p class="mt-1 text-sm text-stone-600">"The journal. A scheduled article goes public at its time by itself."</p>
                        <div class="mt-4 space-y-2"><FormError error/><Notice message=notice/></div>
                        <DataTable path="/admin/articles" query=list_query.get() columns rows=page.rows.into_iter().map(|a| article_row(a, now)).collect() total=page.total
                            search_label="Search by title or URL name" filters empty="No articles match. Clear the search or filters, or write one."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn ArticleEditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    let is_new = move || params.with(|p| p.get("id")).as_deref() == Some("new");
    // One load: the editor, what a plain post left, and (after "Preview" or a refused save)
    // the preview of what was typed, drawn by the server as the island would.
    let editor = Resource::new(move || (id(), is_new()), |(id, is_new)| async move {
        let editor = match (id, is_new) {
            // The access check answers first, then "not found" for an address that is no id.
            (None, false) => get_article_editor(None).await.and(Err(AppError::NotFound("That article".into()))),
            (id, _) => get_article_editor(id).await,
        };
        let flash = take_form_outcome().await.ok().flatten();
        let preview = match FormFlash::of(&flash, "article") {
            Some(f) if editor.is_ok() => preview_article(f.value("body")).await.ok(),
            _ => None,
        };
        (editor, flash, preview)
    });
    let saved = move || query.with(|q| q.get("saved"));
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("delete");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || editor.get().map(|(result, flash, preview)| match result {
                Ok(editor) => view! { <ArticleForm editor flash preview saved=saved() confirming=confirming()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

const CARD: &str = "space-y-4 rounded-xl border border-stone-200 bg-white p-6";

#[component]
fn ArticleForm(editor: ArticleEditor, flash: Option<FormFlash>, preview: Option<String>, saved: Option<String>, confirming: bool) -> impl IntoView {
    let now = editor.now;
    let mine = FormFlash::of(&flash, "article");
    let stored = editor.article.as_ref().map(|a| ArticleInput::of(a, now)).unwrap_or_else(|| ArticleInput { state: "draft".into(), ..ArticleInput::default() });
    let value = |field: &str, current: &str| RwSignal::new(mine.as_ref().map_or_else(|| current.to_owned(), |f| f.value(field)));
    let (title, slug, excerpt, tags) = (value("title", &stored.title), value("slug", &stored.slug), value("excerpt", &stored.excerpt), value("tags", &stored.tags));
    let (seo_description, publish_at, image_alt) = (value("seo_description", &stored.seo_description), value("publish_at", &stored.publish_at), value("image_alt", &stored.image_alt));
    let body = mine.as_ref().map_or_else(|| stored.body.clone(), |f| f.value("body"));
    let chosen = mine.as_ref().map_or_else(|| stored.state.clone(), |f| f.value("state"));
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let err = Signal::derive({ let e = error.clone(); move || e.clone() });
    let body_error = error.as_ref().and_then(|e| e.field_error("body"));
    let state_error = error.as_ref().and_then(|e| e.field_error("state"));
    let preview_html = preview.or_else(|| editor.article.as_ref().map(|a| a.body_html.clone())).unwrap_or_default();
    let other = ["article-state", "article-image"].iter().find_map(|form| FormFlash::of(&flash, form));
    let other_error = Signal::derive({ let e = other.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
    let notice = mine
        .as_ref()
        .and_then(|f| f.notice.clone())
        .or_else(|| other.as_ref().and_then(|f| f.notice.clone()))
        .or_else(|| match saved.as_deref() {
            Some("image") => Some("Featured image uploaded.".to_owned()),
            Some(_) => Some("Article saved.".to_owned()),
            None => None,
        });
    let notice = Signal::derive(move || notice.clone());
    let article = editor.article.clone();
    let heading = article.as_ref().map_or_else(|| "New article".to_owned(), |a| a.title.clone());
    let id_value = article.as_ref().map(|a| a.id.to_string()).unwrap_or_default();
    let radio = move |value: &'static str, label: &'static str, hint: &'static str| {
        let checked = chosen == value;
        let has_error = state_error.is_some();
        view! {
            <label class="flex cursor-pointer items-start gap-3 rounded-lg border border-stone-200 p-3 has-[:checked]:border-emerald-700 has-[:checked]:bg-emerald-50">
                <input type="radio" name="state" value=value checked=checked class="mt-1 size-4" aria-invalid=invalid(has_error)
                    aria-describedby=has_error.then_some("field-state-error")/>
                <span><span class="block text-sm font-medium text-stone-900">{label}</span><span class="block text-xs text-stone-600">{hint}</span></span>
            </label>
        }
    };
    let state_message = error.as_ref().and_then(|e| e.field_error("state"));
    let has_image = article.as_ref().is_some_and(|a| a.image.is_some());
    view! {
        <PageTitle text=format!("{heading} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <ol class="flex gap-2"><li><a href="/admin/articles" class=LINK>"Articles"</a></li><li aria-hidden="true">"/"</li><li aria-current="page">{heading.clone()}</li></ol>
        </nav>
        <div class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold text-stone-900">{heading.clone()}</h1>
            {article.as_ref().map(|a| {
                let state = ArticleState::of(&a.status, a.published_at, now);
                let (text, tone) = if a.deleted {
                    ("Deleted".to_owned(), "bg-red-100 text-red-900")
                } else {
                    match state {
                        ArticleState::Published => ("Published".to_owned(), "bg-emerald-100 text-emerald-900"),
                        ArticleState::Scheduled => (format!("Scheduled for {} UTC", a.published_at.map(when).unwrap_or_default()), "bg-amber-100 text-amber-900"),
                        ArticleState::Draft => ("Draft".to_owned(), "bg-stone-200 text-stone-800"),
                    }
                };
                let link = if state == ArticleState::Published { "View on the journal ↗" } else { "Open the preview ↗" };
                view! {
                    <div class="flex flex-wrap items-center gap-4 text-sm">
                        <span class=format!("inline-flex rounded-full px-3 py-1 text-xs font-semibold {tone}") data-testid="article-state">{text}</span>
                        {(!a.deleted).then(|| view! { <a href=format!("/journal/{}", a.slug) class=LINK>{link}</a> })}
                        {editor.can_audit.then(|| view! { <a href=format!("/admin/audit?kind=article&entity={}", a.id) class=LINK>"History"</a> })}
                    </div>
                }
            })}
        </div>
        <div class="mt-4 space-y-2"><Notice message=notice/><FormError error=err/><FormError error=other_error/></div>
        {article.as_ref().filter(|a| a.deleted).map(|a| view! {
            <div class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="deleted-notice">
                <p>"This article is deleted: readers get “not found”, and it cannot be edited until it is restored."</p>
                <form method="post" action=RestoreArticle::url() class="mt-2">
                    <input type="hidden" name="id" value=a.id.to_string()/>
                    <button type="submit" class=BUTTON_SECONDARY>"Restore article"</button>
                </form>
            </div>
        })}
        <form method="post" action=SaveArticle::url() class="mt-6 grid gap-6 xl:grid-cols-3" data-testid="article-form">
            {article.as_ref().map(|a| view! { <input type="hidden" name="id" value=a.id.to_string()/> })}
            <section class=format!("{CARD} xl:col-span-2") aria-labelledby="content-heading">
                <h2 id="content-heading" class="text-lg font-semibold">"Article"</h2>
                <Field label="Title" name="title" value=title error=err required=true/>
                <Field label="URL name" name="slug" value=slug error=err
                    hint="The address is /journal/<URL name>. Leave empty to make one from the title. Changing it keeps the old address working: it redirects here."/>
                <MarkdownEditor body preview_html error=body_error/>
                <TextArea label="Excerpt (optional)" name="excerpt" value=excerpt error=err rows=2 hint="One or two sentences for the journal's cards; up to 300 characters."/>
                <Field label="Tags (optional)" name="tags" value=tags error=err hint="Separated by commas, like: care, bags. New tags are created when you save."/>
            </section>
            <section class=CARD aria-labelledby="publishing-heading">
                <h2 id="publishing-heading" class="text-lg font-semibold">"Publishing"</h2>
                <fieldset>
                    <legend class="text-sm font-medium text-stone-800">"State"</legend>
                    <div class="mt-2 space-y-2">
                        {radio("draft", "Draft", "Only staff can see it, as a preview.")}
                        {radio("scheduled", "Scheduled", "Goes public by itself at the time below.")}
                        {radio("published", "Published", "Public now (or from the past time below).")}
                    </div>
                    {state_message.map(|m| view! { <p id="field-state-error" class="mt-1 text-sm text-red-700">{m}</p> })}
                </fieldset>
                <Field label="Publication time (UTC)" name="publish_at" value=publish_at error=err input_type="datetime-local"
                    hint=format!("Needed for Scheduled. It is now {} UTC.", when(now))/>
                <TextArea label="Search engine description (optional)" name="seo_description" value=seo_description error=err rows=3
                    hint="Up to 170 characters; the excerpt is used when empty."/>
                {has_image.then(|| view! {
                    <Field label="Featured image description" name="image_alt" value=image_alt error=err required=true
                        hint="What the image shows, for readers using a screen reader."/>
                })}
            </section>
            <div class="flex flex-wrap gap-3 xl:col-span-3">
                <button type="submit" name="intent" value="save" class=BUTTON_PRIMARY>"Save article"</button>
                <button type="submit" name="intent" value="preview" class=BUTTON_SECONDARY>"Preview"</button>
            </div>
        </form>
        {article.clone().filter(|a| !a.deleted).map(|a| view! { <FeaturedImageSection article=a flash=flash.clone()/> })}
        {article.clone().map(|a| view! { <Engagement article=a/> })}
        {article.as_ref().filter(|a| !a.deleted && ArticleState::of(&a.status, a.published_at, now) != ArticleState::Draft).map(|a| view! {
            <section class="mt-8 flex flex-wrap items-center justify-between gap-4 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="unpublish-heading">
                <div>
                    <h2 id="unpublish-heading" class="text-lg font-semibold">"Take it off the journal"</h2>
                    <p class="mt-1 text-sm text-stone-600">"It becomes a draft again; its address answers “not found” until it is published."</p>
                </div>
                <form method="post" action=UnpublishArticle::url()>
                    <input type="hidden" name="id" value=a.id.to_string()/>
                    <button type="submit" class=BUTTON_SECONDARY>"Unpublish"</button>
                </form>
            </section>
        })}
        {article.as_ref().filter(|a| !a.deleted).map(|_| if confirming {
            view! {
                <section class="mt-8 rounded-xl border border-red-200 bg-red-50 p-6" aria-labelledby="delete-heading" data-testid="confirm-delete">
                    <h2 id="delete-heading" class="text-lg font-semibold text-red-900">"Delete this article?"</h2>
                    <p class="mt-1 text-sm text-red-900">"Readers get “not found” from then on. It stays in the list under “Deleted” and can be restored."</p>
                    <form method="post" action=DeleteArticle::url() class="mt-4 flex flex-wrap gap-3">
                        <input type="hidden" name="id" value=id_value.clone()/>
                        <input type="hidden" name="confirm" value="delete"/>
                        <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Delete article"</button>
                        <a href=format!("/admin/articles/{id_value}") class=BUTTON_SECONDARY>"Keep it"</a>
                    </form>
                </section>
            }.into_any()
        } else {
            view! { <p class="mt-8"><a href=format!("/admin/articles/{id_value}?confirm=delete") class="text-sm font-medium text-red-800 underline">"Delete article…"</a></p> }.into_any()
        })}
    }
}

/// The body's Markdown with the preview beside it. As the editor types (after a pause) the
/// preview is drawn again by the server, by the function that publishes.
#[island]
fn MarkdownEditor(body: String, preview_html: String, error: Option<String>) -> impl IntoView {
    let (html, set_html) = signal(preview_html);
    let (problem, set_problem) = signal(None::<String>);
    // Only the newest answer is shown, whatever order they arrive in.
    let latest = StoredValue::new(0u64);
    // Thread-safe storage: islands also render on the server, where a `new_local` value is
    // dropped by whichever worker thread ends the request (a panic, and an empty response).
    let pending = StoredValue::new(None::<TimeoutHandle>);
    let refresh = move |text: String| {
        let n = latest.get_value() + 1;
        latest.set_value(n);
        leptos::task::spawn_local(async move {
            let result = preview_article(text).await;
            if latest.get_value() != n {
                return;
            }
            match result {
                Ok(rendered) => {
                    set_html.set(rendered);
                    set_problem.set(None);
                }
                Err(e) => set_problem.set(Some(format!("The preview could not be updated: {e}"))),
            }
        });
    };
    let on_input = move |ev| {
        let text = event_target_value(&ev);
        if let Some(handle) = pending.get_value() {
            handle.clear();
        }
        pending.set_value(set_timeout_with_handle(move || refresh(text), std::time::Duration::from_millis(300)).ok());
    };
    let has_error = error.is_some();
    view! {
        <div class="grid gap-4 lg:grid-cols-2">
            <div class="space-y-1">
                <label for="field-body" class="block text-sm font-medium text-stone-800">"Body (Markdown)"</label>
                <p id="field-body-hint" class="text-xs text-stone-500">"## for a heading, **bold**, *italic*, - for a list, [text](https://…) for a link, ![description](/media/…) for an image."</p>
                <textarea id="field-body" name="body" rows="22" spellcheck="true" aria-invalid=invalid(has_error)
                    aria-describedby=if has_error { "field-body-hint field-body-error" } else { "field-body-hint" }
                    class="block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 font-mono text-sm text-stone-900 shadow-sm focus:border-emerald-700 focus:outline-2 focus:outline-emerald-700 aria-[invalid=true]:border-red-600"
                    on:input=on_input>{textarea_text(&body)}</textarea>
                {error.map(|m| view! { <p id="field-body-error" class="text-sm text-red-700">{m}</p> })}
            </div>
            <section aria-labelledby="preview-heading" class="min-w-0">
                <h3 id="preview-heading" class="text-sm font-medium text-stone-800">"Preview"</h3>
                <p class="text-xs text-stone-500">"Exactly what readers will get."</p>
                {move || problem.get().map(|m| view! { <p role="alert" class="mt-1 text-sm text-red-700">{m}</p> })}
                <div tabindex="0" role="region" aria-label="Preview of the article" data-testid="article-preview"
                    class=format!("mt-1 max-h-[36rem] overflow-y-auto rounded-lg border border-stone-200 bg-stone-50 p-4 {ARTICLE_BODY}")
                    inner_html=move || html.get()></div>
            </section>
        </div>
    }
}

/// The featured image: the current one, a plain multipart upload through the image
/// pipeline (decoded, stripped, resized to WebP and JPEG), and removing it.
#[component]
fn FeaturedImageSection(article: StaffArticle, flash: Option<FormFlash>) -> impl IntoView {
    let mine = FormFlash::of(&flash, "article-image");
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let general = Signal::derive({ let e = error.clone(); move || e.clone() });
    let alt_error = error.as_ref().and_then(|e| e.field_error("alt"));
    let file_error = error.as_ref().and_then(|e| e.field_error("file"));
    let typed_alt = mine.as_ref().map(|f| f.value("alt")).filter(|a| !a.is_empty()).or_else(|| article.image.as_ref().map(|i| i.alt.clone())).unwrap_or_default();
    let id = article.id.to_string();
    view! {
        <section class=format!("mt-8 {CARD}") aria-labelledby="image-heading" id="image" data-testid="featured-image-section">
            <h2 id="image-heading" class="text-lg font-semibold">"Featured image"</h2>
            <FormError error=general/>
            {match article.image.clone() {
                Some(image) => view! {
                    <div class="flex flex-wrap items-start gap-4">
                        <div class="w-64 overflow-hidden rounded-lg bg-stone-100">
                            <Picture url=image.url alt=image.alt widths=image.widths sizes="256px" class="aspect-[16/9] w-full object-cover" width="256" height="144" testid="current-image"/>
                        </div>
                        <form method="post" action=RemoveArticleImage::url()>
                            <input type="hidden" name="id" value=id.clone()/>
                            <button type="submit" class=BUTTON_SECONDARY>"Remove image"</button>
                        </form>
                    </div>
                }.into_any(),
                None => view! { <p class="text-sm text-stone-600">"No image yet. The journal's cards and link previews show it."</p> }.into_any(),
            }}
            <form method="post" action=IMAGE_UPLOAD_PATH enctype="multipart/form-data" class="space-y-3 rounded-lg bg-stone-50 p-4">
                // The handler reads these before the file: keep them first.
                <input type="hidden" name="article" value=id.clone()/>
                <div class="space-y-1">
                    <label for="image-alt" class="block text-sm font-medium text-stone-800">"Description (alt text)"</label>
                    <p id="image-alt-hint" class="text-xs text-stone-500">"What the image shows, for readers using a screen reader."</p>
                    <input id="image-alt" name="alt" value=typed_alt required=true maxlength="250"
                        aria-invalid=invalid(alt_error.is_some()) aria-describedby=if alt_error.is_some() { "image-alt-hint image-alt-error" } else { "image-alt-hint" }
                        class="block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-base aria-[invalid=true]:border-red-600"/>
                    {alt_error.map(|m| view! { <p id="image-alt-error" class="text-sm text-red-700">{m}</p> })}
                </div>
                <div class="space-y-1">
                    <label for="image-file" class="block text-sm font-medium text-stone-800">"Image file"</label>
                    <p id="image-file-hint" class="text-xs text-stone-500">"JPEG, PNG, WebP or GIF up to 15 MB; wide (16:9) looks best. It replaces the current one."</p>
                    <input id="image-file" type="file" name="file" required=true accept="image/jpeg,image/png,image/webp,image/gif"
                        aria-invalid=invalid(file_error.is_some()) aria-describedby=if file_error.is_some() { "image-file-hint image-file-error" } else { "image-file-hint" }
                        class="block text-sm file:mr-3 file:rounded-full file:border-0 file:bg-emerald-800 file:px-4 file:py-2 file:text-white"/>
                    {file_error.map(|m| view! { <p id="image-file-error" class="text-sm text-red-700" data-testid="upload-error">{m}</p> })}
                </div>
                <button type="submit" class=BUTTON_PRIMARY>"Upload image"</button>
            </form>
        </section>
    }
}

/// What readers did with the article.
#[component]
fn Engagement(article: StaffArticle) -> impl IntoView {
    let figures = [
        ("Views", article.views.to_string()),
        ("Likes", article.likes.to_string()),
        ("Reads", article.reads.to_string()),
        ("Average depth read", article.average_depth.map_or_else(|| "—".to_owned(), |d| format!("{d}%"))),
    ];
    view! {
        <section class=format!("mt-8 {CARD}") aria-labelledby="engagement-heading">
            <h2 id="engagement-heading" class="text-lg font-semibold">"Readers"</h2>
            <p class="text-xs text-stone-600">"Counted for signed-in readers, and for anonymous visitors who allowed analytics."</p>
            <dl class="grid gap-4 sm:grid-cols-4" data-testid="engagement">
                {figures.into_iter().map(|(label, value)| view! {
                    <div><dt class="text-sm text-stone-500">{label}</dt><dd class="text-2xl font-semibold text-stone-900">{value}</dd></div>
                }).collect_view()}
            </dl>
        </section>
    }
}

#[cfg(feature = "ssr")]
pub mod server {
    //! The featured image's upload: the access and cross-site checks every staff action
    //! has, the file streamed with a cap, then the product images' pipeline (decode within
    //! limits, strip, resize, encode; `media::process`) and store (`admin::images`), and
    //! the article's row changed in one audited transaction. The old image's files go once
    //! the new one is recorded.
    use crate::{
        admin::images::server::{json_error, put_files, remove_files},
        audit::server::Actor,
        cms::manage::{self, NewFeatured},
        error::AppError,
        forms::{server::FLASH_KEY, FormFlash},
        media::process::{self, MAX_FILE_BYTES},
        server::{
            guard::MAX_UPLOAD_BODY,
            multipart::{file_name, Limits},
            session::AppSession,
            state::AppState,
        },
    };
    use axum::{
        extract::{Multipart, State},
        http::{header, request::Parts},
        response::{IntoResponse, Redirect, Response},
    };
    use uuid::Uuid;

    #[derive(Default)]
    struct Received {
        article: Option<Uuid>,
        alt: String,
        file: Option<(String, Vec<u8>)>,
    }

    /// `POST /admin/uploads/article-image`: `article`, `alt`, then `file`.
    pub async fn upload(State(state): State<AppState>, session: tower_sessions::Session, parts: Parts, multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>) -> Response {
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
                Ok(()) => axum::Json(serde_json::json!({ "saved": true })).into_response(),
                Err(e) => json_error(e),
            };
        }
        match (result, received.article) {
            (Ok(()), Some(article)) => Redirect::to(&format!("/admin/articles/{article}?saved=image#image")).into_response(),
            (Ok(()), None) => Redirect::to("/admin/articles").into_response(),
            (Err(error), _) => {
                let flash = FormFlash { form: "article-image".into(), values: [("alt".to_owned(), received.alt.clone())].into(), error: Some(error), ..Default::default() };
                if let Err(e) = session.put(FLASH_KEY, &flash).await {
                    return e.into_response();
                }
                let referer = parts.headers.get(header::REFERER).and_then(|v| v.to_str().ok());
                Redirect::to(&crate::forms::server::form_page(referer)).into_response()
            }
        }
    }

    const UPLOAD: Limits = Limits {
        body: MAX_UPLOAD_BODY,
        too_large: || AppError::field("file", "The upload is larger than 40 MB. Choose an image of at most 15 MB."),
    };

    async fn receive(
        state: &AppState,
        actor: &Actor,
        parts: &Parts,
        multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
        received: &mut Received,
    ) -> Result<(), AppError> {
        let mut multipart = UPLOAD.open(parts, multipart)?;
        while let Some(mut field) = UPLOAD.next(&mut multipart).await? {
            match field.name().unwrap_or_default() {
                "article" => received.article = UPLOAD.text(&mut field).await?.trim().parse().ok(),
                "alt" => received.alt = UPLOAD.text(&mut field).await?,
                "file" => {
                    let file_name = file_name(&field);
                    let Some(bytes) = UPLOAD.capped(&mut field, MAX_FILE_BYTES).await? else {
                        return Err(AppError::field("file", format!("“{file_name}” {}", process::Refusal::TooLarge)));
                    };
                    // A file input left empty still sends one empty part.
                    if !(bytes.is_empty() && file_name.is_empty()) {
                        received.file = Some((file_name, bytes));
                    }
                }
                _ => {}
            }
        }
        let article = received.article.ok_or_else(|| AppError::NotFound("That article".into()))?;
        if !manage::is_editable(&state.db, article).await? {
            return Err(AppError::NotFound("That article".into()));
        }
        let alt = crate::catalog::images::server::check_alt("alt", &received.alt)?;
        let (file_name, bytes) = received.file.take().ok_or_else(|| AppError::field("file", "Choose an image to upload."))?;
        let processed = tokio::task::spawn_blocking(move || process::process(&bytes))
            .await
            .map_err(|e| AppError::internal(anyhow::anyhow!("image worker: {e}")))?
            .map_err(|refusal| AppError::field("file", format!("“{file_name}” {refusal}")))?;
        let stored = put_files(state.media.as_ref(), &processed, "articles").await.map_err(AppError::internal)?;
        let image = NewFeatured { url: &stored.url, storage_key: &stored.storage_key, widths: &stored.widths, alt: &alt };
        match manage::set_image(&state.db, actor, article, Some(image), state.clock.now()).await {
            Ok(old) => {
                if let Some(prefix) = old.storage_key {
                    remove_files(state.media.as_ref(), &prefix, &old.widths).await;
                }
                Ok(())
            }
            Err(e) => {
                remove_files(state.media.as_ref(), &stored.storage_key, &stored.widths).await;
                Err(e)
            }
        }
    }
}
