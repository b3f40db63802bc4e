//! Staff pages for the hand-picked product lists: collections and lookbooks. One list page
//! and one editor each, sharing the same components: the fields, then the products in
//! order (arrows, remove) and a search (a GET form) whose results are added one post at a
//! time. The rules live in `catalog::taxonomy`.
// A form's server function takes one argument per field, and the `#[server]` macro does not
// pass an item-level allow on to the browser side.
#![allow(clippy::too_many_arguments)]

use super::table::{row_action, use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row, RowAction};
use crate::{
    catalog::types::{Showcase, ShowcaseEditor, ShowcaseRow},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    ui::{Field, FormError, Notice, PageTitle, StatusPage, textarea_text, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

#[cfg(feature = "ssr")]
fn showcase(kind: &str) -> Result<Showcase, AppError> {
    Showcase::parse(kind).ok_or_else(|| AppError::BadRequest("Choose a collection or a lookbook.".into()))
}

#[server(endpoint = "admin/showcases/list")]
pub async fn list_showcases(#[server(default)] kind: String, #[server(default)] query: ListQuery) -> Result<Paged<ShowcaseRow>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = super::access::catalog_staff().await?;
        Ok(crate::catalog::taxonomy::list_showcases(&state.db, showcase(&kind)?, &query).await?)
    })
    .await
}

/// The editor, with up to 20 products matching `q` to add.
#[server(endpoint = "admin/showcases/editor")]
pub async fn get_showcase_editor(#[server(default)] kind: String, #[server(default)] id: Option<Uuid>, #[server(default)] q: String) -> Result<ShowcaseEditor, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = super::access::catalog_staff().await?;
        let kind = showcase(&kind)?;
        let q: String = q.chars().take(100).collect();
        crate::catalog::taxonomy::showcase_editor(&state.db, kind, id, Some(q.as_str()))
            .await?
            .ok_or_else(|| AppError::NotFound(format!("That {}", kind.as_str())))
    })
    .await
}

/// Creates (no `id`) or updates a collection or lookbook (`kind`).
#[server(endpoint = "admin/showcases/save")]
pub async fn save_showcase(
    #[server(default)] kind: String,
    #[server(default)] id: Option<Uuid>,
    #[server(default)] name: String,
    #[server(default)] slug: String,
    #[server(default)] description: String,
    #[server(default)] image_url: String,
    #[server(default)] is_active: Option<String>,
    #[server(default)] flag: Option<String>,
) -> Result<Uuid, AppError> {
    use crate::{
        catalog::{taxonomy, types::ShowcaseFields},
        forms::server::{finish, Then},
    };
    let on = |v: &Option<String>| if v.is_some() { "on" } else { "" }.to_owned();
    let typed = [
        ("name", name.clone()),
        ("slug", slug.clone()),
        ("description", description.clone()),
        ("image_url", image_url.clone()),
        ("is_active", on(&is_active)),
        ("flag", on(&flag)),
    ];
    let path = Showcase::parse(&kind).map_or("/admin", Showcase::admin_path);
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let kind = showcase(&kind)?;
        let fields = ShowcaseFields { name, slug, description, image_url, is_active: is_active.is_some(), flag: flag.is_some() };
        let valid = taxonomy::validate_showcase(&fields)?;
        let id = taxonomy::save_showcase(&state.db, &actor, kind, id, &valid, state.clock.now()).await?;
        state.catalog.changed();
        Ok(id)
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    finish("showcase", &values, None, result, |id| Then::Redirect(format!("{path}/{id}?saved=1"))).await
}

/// Deletes a collection or lookbook (its products stay), after the confirm step.
#[server(endpoint = "admin/showcases/delete")]
pub async fn delete_showcase(#[server(default)] kind: String, #[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let path = Showcase::parse(&kind).map_or("/admin", Showcase::admin_path);
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let kind = showcase(&kind)?;
        let id = id.ok_or_else(|| AppError::NotFound(format!("That {}", kind.as_str())))?;
        if confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete it.".into()));
        }
        crate::catalog::taxonomy::delete_showcase(&state.db, &actor, kind, id, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish("showcase-delete", &[], None, result, |_| Then::Redirect(format!("{path}?deleted=1"))).await
}

/// Adds, removes or moves (`op`: add, remove, up, down) one product of a showcase's list.
#[server(endpoint = "admin/showcases/pick")]
pub async fn pick_product(
    #[server(default)] kind: String,
    #[server(default)] id: Option<Uuid>,
    #[server(default)] product: Option<Uuid>,
    #[server(default)] op: String,
) -> Result<(), AppError> {
    use crate::{
        catalog::taxonomy::{self, Pick},
        forms::server::{finish, Then},
    };
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let kind = showcase(&kind)?;
        let id = id.ok_or_else(|| AppError::NotFound(format!("That {}", kind.as_str())))?;
        let product = product.ok_or_else(|| AppError::field("product", "Choose a product from the search results."))?;
        let op = match op.as_str() {
            "add" => Pick::Add,
            "remove" => Pick::Remove,
            "up" => Pick::Up,
            "down" => Pick::Down,
            _ => return Err(AppError::BadRequest("Choose add, remove, up or down.".into())),
        };
        taxonomy::pick(&state.db, &actor, kind, id, product, op, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish("picks", &[], None, result, |_| Then::Return).await
}

fn labels(kind: Showcase) -> (&'static str, &'static str, &'static str) {
    match kind {
        Showcase::Collection => ("Collections", "collection", "Featured on the home page"),
        Showcase::Lookbook => ("Lookbooks", "lookbook", "Published"),
    }
}

#[component]
pub fn CollectionsPage() -> impl IntoView {
    view! { <ShowcaseList kind=Showcase::Collection/> }
}

#[component]
pub fn LookbooksPage() -> impl IntoView {
    view! { <ShowcaseList kind=Showcase::Lookbook/> }
}

#[component]
pub fn CollectionEditPage() -> impl IntoView {
    view! { <ShowcaseEdit kind=Showcase::Collection/> }
}

#[component]
pub fn LookbookEditPage() -> impl IntoView {
    view! { <ShowcaseEdit kind=Showcase::Lookbook/> }
}

#[component]
fn ShowcaseList(kind: Showcase) -> impl IntoView {
    let list_query = use_list_query(&["status"]);
    let query = use_query_map();
    let data = Resource::new(move || list_query.get(), move |q| async move { list_showcases(kind.as_str().to_owned(), q).await });
    let deleted = move || query.with(|q| q.get("deleted")).is_some();
    let (title, one, flag) = labels(kind);
    let path = kind.admin_path();
    view! {
        <PageTitle text=format!("{title} — Larkspur staff")/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|result| match result {
                Ok(page) => {
                    let notice = deleted().then(|| format!("The {one} was deleted."));
                    let notice = Signal::derive(move || notice.clone());
                    let filters = vec![FilterSelect {
                        key: "status",
                        label: "Status",
                        options: [("", "All"), ("active", "Active"), ("inactive", "Hidden")].into_iter().map(|(v, l)| (v.to_owned(), l.to_owned())).collect(),
                    }];
                    let columns = vec![
                        Column::new("name", "Name").sortable(),
                        Column::new("status", "Status"),
                        Column::new("flag", flag),
                        Column::new("products", "Products").sortable().numeric(),
                        Column::new("view", "In the shop"),
                    ];
                    let rows = page.rows.into_iter().map(|s| Row {
                        id: s.id.to_string(),
                        cells: vec![
                            Cell::Link { href: format!("{path}/{}", s.id), text: s.name.clone() },
                            Cell::Badge { text: if s.is_active { "Active".into() } else { "Hidden".into() }, good: s.is_active },
                            Cell::Text(if s.flag { "Yes".into() } else { "No".into() }),
                            Cell::Text(s.products.to_string()),
                            Cell::Actions(vec![RowAction::Link { href: format!("{}/{}", kind.store_path(), s.slug), text: "View".into(), label: format!("View {} in the shop", s.name) }]),
                        ],
                    }).collect();
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-2xl font-semibold text-stone-900">{title}</h1>
                            <a href=format!("{path}/new") class=BUTTON_PRIMARY>{format!("Add {one}")}</a>
                        </div>
                        <div class="mt-4"><Notice message=notice/></div>
                        <DataTable path query=list_query.get() columns rows total=page.total search_label="Search by name or URL name" filters
                            empty="Nothing matches. Clear the search, or add one."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ShowcaseEdit(kind: Showcase) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    let is_new = move || params.with(|p| p.get("id")).as_deref() == Some("new");
    let search = move || query.with(|q| q.get("q")).unwrap_or_default();
    let editor = Resource::new(move || (id(), is_new(), search()), move |(id, is_new, q)| async move {
        let editor = match (id, is_new) {
            (None, false) => Err(AppError::NotFound(format!("That {}", kind.as_str()))),
            (id, _) => get_showcase_editor(kind.as_str().to_owned(), id, q).await,
        };
        (editor, take_form_outcome().await.ok().flatten())
    });
    let saved = move || query.with(|q| q.get("saved")).is_some();
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("delete");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || editor.get().map(|(result, flash)| match result {
                Ok(editor) => view! { <ShowcaseForm editor flash saved=saved() confirming=confirming() search=search()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn ShowcaseForm(editor: ShowcaseEditor, flash: Option<FormFlash>, saved: bool, confirming: bool, search: String) -> impl IntoView {
    let kind = editor.kind;
    let (plural, one, flag_label) = labels(kind);
    let path = kind.admin_path();
    let mine = FormFlash::of(&flash, "showcase");
    let typed = |field: &str, stored: &str| mine.as_ref().map_or_else(|| stored.to_owned(), |f| f.value(field));
    let f = &editor.fields;
    let name = RwSignal::new(typed("name", &f.name));
    let slug = RwSignal::new(typed("slug", &f.slug));
    let image_url = RwSignal::new(typed("image_url", &f.image_url));
    let description = typed("description", &f.description);
    let active = mine.as_ref().map_or(f.is_active, |m| m.value("is_active") == "on");
    let flag = mine.as_ref().map_or(f.flag, |m| m.value("flag") == "on");
    let error = mine.as_ref().and_then(|m| m.error.clone());
    let description_error = error.as_ref().and_then(|e| e.field_error("description"));
    let err = Signal::derive({ let e = error.clone(); move || e.clone() });
    let other_error = FormFlash::of(&flash, "picks").or_else(|| FormFlash::of(&flash, "showcase-delete")).and_then(|f| f.error);
    let other_error = Signal::derive(move || other_error.clone());
    let title = if editor.id.is_some() { f.name.clone() } else { format!("New {one}") };
    let notice = Signal::derive(move || saved.then(|| "Saved.".to_owned()));
    let id_value = editor.id.map(|id| id.to_string()).unwrap_or_default();
    view! {
        <PageTitle text=format!("{title} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600"><a href=path class=LINK>{plural}</a>" / "{title.clone()}</nav>
        <h1 class="mt-2 text-2xl font-semibold text-stone-900">{title}</h1>
        <div class="mt-4 space-y-2"><FormError error=err/><FormError error=other_error/><Notice message=notice/></div>
        <form method="post" action=SaveShowcase::url() class="mt-6 max-w-2xl space-y-4 rounded-xl border border-stone-200 bg-white p-6">
            <input type="hidden" name="kind" value=kind.as_str()/>
            {editor.id.map(|id| view! { <input type="hidden" name="id" value=id.to_string()/> })}
            <Field label="Name" name="name" value=name error=err required=true/>
            <Field label="URL name" name="slug" value=slug error=err hint=format!("Leave empty to make one from the name (used in {}/…).", kind.store_path())/>
            <div class="space-y-1">
                <label for="field-description" class="block text-sm font-medium text-stone-800">"Description"</label>
                <textarea id="field-description" name="description" rows="4" aria-invalid=description_error.is_some().then_some("true")
                    class="block w-full rounded-lg border border-stone-300 px-3 py-2 text-base focus:outline-2 focus:outline-emerald-700">{textarea_text(&description)}</textarea>
                {description_error.map(|m| view! { <p class="text-sm text-red-700">{m}</p> })}
            </div>
            <Field label="Image address (optional)" name="image_url" value=image_url error=err hint="A path like /media/… or an https:// address."/>
            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="is_active" value="on" checked=active class="size-4"/>"Active (shown in the shop)"</label>
            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="flag" value="on" checked=flag class="size-4"/>{flag_label}</label>
            <button type="submit" class=BUTTON_PRIMARY>{format!("Save {one}")}</button>
        </form>
        {editor.id.map(|id| view! { <Picker kind id picked=editor.picked.clone() found=editor.found.clone() search=search.clone()/> })}
        {editor.id.map(|_| if confirming {
            view! {
                <section class="mt-8 max-w-2xl rounded-xl border border-red-200 bg-red-50 p-6" aria-labelledby="delete-heading" data-testid="confirm-delete">
                    <h2 id="delete-heading" class="text-lg font-semibold text-red-900">{format!("Delete this {one}?")}</h2>
                    <p class="mt-1 text-sm text-red-900">"Its page stops working; the products themselves stay in the shop. This cannot be undone."</p>
                    <form method="post" action=DeleteShowcase::url() class="mt-4 flex gap-3">
                        <input type="hidden" name="kind" value=kind.as_str()/>
                        <input type="hidden" name="id" value=id_value.clone()/>
                        <input type="hidden" name="confirm" value="delete"/>
                        <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">{format!("Delete {one}")}</button>
                        <a href=format!("{path}/{id_value}") class=BUTTON_SECONDARY>"Keep it"</a>
                    </form>
                </section>
            }.into_any()
        } else {
            view! { <p class="mt-8"><a href=format!("{path}/{id_value}?confirm=delete") class="text-sm font-medium text-red-800 underline">{format!("Delete {one}…")}</a></p> }.into_any()
        })}
    }
}

/// The products of a showcase in order, and a search to add more.
#[component]
fn Picker(kind: Showcase, id: Uuid, picked: Vec<crate::catalog::types::PickedProduct>, found: Vec<crate::catalog::types::PickedProduct>, search: String) -> impl IntoView {
    let count = picked.len();
    let owner = id.to_string();
    let post = |op: &str, product: Uuid, text: &str, label: String| RowAction::Post {
        action: PickProduct::url().to_owned(),
        fields: vec![("kind".into(), kind.as_str().into()), ("id".into(), owner.clone()), ("product".into(), product.to_string()), ("op".into(), op.into())],
        text: text.into(),
        label,
    };
    let chosen = picked
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut actions = Vec::new();
            if i > 0 {
                actions.push(post("up", p.id, "↑", format!("Move {} up", p.name)));
            }
            if i + 1 < count {
                actions.push(post("down", p.id, "↓", format!("Move {} down", p.name)));
            }
            actions.push(post("remove", p.id, "Remove", format!("Remove {}", p.name)));
            Row {
                id: p.id.to_string(),
                cells: vec![
                    Cell::Text((i + 1).to_string()),
                    Cell::Link { href: format!("/admin/products/{}", p.id), text: p.name.clone() },
                    Cell::Badge { text: if p.is_live { "Live".into() } else { "Not shown".into() }, good: p.is_live },
                    Cell::Actions(actions),
                ],
            }
        })
        .collect::<Vec<_>>();
    let searched = !search.trim().is_empty();
    let results = found
        .iter()
        .map(|p| {
            view! {
                <li class="flex items-center justify-between gap-3 border-t border-stone-100 py-2 text-sm">
                    <span>{p.name.clone()}{(!p.is_live).then(|| view! { <span class="ml-2 text-xs text-stone-500">"(not shown in the shop)"</span> })}</span>
                    <form method="post" action=PickProduct::url()>
                        <input type="hidden" name="kind" value=kind.as_str()/>
                        <input type="hidden" name="id" value=id.to_string()/>
                        <input type="hidden" name="product" value=p.id.to_string()/>
                        <input type="hidden" name="op" value="add"/>
                        <button type="submit" class="rounded border border-stone-300 bg-white px-2 py-1 text-xs font-medium hover:bg-stone-100 focus-visible:outline-2 focus-visible:outline-emerald-700"
                            aria-label=format!("Add {}", p.name)>"Add"</button>
                    </form>
                </li>
            }
        })
        .collect_view();
    let path = format!("{}/{id}", kind.admin_path());
    let nothing_found = searched && found.is_empty();
    view! {
        <section class="mt-8 max-w-3xl rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="picked-heading">
            <h2 id="picked-heading" class="text-lg font-semibold">"Products"</h2>
            <p class="mt-1 text-sm text-stone-600">"Shown in this order. Only live products appear in the shop."</p>
            {if chosen.is_empty() {
                view! { <p class="mt-4 rounded-lg border border-dashed border-stone-300 p-4 text-sm text-stone-600" data-testid="picked-empty">"No products yet. Search below to add some."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-4 overflow-x-auto rounded-lg border border-stone-200" data-testid="picked">
                        <table class="min-w-full text-sm">
                            <thead class="bg-stone-50 text-stone-700"><tr>
                                <th scope="col" class="px-3 py-2 text-left">"#"</th>
                                <th scope="col" class="px-3 py-2 text-left">"Product"</th>
                                <th scope="col" class="px-3 py-2 text-left">"Status"</th>
                                <th scope="col" class="px-3 py-2 text-left">"Order"</th>
                            </tr></thead>
                            <tbody>{chosen.into_iter().map(|row| view! { <PickedRow row/> }).collect_view()}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <form method="get" action=path.clone() class="mt-6 flex flex-wrap items-end gap-3" role="search">
                <div class="flex flex-col gap-1">
                    <label for="picker-search" class="text-xs font-medium text-stone-600">"Find products to add"</label>
                    <input id="picker-search" type="search" name="q" value=search.clone() class="w-64 rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm"/>
                </div>
                <button type="submit" class="rounded-lg bg-stone-900 px-4 py-2 text-sm font-semibold text-white hover:bg-stone-700">"Search"</button>
            </form>
            {nothing_found.then(|| view! { <p class="mt-3 text-sm text-stone-600">"No product that is not already here matches."</p> })}
            <ul class="mt-3" data-testid="picker-results">{results}</ul>
        </section>
    }
}

/// One row of the picked products (the shared table's cells, without its search and pages:
/// the whole list is one ordered set).
#[component]
fn PickedRow(row: Row) -> impl IntoView {
    let cells = row.cells.into_iter().map(|cell| {
        let content = match cell {
            Cell::Link { href, text } => view! { <a href=href class=LINK>{text}</a> }.into_any(),
            Cell::Badge { text, good } => {
                let tone = if good { "bg-emerald-100 text-emerald-900" } else { "bg-stone-200 text-stone-800" };
                view! { <span class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-semibold {tone}")>{text}</span> }.into_any()
            }
            Cell::Actions(actions) => view! { <div class="flex flex-wrap gap-1">{actions.into_iter().map(row_action).collect_view()}</div> }.into_any(),
            Cell::Text(t) | Cell::Muted(t) | Cell::Swatch { text: t, .. } => view! { <span>{t}</span> }.into_any(),
        };
        view! { <td class="px-3 py-2">{content}</td> }
    }).collect_view();
    view! { <tr class="border-t border-stone-100" data-testid="picked-row">{cells}</tr> }
}
