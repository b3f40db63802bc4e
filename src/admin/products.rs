//! Staff pages for products: the list (search, filters, sort, pages, bulk actions, CSV) and
//! the editor (fields, categories, stock grid, delete and restore). Every server function
//! asks for `Permission::ManageCatalog`; the rules live in `catalog::manage`.
// A form's server function takes one argument per field, and the `#[server]` macro does not
// pass an item-level allow on to the browser side.
#![allow(clippy::too_many_arguments)]

use super::table::{use_list_query, Bulk, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row};
use crate::{
    catalog::types::{ProductEditor, StaffProductRow},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    money::Money,
    ui::{Field, FormError, Notice, PageTitle, StatusPage, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use uuid::Uuid;

#[cfg(feature = "ssr")]
async fn catalog_staff() -> Result<(crate::server::state::AppState, crate::audit::server::Actor), AppError> {
    let (user, _) = crate::auth::server::require_permission(crate::auth::Permission::ManageCatalog).await?;
    let state = crate::server::ctx::state()?;
    let actor = crate::audit::server::Actor::of_request(user, state.config.trust_proxy);
    Ok((state, actor))
}

#[server(endpoint = "admin/products/list")]
pub async fn list_products(#[server(default)] query: ListQuery) -> Result<(Paged<StaffProductRow>, Vec<(Uuid, String)>), AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = catalog_staff().await?;
        let page = crate::catalog::manage::list(&state.db, &query).await?;
        Ok((page, crate::catalog::manage::categories(&state.db).await?))
    })
    .await
}

#[server(endpoint = "admin/products/editor")]
pub async fn get_product_editor(id: Option<Uuid>) -> Result<ProductEditor, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = catalog_staff().await?;
        crate::catalog::manage::editor(&state.db, id).await?.ok_or_else(|| AppError::NotFound("That product".into()))
    })
    .await
}

/// Creates (no `id`) or updates a product from the editor's form.
#[server(endpoint = "admin/products/save")]
pub async fn save_product(
    #[server(default)] id: Option<Uuid>,
    #[server(default)] name: String,
    #[server(default)] slug: String,
    #[server(default)] description: String,
    #[server(default)] price: String,
    #[server(default)] sale_price: String,
    #[server(default)] is_active: Option<String>,
    #[server(default)] seo_title: String,
    #[server(default)] seo_description: String,
    #[server(default)] categories: BTreeMap<String, Uuid>,
) -> Result<Uuid, AppError> {
    use crate::{
        catalog::{manage, types::ProductFields},
        forms::server::{finish, Then},
    };
    let fields = ProductFields {
        name,
        slug,
        description,
        price,
        sale_price,
        is_active: is_active.is_some(),
        seo_title,
        seo_description,
        categories: categories.into_values().collect(),
    };
    let typed = fields.clone();
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let valid = manage::validate(&fields)?;
        let id = manage::save(&state.db, &actor, id, &valid, state.clock.now()).await?;
        crate::catalog::server::listings_changed(&state).await;
        Ok(id)
    })
    .await;
    let active = if typed.is_active { "on" } else { "" };
    let values = [
        ("name", typed.name.as_str()),
        ("slug", typed.slug.as_str()),
        ("description", typed.description.as_str()),
        ("price", typed.price.as_str()),
        ("sale_price", typed.sale_price.as_str()),
        ("is_active", active),
        ("seo_title", typed.seo_title.as_str()),
        ("seo_description", typed.seo_description.as_str()),
    ];
    finish("product", &values, None, result, |id| Then::Redirect(format!("/admin/products/{id}?saved=1"))).await
}

/// Soft-deletes (`restore` unset) or restores a product. Deleting asks for the confirm
/// step's `confirm` field, so a stray post cannot delete.
#[server(endpoint = "admin/products/delete")]
pub async fn delete_product(id: Uuid, #[server(default)] confirm: Option<String>, #[server(default)] restore: Option<String>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let restore = restore.is_some();
        if !restore && confirm.as_deref() != Some("delete") {
            return Err(AppError::Rejected("Confirm the deletion to delete this product.".into()));
        }
        crate::catalog::manage::set_deleted(&state.db, &actor, id, !restore, state.clock.now()).await?;
        crate::catalog::server::listings_changed(&state).await;
        Ok(())
    })
    .await;
    finish("product-delete", &[], None, result, |_| Then::Redirect(format!("/admin/products/{id}"))).await
}

/// One bulk action over the rows ticked in the list (`ids[n]`), then back to the list.
#[server(endpoint = "admin/products/bulk")]
pub async fn bulk_products(
    #[server(default)] ids: BTreeMap<String, Uuid>,
    action: String,
    #[server(default)] percent: String,
) -> Result<usize, AppError> {
    use crate::{
        catalog::types::ProductBulk,
        forms::server::{finish, Then},
    };
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let action = match action.split_once(':') {
            _ if action == "activate" => ProductBulk::Activate,
            _ if action == "deactivate" => ProductBulk::Deactivate,
            Some(("collection", id)) => ProductBulk::AddToCollection(id.parse().map_err(|_| AppError::field("action", "Choose an action."))?),
            _ if action == "price" => {
                let value = percent.trim().trim_end_matches('%').trim();
                let pct: f64 = value.parse().map_err(|_| AppError::field("percent", "Enter a percentage like -10 or 15."))?;
                ProductBulk::ChangePrice { basis_points: (pct * 100.0).round() as i64 }
            }
            _ => return Err(AppError::field("action", "Choose an action.")),
        };
        let ids: Vec<Uuid> = ids.into_values().collect();
        let changed = crate::catalog::manage::bulk(&state.db, &actor, &ids, action, state.clock.now()).await?;
        crate::catalog::server::listings_changed(&state).await;
        Ok(changed)
    })
    .await;
    // Back to the list page the form was on (its referer): the same filters and page.
    finish("product-bulk", &[], None, result, |n| Then::Stay { step: None, notice: Some(format!("{n} products changed.")) }).await
}

/// One cell of the stock grid as posted: `cells[n][id]`, `cells[n][stock]`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct StockInput {
    pub id: Uuid,
    #[serde(default)]
    pub stock: String,
}

/// The stock grid: units on hand for each colour × size.
#[server(endpoint = "admin/products/stock")]
pub async fn save_stock(product: Uuid, #[server(default)] cells: BTreeMap<String, StockInput>) -> Result<(), AppError> {
    use crate::forms::server::{finish, Then};
    let typed: Vec<(String, String)> = cells.values().map(|c| (format!("stock-{}", c.id), c.stock.clone())).collect();
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let mut parsed = Vec::with_capacity(cells.len());
        let mut errors = crate::error::FieldErrors::new();
        for cell in cells.values() {
            match cell.stock.trim().parse::<i32>() {
                Ok(n) => parsed.push((cell.id, n)),
                Err(_) => errors.add(format!("stock-{}", cell.id), "Enter a whole number from 0 to 1,000,000."),
            }
        }
        errors.into_result()?;
        crate::catalog::manage::set_stock(&state.db, &actor, product, &parsed, state.clock.now()).await?;
        crate::catalog::server::listings_changed(&state).await;
        Ok(())
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    finish("stock", &values, None, result, |_| Then::Redirect(format!("/admin/products/{product}?saved=stock"))).await
}

/// Adds a colour with sizes (or more sizes in a colour) to a product.
#[server(endpoint = "admin/products/variants")]
pub async fn add_product_variants(product: Uuid, #[server(default)] colour: Option<Uuid>, #[server(default)] sizes: BTreeMap<String, Uuid>) -> Result<usize, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = catalog_staff().await?;
        let colour = colour.ok_or_else(|| AppError::field("colour", "Choose a colour."))?;
        let sizes: Vec<Uuid> = sizes.into_values().collect();
        let added = crate::catalog::manage::add_variants(&state.db, &actor, product, colour, &sizes, state.clock.now()).await?;
        crate::catalog::server::listings_changed(&state).await;
        Ok(added)
    })
    .await;
    finish("variants", &[], None, result, |_| Then::Redirect(format!("/admin/products/{product}?saved=variants"))).await
}

fn money(minor: i64, currency: &str) -> String {
    Money::new(minor, currency).to_string()
}

fn product_row(p: StaffProductRow) -> Row {
    let status = if p.deleted {
        Cell::Badge { text: "Deleted".into(), good: false }
    } else if p.is_active {
        Cell::Badge { text: "Active".into(), good: true }
    } else {
        Cell::Badge { text: "Draft".into(), good: false }
    };
    let price = match p.sale_minor {
        Some(sale) => format!("{} (was {})", money(sale, &p.currency), money(p.price_minor, &p.currency)),
        None => money(p.price_minor, &p.currency),
    };
    Row {
        id: p.id.to_string(),
        cells: vec![
            Cell::Link { href: format!("/admin/products/{}", p.id), text: p.name },
            status,
            Cell::Text(price),
            Cell::Text(format!("{} ({} held)", p.available, p.reserved)),
            Cell::Muted(p.categories),
        ],
    }
}

#[component]
pub fn ProductsPage() -> impl IntoView {
    let list_query = use_list_query(&["status", "category"]);
    let data = Resource::new(move || list_query.get(), |q| async move { (list_products(q).await, take_form_outcome().await.ok().flatten()) });
    view! {
        <PageTitle text="Products — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok((page, categories)) => {
                    let bulk_flash = FormFlash::of(&flash, "product-bulk");
                    let error = Signal::derive({ let e = bulk_flash.as_ref().and_then(|f| f.error.clone()); move || e.clone() });
                    let notice = Signal::derive({ let n = bulk_flash.as_ref().and_then(|f| f.notice.clone()); move || n.clone() });
                    let q = list_query.get();
                    let mut category_options = vec![(String::new(), "Any category".to_owned())];
                    category_options.extend(categories.into_iter().map(|(id, name)| (id.to_string(), name)));
                    let filters = vec![
                        FilterSelect {
                            key: "status",
                            label: "Status",
                            options: [("", "Live and drafts"), ("active", "Active"), ("inactive", "Drafts"), ("deleted", "Deleted")]
                                .into_iter()
                                .map(|(v, l)| (v.to_owned(), l.to_owned()))
                                .collect(),
                        },
                        FilterSelect { key: "category", label: "Category", options: category_options },
                    ];
                    let columns = vec![
                        Column::new("name", "Product").sortable(),
                        Column::new("status", "Status").sortable(),
                        Column::new("price", "Price").sortable().numeric(),
                        Column::new("available", "Available").sortable().numeric(),
                        Column::new("categories", "Categories"),
                    ];
                    let export = format!("/admin/products.csv?{}", q.to_query());
                    let bulk = Bulk {
                        action_url: BulkProducts::url().to_owned(),
                        actions: vec![("activate", "Activate"), ("deactivate", "Make draft"), ("price", "Change price by %")],
                        extra: Some(("percent", "Percent (for price)")),
                    };
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-2xl font-semibold text-stone-900">"Products"</h1>
                            <a href="/admin/products/new" class=BUTTON_PRIMARY>"Add product"</a>
                        </div>
                        <div class="mt-4 space-y-2"><FormError error/><Notice message=notice/></div>
                        <DataTable path="/admin/products" query=q columns rows=page.rows.into_iter().map(product_row).collect() total=page.total
                            search_label="Search by name or URL name" filters bulk export
                            empty="No products match. Clear the search or filters, or add a product."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn ProductEditPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    let is_new = move || params.with(|p| p.get("id")).as_deref() == Some("new");
    // The outcome of a plain post is taken in the same load as the page's data: a second
    // resource would not be awaited inside the dashboard frame's Suspense.
    let editor = Resource::new(move || (id(), is_new()), |(id, is_new)| async move {
        let editor = match (id, is_new) {
            (None, false) => Err(AppError::NotFound("That product".into())),
            (id, _) => get_product_editor(id).await,
        };
        (editor, take_form_outcome().await.ok().flatten())
    });
    let saved = move || query.with(|q| q.get("saved"));
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("delete");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || editor.get().map(|(result, flash)| match result {
                Ok(editor) => view! { <Editor editor flash saved=saved() confirming=confirming()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Editor(editor: ProductEditor, flash: Option<FormFlash>, saved: Option<String>, confirming: bool) -> impl IntoView {
    let mine = FormFlash::of(&flash, "product");
    let value = |field: &str, current: &str| RwSignal::new(mine.as_ref().map_or_else(|| current.to_owned(), |f| f.value(field)));
    let f = &editor.fields;
    let (name, slug, price, sale, seo_title) = (
        value("name", &f.name),
        value("slug", &f.slug),
        value("price", &f.price),
        value("sale_price", &f.sale_price),
        value("seo_title", &f.seo_title),
    );
    let description = mine.as_ref().map_or_else(|| f.description.clone(), |m| m.value("description"));
    let seo_description = mine.as_ref().map_or_else(|| f.seo_description.clone(), |m| m.value("seo_description"));
    let active = mine.as_ref().map_or(f.is_active, |m| !m.value("is_active").is_empty());
    let err = { let e = mine.as_ref().and_then(|m| m.error.clone()); Signal::derive(move || e.clone()) };
    let delete_error = { let e = FormFlash::of(&flash, "product-delete").and_then(|m| m.error); Signal::derive(move || e.clone()) };
    let title = if editor.id.is_some() { f.name.clone() } else { "New product".to_owned() };
    let notice = match saved.as_deref() {
        Some("stock") => Some("Stock saved.".to_owned()),
        Some("variants") => Some("Sizes added. Enter their stock below.".to_owned()),
        Some(_) => Some("Product saved.".to_owned()),
        None => None,
    };
    let id_value = editor.id.map(|id| id.to_string()).unwrap_or_default();
    let view_link = (editor.id.is_some() && f.is_active && !editor.deleted).then(|| format!("/p/{}", f.slug));
    let checked: Vec<Uuid> = f.categories.clone();
    view! {
        <PageTitle text=format!("{title} — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <ol class="flex gap-2"><li><a href="/admin/products" class=LINK>"Products"</a></li><li aria-hidden="true">"/"</li><li aria-current="page">{title.clone()}</li></ol>
        </nav>
        <div class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <h1 class="text-2xl font-semibold text-stone-900">{title}</h1>
            <div class="flex gap-4 text-sm">
                {editor.id.map(|id| view! { <a href=format!("/admin/audit?kind=product&entity={id}") class=LINK>"History"</a> })}
                {view_link.map(|href| view! { <a href=href class=LINK>"View in store ↗"</a> })}
            </div>
        </div>
        <div class="mt-4 space-y-2"><Notice message=Signal::derive(move || notice.clone())/><FormError error=err/><FormError error=delete_error/></div>
        {editor.deleted.then(|| view! {
            <div class="mt-4 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-950" data-testid="deleted-notice">
                <p>"This product is deleted: shoppers cannot see it."</p>
                <form method="post" action=DeleteProduct::url() class="mt-2">
                    <input type="hidden" name="id" value=id_value.clone()/>
                    <input type="hidden" name="restore" value="1"/>
                    <button type="submit" class=BUTTON_SECONDARY>"Restore product"</button>
                </form>
            </div>
        })}
        <form method="post" action=SaveProduct::url() class="mt-6 grid gap-6 lg:grid-cols-3">
            <input type="hidden" name="id" value=id_value.clone()/>
            <section class="space-y-4 rounded-xl border border-stone-200 bg-white p-6 lg:col-span-2" aria-labelledby="details-heading">
                <h2 id="details-heading" class="text-lg font-semibold">"Details"</h2>
                <Field label="Name" name="name" value=name error=err required=true/>
                <Field label="URL name" name="slug" value=slug error=err hint="Leave empty to make one from the name. Changing it keeps the old address working."/>
                <div class="space-y-1">
                    <label for="field-description" class="block text-sm font-medium text-stone-800">"Description"</label>
                    <textarea id="field-description" name="description" rows="6" class="block w-full rounded-lg border border-stone-300 px-3 py-2 text-base focus:outline-2 focus:outline-emerald-700">{description}</textarea>
                </div>
                <div class="grid gap-4 sm:grid-cols-2">
                    <Field label=format!("Price ({})", editor.currency) name="price" value=price error=err inputmode="decimal" required=true/>
                    <Field label=format!("Sale price ({}, optional)", editor.currency) name="sale_price" value=sale error=err inputmode="decimal" hint="Below the price; shoppers pay this while it is set."/>
                </div>
            </section>
            <section class="space-y-4 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="status-heading">
                <h2 id="status-heading" class="text-lg font-semibold">"Status"</h2>
                <label class="flex items-center gap-2 text-sm"><input type="checkbox" name="is_active" value="on" checked=active class="size-4"/>"Active (shown in the store)"</label>
                <fieldset>
                    <legend class="text-sm font-medium text-stone-800">"Categories"</legend>
                    <div class="mt-2 max-h-64 space-y-1 overflow-y-auto">
                        {editor.all_categories.iter().enumerate().map(|(i, (id, name))| view! {
                            <label class="flex items-center gap-2 text-sm">
                                <input type="checkbox" name=format!("categories[{i}]") value=id.to_string() checked=checked.contains(id) class="size-4"/>
                                {name.clone()}
                            </label>
                        }).collect_view()}
                    </div>
                </fieldset>
            </section>
            <section class="space-y-4 rounded-xl border border-stone-200 bg-white p-6 lg:col-span-2" aria-labelledby="seo-heading">
                <h2 id="seo-heading" class="text-lg font-semibold">"Search engines"</h2>
                <Field label="Page title" name="seo_title" value=seo_title error=err hint="Up to 70 characters; the name is used when empty."/>
                <div class="space-y-1">
                    <label for="field-seo_description" class="block text-sm font-medium text-stone-800">"Description"</label>
                    <textarea id="field-seo_description" name="seo_description" rows="3" maxlength="170" class="block w-full rounded-lg border border-stone-300 px-3 py-2 text-base focus:outline-2 focus:outline-emerald-700">{seo_description}</textarea>
                </div>
            </section>
            <div class="lg:col-span-3"><button type="submit" class=BUTTON_PRIMARY>"Save product"</button></div>
        </form>
        {editor.id.map(|id| view! {
            <StockGrid product=id cells=editor.stock.clone() flash=flash.clone()/>
            <AddVariants product=id colours=editor.all_colours.clone() sizes=editor.all_sizes.clone() flash=flash.clone()/>
        })}
        {(editor.id.is_some() && !editor.deleted).then(|| if confirming {
            view! {
                <section class="mt-8 rounded-xl border border-red-200 bg-red-50 p-6" aria-labelledby="delete-heading" data-testid="confirm-delete">
                    <h2 id="delete-heading" class="text-lg font-semibold text-red-900">"Delete this product?"</h2>
                    <p class="mt-1 text-sm text-red-900">"Shoppers will no longer see it; orders keep their copy. You can restore it later."</p>
                    <form method="post" action=DeleteProduct::url() class="mt-4 flex gap-3">
                        <input type="hidden" name="id" value=id_value.clone()/>
                        <input type="hidden" name="confirm" value="delete"/>
                        <button type="submit" class="rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700">"Delete product"</button>
                        <a href=format!("/admin/products/{id_value}") class=BUTTON_SECONDARY>"Keep it"</a>
                    </form>
                </section>
            }.into_any()
        } else {
            view! { <p class="mt-8"><a href=format!("/admin/products/{id_value}?confirm=delete") class="text-sm font-medium text-red-800 underline">"Delete product…"</a></p> }.into_any()
        })}
    }
}

/// Every colour × size with its stock (editable) and what unpaid orders hold beside it.
#[component]
fn StockGrid(product: Uuid, cells: Vec<crate::catalog::types::StockCell>, flash: Option<FormFlash>) -> impl IntoView {
    let mine = FormFlash::of(&flash, "stock");
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let mut colours: Vec<String> = Vec::new();
    let mut sizes: Vec<String> = Vec::new();
    for c in &cells {
        if !colours.contains(&c.colour) {
            colours.push(c.colour.clone());
        }
        if !sizes.contains(&c.size) {
            sizes.push(c.size.clone());
        }
    }
    let general = Signal::derive({ let e = error.clone(); move || e.clone() });
    view! {
        <section class="mt-8 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="stock-heading">
            <h2 id="stock-heading" class="text-lg font-semibold">"Stock"</h2>
            {if cells.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"This product has no colours and sizes yet."</p> }.into_any()
            } else {
                view! {
                    <form method="post" action=SaveStock::url() class="mt-4 space-y-4">
                        <input type="hidden" name="product" value=product.to_string()/>
                        <FormError error=general/>
                        <div class="overflow-x-auto">
                            <table class="text-sm" data-testid="stock-grid">
                                <thead><tr><th scope="col" class="px-2 py-1 text-left">"Colour"</th>
                                    {sizes.iter().map(|s| view! { <th scope="col" class="px-2 py-1 text-left">{s.clone()}</th> }).collect_view()}
                                </tr></thead>
                                <tbody>
                                    {colours.iter().map(|colour| view! {
                                        <tr class="border-t border-stone-100">
                                            <th scope="row" class="px-2 py-2 text-left font-medium">{colour.clone()}</th>
                                            {sizes.iter().map(|size| match cells.iter().position(|c| &c.colour == colour && &c.size == size) {
                                                Some(n) => {
                                                    let cell = &cells[n];
                                                    let key = format!("stock-{}", cell.id);
                                                    let typed = mine.as_ref().map(|f| f.value(&key)).filter(|v| !v.is_empty()).unwrap_or_else(|| cell.stock.to_string());
                                                    let message = error.as_ref().and_then(|e| e.field_error(&key));
                                                    let label = format!("Stock of {colour}, {size}");
                                                    view! {
                                                        <td class="px-2 py-2 align-top">
                                                            <input type="hidden" name=format!("cells[{n}][id]") value=cell.id.to_string()/>
                                                            <input name=format!("cells[{n}][stock]") value=typed aria-label=label inputmode="numeric"
                                                                aria-invalid=message.is_some().then_some("true") aria-describedby=format!("{key}-held")
                                                                class="w-20 rounded border border-stone-300 px-2 py-1 tabular-nums aria-[invalid=true]:border-red-600"/>
                                                            <span id=format!("{key}-held") class="block text-xs text-stone-500">{format!("{} held", cell.reserved)}</span>
                                                            {message.map(|m| view! { <span class="block max-w-40 text-xs text-red-700">{m}</span> })}
                                                        </td>
                                                    }.into_any()
                                                }
                                                None => view! { <td class="px-2 py-2 text-stone-400">"—"</td> }.into_any(),
                                            }).collect_view()}
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                        <button type="submit" class=BUTTON_SECONDARY>"Save stock"</button>
                    </form>
                }.into_any()
            }}
        </section>
    }
}

/// The form that adds a colour with sizes to the product.
#[component]
fn AddVariants(product: Uuid, colours: Vec<(Uuid, String)>, sizes: Vec<(Uuid, String)>, flash: Option<FormFlash>) -> impl IntoView {
    let error = FormFlash::of(&flash, "variants").and_then(|f| f.error);
    let colour_error = error.as_ref().and_then(|e| e.field_error("colour"));
    let sizes_error = error.as_ref().and_then(|e| e.field_error("sizes"));
    let general = Signal::derive({ let e = error.clone(); move || e.clone() });
    view! {
        <section class="mt-8 rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="variants-heading">
            <h2 id="variants-heading" class="text-lg font-semibold">"Add a colour or sizes"</h2>
            <form method="post" action=AddProductVariants::url() class="mt-4 space-y-4">
                <input type="hidden" name="product" value=product.to_string()/>
                <FormError error=general/>
                <div class="space-y-1">
                    <label for="variant-colour" class="block text-sm font-medium text-stone-800">"Colour"</label>
                    <select id="variant-colour" name="colour" aria-invalid=colour_error.is_some().then_some("true")
                        class="rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm aria-[invalid=true]:border-red-600">
                        <option value="">"Choose a colour"</option>
                        {colours.into_iter().map(|(id, name)| view! { <option value=id.to_string()>{name}</option> }).collect_view()}
                    </select>
                    {colour_error.map(|m| view! { <p class="text-sm text-red-700">{m}</p> })}
                </div>
                <fieldset>
                    <legend class="text-sm font-medium text-stone-800">"Sizes"</legend>
                    <div class="mt-2 flex flex-wrap gap-3">
                        {sizes.into_iter().enumerate().map(|(i, (id, label))| view! {
                            <label class="flex items-center gap-2 text-sm"><input type="checkbox" name=format!("sizes[{i}]") value=id.to_string() class="size-4"/>{label}</label>
                        }).collect_view()}
                    </div>
                    {sizes_error.map(|m| view! { <p class="mt-1 text-sm text-red-700">{m}</p> })}
                </fieldset>
                <button type="submit" class=BUTTON_SECONDARY>"Add sizes"</button>
            </form>
        </section>
    }
}

/// `GET /admin/products.csv?<the list's filters>`: every matching product as CSV.
#[cfg(feature = "ssr")]
pub async fn export_csv(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    session: tower_sessions::Session,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<axum::response::Response, AppError> {
    use axum::{http::header, response::IntoResponse};
    let session = crate::server::session::AppSession::new(session);
    let data = session.data().await?;
    let (_, role) = crate::auth::server::current_user(&session, &data, &state.db).await?.ok_or(AppError::Unauthorized)?;
    if !role.can(crate::auth::Permission::ManageCatalog) {
        return Err(AppError::Forbidden);
    }
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    let query = ListQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let rows = crate::catalog::manage::export(&state.db, &query).await?;
    let mut csv = String::from("id,name,slug,status,currency,price,sale_price,available,held,categories\r\n");
    for p in rows {
        let status = if p.deleted { "deleted" } else if p.is_active { "active" } else { "draft" };
        let fields = [
            p.id.to_string(),
            p.name,
            p.slug,
            status.to_owned(),
            p.currency,
            crate::money::amount_input(p.price_minor),
            p.sale_minor.map(crate::money::amount_input).unwrap_or_default(),
            p.available.to_string(),
            p.reserved.to_string(),
            p.categories,
        ];
        csv.push_str(&fields.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        csv.push_str("\r\n");
    }
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"products.csv\"")],
        csv,
    )
        .into_response())
}

/// One CSV field: quoted when it holds a separator, a quote or a line break; a leading
/// `=`, `+`, `-` or `@` is prefixed so spreadsheets never run it as a formula.
#[cfg(feature = "ssr")]
fn csv_field(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@']) { format!("'{value}") } else { value.to_owned() };
    if value.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    #[test]
    fn csv_fields_are_quoted_and_never_formulas() {
        assert_eq!(super::csv_field("Linen shirt"), "Linen shirt");
        assert_eq!(super::csv_field("Shirts, Tops"), "\"Shirts, Tops\"");
        assert_eq!(super::csv_field("The \"best\""), "\"The \"\"best\"\"\"");
        assert_eq!(super::csv_field("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        assert_eq!(super::csv_field("-5"), "'-5");
    }
}
