//! Staff pages for colours (name and hex, with a swatch) and sizes (label and kind, ordered
//! with arrows). One page each: the table, and above it the form that adds one or edits
//! the one picked (`?edit=<id>`); deleting asks first (`?delete=<id>`) and is refused while
//! a product uses it. The rules live in `catalog::taxonomy`.

use super::{
    categories::arrows,
    table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row, RowAction},
};
use crate::{
    catalog::types::{ColourRow, SizeRow, SIZE_KINDS},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    ui::{Field, FormError, Notice, PageTitle, StatusPage, BUTTON_PRIMARY, BUTTON_SECONDARY},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

#[cfg(feature = "ssr")]
fn attribute(kind: &str) -> Result<crate::catalog::taxonomy::Attribute, AppError> {
    use crate::catalog::taxonomy::Attribute;
    match kind {
        "colour" => Ok(Attribute::Colour),
        "size" => Ok(Attribute::Size),
        _ => Err(AppError::BadRequest("Choose a colour or a size.".into())),
    }
}

#[server(endpoint = "admin/colours/list")]
pub async fn list_colours(#[server(default)] query: ListQuery) -> Result<Paged<ColourRow>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = super::access::catalog_staff().await?;
        Ok(crate::catalog::taxonomy::list_colours(&state.db, &query).await?)
    })
    .await
}

#[server(endpoint = "admin/sizes/list")]
pub async fn list_sizes(#[server(default)] query: ListQuery) -> Result<Paged<SizeRow>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = super::access::catalog_staff().await?;
        Ok(crate::catalog::taxonomy::list_sizes(&state.db, &query).await?)
    })
    .await
}

/// Adds (no `id`) or edits a colour.
#[server(endpoint = "admin/colours/save")]
pub async fn save_colour(#[server(default)] id: Option<Uuid>, #[server(default)] name: String, #[server(default)] hex: String) -> Result<Uuid, AppError> {
    use crate::forms::server::{finish, Then};
    let typed = [("name", name.clone()), ("hex", hex.clone())];
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let id = crate::catalog::taxonomy::save_colour(&state.db, &actor, id, &name, &hex, state.clock.now()).await?;
        state.catalog.changed();
        Ok(id)
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    finish("colour", &values, None, result, |_| Then::Redirect("/admin/colours?saved=1".into())).await
}

/// Adds (no `id`) or edits a size.
#[server(endpoint = "admin/sizes/save")]
pub async fn save_size(#[server(default)] id: Option<Uuid>, #[server(default)] label: String, #[server(default)] kind: String) -> Result<Uuid, AppError> {
    use crate::forms::server::{finish, Then};
    let typed = [("label", label.clone()), ("kind", kind.clone())];
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let id = crate::catalog::taxonomy::save_size(&state.db, &actor, id, &label, &kind, state.clock.now()).await?;
        state.catalog.changed();
        Ok(id)
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    finish("size", &values, None, result, |_| Then::Redirect("/admin/sizes?saved=1".into())).await
}

/// Moves a colour or a size (`kind`) one place up or down.
#[server(endpoint = "admin/attributes/move")]
pub async fn move_attribute(#[server(default)] kind: String, #[server(default)] id: Option<Uuid>, #[server(default)] direction: String) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That item".into()))?;
        let up = super::categories::direction(&direction)?;
        crate::catalog::taxonomy::move_attribute(&state.db, &actor, attribute(&kind)?, id, up, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish("attribute-list", &[], None, result, |_| Then::Return).await
}

/// Deletes a colour or a size (`kind`) that no product uses, after the confirm step.
#[server(endpoint = "admin/attributes/delete")]
pub async fn delete_attribute(#[server(default)] kind: String, #[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let back = if kind == "size" { "/admin/sizes?deleted=1" } else { "/admin/colours?deleted=1" };
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let kind = attribute(&kind)?;
        let id = id.ok_or_else(|| AppError::NotFound("That item".into()))?;
        if confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete it.".into()));
        }
        crate::catalog::taxonomy::delete_attribute(&state.db, &actor, kind, id, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish("attribute-list", &[], None, result, |_| Then::Redirect(back.into())).await
}

/// `path` plus one more query parameter.
fn with_param(path: &str, key: &str, value: &str) -> String {
    format!("{path}{}{key}={value}", if path.contains('?') { '&' } else { '?' })
}

/// The confirm step of a delete: what goes, and the form that deletes it.
#[component]
fn ConfirmDelete(kind: &'static str, id: Uuid, name: String, back: &'static str) -> impl IntoView {
    view! {
        <section class="mt-6 rounded-xl border border-red-200 bg-red-50 p-6" aria-labelledby="delete-heading" data-testid="confirm-delete">
            <h2 id="delete-heading" class="text-lg font-semibold text-red-900">{format!("Delete the {kind} “{name}”?")}</h2>
            <p class="mt-1 text-sm text-red-900">"Only possible while no product uses it. This cannot be undone."</p>
            <form method="post" action=DeleteAttribute::url() class="mt-4 flex gap-3">
                <input type="hidden" name="kind" value=kind/>
                <input type="hidden" name="id" value=id.to_string()/>
                <input type="hidden" name="confirm" value="delete"/>
                <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">{format!("Delete {kind}")}</button>
                <a href=back class=BUTTON_SECONDARY>"Keep it"</a>
            </form>
        </section>
    }
}

fn flash_signals(flash: &Option<FormFlash>, form: &str, saved: bool, deleted: bool) -> (Option<FormFlash>, Signal<Option<AppError>>, Signal<Option<AppError>>, Signal<Option<String>>) {
    let mine = FormFlash::of(flash, form);
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let list_error = FormFlash::of(flash, "attribute-list").and_then(|f| f.error);
    let notice = if saved { Some("Saved.".to_owned()) } else if deleted { Some("Deleted.".to_owned()) } else { None };
    (mine, Signal::derive(move || error.clone()), Signal::derive(move || list_error.clone()), Signal::derive(move || notice.clone()))
}

#[component]
pub fn ColoursPage() -> impl IntoView {
    let list_query = use_list_query(&[]);
    let query = use_query_map();
    let data = Resource::new(move || list_query.get(), |q| async move { (list_colours(q).await, take_form_outcome().await.ok().flatten()) });
    let param = move |key: &str| query.with(|q| q.get(key));
    view! {
        <PageTitle text="Colours — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(page) => {
                    let (mine, error, list_error, notice) = flash_signals(&flash, "colour", param("saved").is_some(), param("deleted").is_some());
                    let editing = param("edit").and_then(|id| id.parse::<Uuid>().ok()).and_then(|id| page.rows.iter().find(|r| r.id == id).cloned());
                    let deleting = param("delete").and_then(|id| id.parse::<Uuid>().ok()).and_then(|id| page.rows.iter().find(|r| r.id == id).cloned());
                    let name = RwSignal::new(mine.as_ref().map(|f| f.value("name")).or_else(|| editing.as_ref().map(|c| c.name.clone())).unwrap_or_default());
                    let hex = RwSignal::new(mine.as_ref().map(|f| f.value("hex")).or_else(|| editing.as_ref().map(|c| c.hex.clone())).unwrap_or_default());
                    let q = list_query.get();
                    let base = q.href("/admin/colours", |_| {});
                    let rows = page.rows.iter().enumerate().map(|(i, c)| {
                        let id = c.id.to_string();
                        let mut actions = arrows(MoveAttribute::url(), &[("kind", "colour".into()), ("id", id.clone())], &c.name, i == 0 && q.page <= 1, i + 1 == page.rows.len() && (q.offset() + page.rows.len() as i64) >= page.total);
                        actions.push(RowAction::Link { href: with_param(&base, "edit", &id), text: "Edit".into(), label: format!("Edit {}", c.name) });
                        actions.push(RowAction::Link { href: with_param(&base, "delete", &id), text: "Delete…".into(), label: format!("Delete {}", c.name) });
                        Row { id: id.clone(), cells: vec![
                            Cell::Swatch { hex: c.hex.clone(), text: c.name.clone() },
                            Cell::Muted(c.hex.clone()),
                            Cell::Text(c.products.to_string()),
                            Cell::Actions(actions),
                        ] }
                    }).collect();
                    let columns = vec![Column::new("name", "Colour"), Column::new("hex", "Hex"), Column::new("products", "Products").numeric(), Column::new("actions", "Actions")];
                    let heading = if editing.is_some() { "Edit colour" } else { "Add a colour" };
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Colours"</h1>
                        <p class="mt-1 text-sm text-stone-600">"Shoppers filter by these; each product's colours come from this list. The arrows set the order they are shown in."</p>
                        <div class="mt-4 space-y-2"><FormError error=list_error/><FormError error/><Notice message=notice/></div>
                        {deleting.map(|c| view! { <ConfirmDelete kind="colour" id=c.id name=c.name back="/admin/colours"/> })}
                        <section class="mt-6 max-w-xl rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="colour-form-heading">
                            <h2 id="colour-form-heading" class="text-lg font-semibold">{heading}</h2>
                            <form method="post" action=SaveColour::url() class="mt-4 space-y-4">
                                {editing.as_ref().map(|c| view! { <input type="hidden" name="id" value=c.id.to_string()/> })}
                                <Field label="Name" name="name" value=name error required=true/>
                                <Field label="Hex colour" name="hex" value=hex error hint="# and six hex digits, like #1e3a8a."/>
                                <div class="flex gap-3">
                                    <button type="submit" class=BUTTON_PRIMARY>"Save colour"</button>
                                    {editing.is_some().then(|| view! { <a href="/admin/colours" class=BUTTON_SECONDARY>"Cancel"</a> })}
                                </div>
                            </form>
                        </section>
                        <DataTable path="/admin/colours" query=q columns rows total=page.total search_label="Search by name or hex" empty="No colours match."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

fn kind_label(kind: &str) -> &'static str {
    SIZE_KINDS.iter().find(|(k, _)| *k == kind).map_or("Other", |(_, l)| l)
}

#[component]
pub fn SizesPage() -> impl IntoView {
    let list_query = use_list_query(&["kind"]);
    let query = use_query_map();
    let data = Resource::new(move || list_query.get(), |q| async move { (list_sizes(q).await, take_form_outcome().await.ok().flatten()) });
    let param = move |key: &str| query.with(|q| q.get(key));
    view! {
        <PageTitle text="Sizes — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(page) => {
                    let (mine, error, list_error, notice) = flash_signals(&flash, "size", param("saved").is_some(), param("deleted").is_some());
                    let editing = param("edit").and_then(|id| id.parse::<Uuid>().ok()).and_then(|id| page.rows.iter().find(|r| r.id == id).cloned());
                    let deleting = param("delete").and_then(|id| id.parse::<Uuid>().ok()).and_then(|id| page.rows.iter().find(|r| r.id == id).cloned());
                    let label = RwSignal::new(mine.as_ref().map(|f| f.value("label")).or_else(|| editing.as_ref().map(|s| s.label.clone())).unwrap_or_default());
                    let kind = mine.as_ref().map(|f| f.value("kind")).or_else(|| editing.as_ref().map(|s| s.kind.clone())).unwrap_or_else(|| "apparel".into());
                    let kind_error = error.get_untracked().and_then(|e| e.field_error("kind"));
                    let q = list_query.get();
                    let base = q.href("/admin/sizes", |_| {});
                    let rows = page.rows.iter().map(|s| {
                        let id = s.id.to_string();
                        let mut actions = arrows(MoveAttribute::url(), &[("kind", "size".into()), ("id", id.clone())], &s.label, s.first, s.last);
                        actions.push(RowAction::Link { href: with_param(&base, "edit", &id), text: "Edit".into(), label: format!("Edit {}", s.label) });
                        actions.push(RowAction::Link { href: with_param(&base, "delete", &id), text: "Delete…".into(), label: format!("Delete {}", s.label) });
                        Row { id: id.clone(), cells: vec![
                            Cell::Text(s.label.clone()),
                            Cell::Muted(kind_label(&s.kind).to_owned()),
                            Cell::Text(s.products.to_string()),
                            Cell::Actions(actions),
                        ] }
                    }).collect();
                    let columns = vec![Column::new("label", "Size"), Column::new("kind", "Kind"), Column::new("products", "Products").numeric(), Column::new("actions", "Actions")];
                    let mut kinds = vec![(String::new(), "Every kind".to_owned())];
                    kinds.extend(SIZE_KINDS.iter().map(|(k, l)| ((*k).to_owned(), (*l).to_owned())));
                    let filters = vec![FilterSelect { key: "kind", label: "Kind", options: kinds }];
                    let heading = if editing.is_some() { "Edit size" } else { "Add a size" };
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Sizes"</h1>
                        <p class="mt-1 text-sm text-stone-600">"Sizes are ordered within their kind (XS before S); the arrows set that order on product pages and filters."</p>
                        <div class="mt-4 space-y-2"><FormError error=list_error/><FormError error/><Notice message=notice/></div>
                        {deleting.map(|s| view! { <ConfirmDelete kind="size" id=s.id name=s.label back="/admin/sizes"/> })}
                        <section class="mt-6 max-w-xl rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="size-form-heading">
                            <h2 id="size-form-heading" class="text-lg font-semibold">{heading}</h2>
                            <form method="post" action=SaveSize::url() class="mt-4 space-y-4">
                                {editing.as_ref().map(|s| view! { <input type="hidden" name="id" value=s.id.to_string()/> })}
                                <Field label="Label" name="label" value=label error required=true/>
                                <div class="space-y-1">
                                    <label for="field-kind" class="block text-sm font-medium text-stone-800">"Kind"</label>
                                    <select id="field-kind" name="kind" aria-invalid=kind_error.is_some().then_some("true") class="rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm">
                                        {SIZE_KINDS.iter().map(|(k, l)| view! { <option value=*k selected=*k == kind>{*l}</option> }).collect_view()}
                                    </select>
                                    {kind_error.map(|m| view! { <p class="text-sm text-red-700">{m}</p> })}
                                </div>
                                <div class="flex gap-3">
                                    <button type="submit" class=BUTTON_PRIMARY>"Save size"</button>
                                    {editing.is_some().then(|| view! { <a href="/admin/sizes" class=BUTTON_SECONDARY>"Cancel"</a> })}
                                </div>
                            </form>
                        </section>
                        <DataTable path="/admin/sizes" query=q columns rows total=page.total search_label="Search by label" filters empty="No sizes match."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}
