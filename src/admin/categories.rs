//! Staff pages for the category tree: the list (tree order, arrows to order siblings) and
//! the editor (fields, parent, delete once nothing uses it). Every server function asks
//! for `Permission::ManageCatalog`; the rules live in `catalog::taxonomy`.
// A form's server function takes one argument per field, and the `#[server]` macro does not
// pass an item-level allow on to the browser side.
#![allow(clippy::too_many_arguments)]

use super::table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row, RowAction};
use crate::{
    catalog::types::{CategoryEditor, CategoryRow},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    ui::{Field, FormError, Notice, PageTitle, StatusPage, textarea_text, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

/// The signed-in staff member, when they may run the catalogue, with the app's state.
#[cfg(feature = "ssr")]
use super::access::catalog_staff;

/// "up" or "down" as posted by an arrow button.
#[cfg(feature = "ssr")]
pub(super) fn direction(value: &str) -> Result<bool, AppError> {
    match value {
        "up" => Ok(true),
        "down" => Ok(false),
        _ => Err(AppError::BadRequest("Choose up or down.".into())),
    }
}

/// The two arrow buttons that move a row among its siblings.
pub(super) fn arrows(action: &str, extra: &[(&str, String)], name: &str, first: bool, last: bool) -> Vec<RowAction> {
    let button = |dir: &str, text: &str, label: String| {
        let mut fields: Vec<(String, String)> = extra.iter().map(|(k, v)| ((*k).to_owned(), v.clone())).collect();
        fields.push(("direction".into(), dir.into()));
        RowAction::Post { action: action.to_owned(), fields, text: text.into(), label }
    };
    let mut actions = Vec::new();
    if !first {
        actions.push(button("up", "↑", format!("Move {name} up")));
    }
    if !last {
        actions.push(button("down", "↓", format!("Move {name} down")));
    }
    actions
}

#[server(endpoint = "admin/categories/list")]
pub async fn list_categories(#[server(default)] query: ListQuery) -> Result<Paged<CategoryRow>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = catalog_staff().await?;
        Ok(crate::catalog::taxonomy::list_categories(&state.db, &query).await?)
    })
    .await
}

#[server(endpoint = "admin/categories/editor")]
pub async fn get_category_editor(#[server(default)] id: Option<Uuid>) -> Result<CategoryEditor, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = catalog_staff().await?;
        crate::catalog::taxonomy::category_editor(&state.db, id).await?.ok_or_else(|| AppError::NotFound("That category".into()))
    })
    .await
}

/// Creates (no `id`) or updates a category from the editor's form.
#[server(endpoint = "admin/categories/save")]
pub async fn save_category(
    #[server(default)] id: Option<Uuid>,
    #[server(default)] name: String,
    #[server(default)] slug: String,
    #[server(default)] parent: String,
    #[server(default)] description: String,
    #[server(default)] image_url: String,
    #[server(default)] is_active: Option<String>,
) -> Result<Uuid, AppError> {
    use crate::{
        catalog::{taxonomy, types::CategoryFields},
        forms::server::{finish, Then},
    };
    let active = if is_active.is_some() { "on" } else { "" };
    let typed = [
        ("name", name.clone()),
        ("slug", slug.clone()),
        ("parent", parent.clone()),
        ("description", description.clone()),
        ("image_url", image_url.clone()),
        ("is_active", active.to_owned()),
    ];
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let parent = match parent.trim() {
            "" => None,
            text => Some(text.parse::<Uuid>().map_err(|_| AppError::field("parent", "Choose a parent from the list."))?),
        };
        let fields = CategoryFields { name, slug, parent, description, image_url, is_active: is_active.is_some() };
        let valid = taxonomy::validate_category(&fields)?;
        let id = taxonomy::save_category(&state.db, &actor, id, &valid, state.clock.now()).await?;
        state.catalog.changed();
        Ok(id)
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    finish("category", &values, None, result, |id| Then::Redirect(format!("/admin/categories/{id}?saved=1"))).await
}

/// Moves a category one place up or down among its siblings.
#[server(endpoint = "admin/categories/move")]
pub async fn move_category(#[server(default)] id: Option<Uuid>, #[server(default)] direction: String) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That category".into()))?;
        crate::catalog::taxonomy::move_category(&state.db, &actor, id, self::direction(&direction)?, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish("category-list", &[], None, result, |_| Then::Return).await
}

/// Deletes a category nothing uses, after the confirm step.
#[server(endpoint = "admin/categories/delete")]
pub async fn delete_category(#[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That category".into()))?;
        if confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete this category.".into()));
        }
        crate::catalog::taxonomy::delete_category(&state.db, &actor, id, state.clock.now()).await?;
        state.catalog.changed();
        Ok(())
    })
    .await;
    finish("category-delete", &[], None, result, |_| Then::Redirect("/admin/categories?deleted=1".into())).await
}

fn category_row(c: CategoryRow) -> Row {
    let indent = "— ".repeat(c.depth);
    let status = Cell::Badge { text: if c.is_active { "Active".into() } else { "Hidden".into() }, good: c.is_active };
    let id = c.id.to_string();
    Row {
        id: id.clone(),
        cells: vec![
            Cell::Link { href: format!("/admin/categories/{id}"), text: format!("{indent}{}", c.name) },
            Cell::Muted(c.slug),
            status,
            Cell::Text(c.products.to_string()),
            Cell::Text(c.children.to_string()),
            Cell::Actions(arrows(MoveCategory::url(), &[("id", id)], &c.name, c.first, c.last)),
        ],
    }
}

#[component]
pub fn CategoriesPage() -> impl IntoView {
    let list_query = use_list_query(&["status"]);
    let query = use_query_map();
    let data = Resource::new(move || list_query.get(), |q| async move { (list_categories(q).await, take_form_outcome().await.ok().flatten()) });
    let deleted = move || query.with(|q| q.get("deleted")).is_some();
    view! {
        <PageTitle text="Categories — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(page) => {
                    let error = FormFlash::of(&flash, "category-list").and_then(|f| f.error);
                    let error = Signal::derive(move || error.clone());
                    let notice = deleted().then(|| "Category deleted.".to_owned());
                    let notice = Signal::derive(move || notice.clone());
                    let filters = vec![FilterSelect {
                        key: "status",
                        label: "Status",
                        options: [("", "All"), ("active", "Active"), ("inactive", "Hidden")].into_iter().map(|(v, l)| (v.to_owned(), l.to_owned())).collect(),
                    }];
                    let columns = vec![
                        Column::new("name", "Category"),
                        Column::new("slug", "URL name"),
                        Column::new("status", "Status"),
                        Column::new("products", "Products").numeric(),
                        Column::new("children", "Subcategories").numeric(),
                        Column::new("order", "Order"),
                    ];
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-2xl font-semibold text-stone-900">"Categories"</h1>
                            <a href="/admin/categories/new" class=BUTTON_PRIMARY>"Add category"</a>
                        </div>
                        <p class="mt-1 text-sm text-stone-600">"Subcategories sit under their parent. The arrows order a category among its siblings, as the shop's menu shows them."</p>
                        <div class="mt-4 space-y-2"><FormError error/><Notice message=notice/></div>
                        <DataTable path="/admin/categories" query=list_query.get() columns rows=page.rows.into_iter().map(category_row).collect() total=page.total
                            search_label="Search by name" filters empty="No categories match. Clear the search, or add a category."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn CategoryEditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    let is_new = move || params.with(|p| p.get("id")).as_deref() == Some("new");
    let editor = Resource::new(move || (id(), is_new()), |(id, is_new)| async move {
        let editor = match (id, is_new) {
            (None, false) => Err(AppError::NotFound("That category".into())),
            (id, _) => get_category_editor(id).await,
        };
        (editor, take_form_outcome().await.ok().flatten())
    });
    let saved = move || query.with(|q| q.get("saved")).is_some();
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("delete");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || editor.get().map(|(result, flash)| match result {
                Ok(editor) => view! { <CategoryForm editor flash saved=saved() confirming=confirming()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn CategoryForm(editor: CategoryEditor, flash: Option<FormFlash>, saved: bool, confirming: bool) -> impl IntoView {
    let mine = FormFlash::of(&flash, "category");
    let typed = |field: &str, stored: &str| mine.as_ref().map_or_else(|| stored.to_owned(), |f| f.value(field));
    let f = &editor.fields;
    let (name, slug, description, image_url) = (
        RwSignal::new(typed("name", &f.name)),
        RwSignal::new(typed("slug", &f.slug)),
        typed("description", &f.description),
        RwSignal::new(typed("image_url", &f.image_url)),
    );
    let parent = typed("parent", &f.parent.map(|p| p.to_string()).unwrap_or_default());
    let active = mine.as_ref().map_or(f.is_active, |m| m.value("is_active") == "on");
    let error = mine.as_ref().and_then(|m| m.error.clone());
    let parent_error = error.as_ref().and_then(|e| e.field_error("parent"));
    let description_error = error.as_ref().and_then(|e| e.field_error("description"));
    let err = Signal::derive({ let e = error.clone(); move || e.clone() });
    let delete_error = FormFlash::of(&flash, "category-delete").and_then(|f| f.error);
    let delete_error = Signal::derive(move || delete_error.clone());
    let title = if editor.id.is_some() { f.name.clone() } else { "New category".to_owned() };
    let notice = Signal::derive(move || saved.then(|| "Category saved.".to_owned()));
    let id_value = editor.id.map(|id| id.to_string()).unwrap_or_default();
    let in_use = editor.products > 0 || editor.children > 0;
    view! {
        <PageTitle text=format!("{title} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600"><a href="/admin/categories" class=LINK>"Categories"</a>" / "{title.clone()}</nav>
        <h1 class="mt-2 text-2xl font-semibold text-stone-900">{title}</h1>
        <div class="mt-4 space-y-2"><FormError error=err/><FormError error=delete_error/><Notice message=notice/></div>
        <form method="post" action=SaveCategory::url() class="mt-6 max-w-2xl space-y-4 rounded-xl border border-stone-200 bg-white p-6">
            {editor.id.map(|id| view! { <input type="hidden" name="id" value=id.to_string()/> })}
            <Field label="Name" name="name" value=name error=err required=true/>
            <Field label="URL name" name="slug" value=slug error=err hint="Leave empty to make one from the name (used in /c/…)."/>
            <div class="space-y-1">
                <label for="field-parent" class="block text-sm font-medium text-stone-800">"Parent"</label>
                <select id="field-parent" name="parent" aria-invalid=parent_error.is_some().then_some("true") aria-describedby=parent_error.is_some().then_some("field-parent-error")
                    class="block w-full rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm aria-[invalid=true]:border-red-600">
                    <option value="" selected=parent.is_empty()>"None (top level)"</option>
                    {editor.parents.iter().map(|(id, label)| {
                        let value = id.to_string();
                        let selected = value == parent;
                        view! { <option value=value selected=selected>{label.clone()}</option> }
                    }).collect_view()}
                </select>
                {parent_error.map(|m| view! { <p id="field-parent-error" class="text-sm text-red-700">{m}</p> })}
            </div>
            <div class="space-y-1">
                <label for="field-description" class="block text-sm font-medium text-stone-800">"Description"</label>
                <textarea id="field-description" name="description" rows="4" aria-invalid=description_error.is_some().then_some("true")
                    class="block w-full rounded-lg border border-stone-300 px-3 py-2 text-base focus:outline-2 focus:outline-emerald-700">{textarea_text(&description)}</textarea>
                {description_error.map(|m| view! { <p class="text-sm text-red-700">{m}</p> })}
            </div>
            <Field label="Image address (optional)" name="image_url" value=image_url error=err hint="A path like /media/… or an https:// address."/>
            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="is_active" value="on" checked=active class="size-4"/>"Active (shown in the shop)"</label>
            <button type="submit" class=BUTTON_PRIMARY>"Save category"</button>
        </form>
        {editor.id.map(|_| if in_use {
            view! {
                <p class="mt-8 max-w-2xl text-sm text-stone-600" data-testid="delete-blocked">
                    {format!("This category has {} product(s) and {} subcategory(ies). A category can be deleted once nothing is in it: move them to another category first, or untick Active to hide it.", editor.products, editor.children)}
                </p>
            }.into_any()
        } else if confirming {
            view! {
                <section class="mt-8 max-w-2xl rounded-xl border border-red-200 bg-red-50 p-6" aria-labelledby="delete-heading" data-testid="confirm-delete">
                    <h2 id="delete-heading" class="text-lg font-semibold text-red-900">"Delete this category?"</h2>
                    <p class="mt-1 text-sm text-red-900">"Its address stops working. This cannot be undone."</p>
                    <form method="post" action=DeleteCategory::url() class="mt-4 flex gap-3">
                        <input type="hidden" name="id" value=id_value.clone()/>
                        <input type="hidden" name="confirm" value="delete"/>
                        <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Delete category"</button>
                        <a href=format!("/admin/categories/{id_value}") class=BUTTON_SECONDARY>"Keep it"</a>
                    </form>
                </section>
            }.into_any()
        } else {
            view! { <p class="mt-8"><a href=format!("/admin/categories/{id_value}?confirm=delete") class="text-sm font-medium text-red-800 underline">"Delete category…"</a></p> }.into_any()
        })}
    }
}
