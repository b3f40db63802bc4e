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
    ui::{Field, FormError, Notice, PageTitle, StatusPage, textarea_text, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use std::collections::BTreeMap;
use uuid::Uuid;

#[cfg(feature = "ssr")]
use super::access::catalog_staff;

#[server(endpoint = "admin/products/list")]
pub async fn list_products(
    #[server(default)] query: ListQuery,
) -> Result<(Paged<StaffProductRow>, Vec<(Uuid, String)>, Vec<(Uuid, String)>), AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = catalog_staff().await?;
        let page = crate::catalog::manage::list(&state.db, &query).await?;
        let collections = crate::catalog::taxonomy::collection_names(&state.db).await?;
        Ok((page, crate::catalog::manage::categories(&state.db).await?, collections))
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
        state.catalog.changed();
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
        state.catalog.changed();
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
        state.catalog.changed();
        Ok(changed)
    })
    .await;
    // Back to the list page the form was on (its referer): the same filters and page.
    finish("product-bulk", &[], None, result, |n| Then::Stay { step: None, notice: Some(if *n == 1 { "1 product changed.".to_owned() } else { format!("{n} products changed.") }) }).await
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
        state.catalog.changed();
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
        state.catalog.changed();
        Ok(added)
    })
    .await;
    finish("variants", &[], None, result, |_| Then::Redirect(format!("/admin/products/{product}?saved=variants"))).await
}

fn money(minor: i64, currency: &str) -> String {
    Money::new(minor, currency).to_string()
}

/// The list's bulk actions: one "add to" entry for each collection.
fn bulk_actions(collections: &[(Uuid, String)]) -> Vec<(String, String)> {
    let mut actions: Vec<(String, String)> =
        [("activate", "Activate"), ("deactivate", "Make draft"), ("price", "Change price by %")].iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect();
    actions.extend(collections.iter().map(|(id, name)| (format!("collection:{id}"), format!("Add to collection: {name}"))));
    actions
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
                Ok((page, categories, collections)) => {
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
                    let stock_export = format!("/admin/stock.csv?{}", q.to_query());
                    let bulk = Bulk {
                        action_url: BulkProducts::url().to_owned(),
                        actions: bulk_actions(&collections),
                        extra: Some(("percent", "Percent (for price)")),
                    };
                    view! {
                        <div class="flex flex-wrap items-center justify-between gap-3">
                            <h1 class="text-2xl font-semibold text-stone-900">"Products"</h1>
                            <div class="flex flex-wrap items-center gap-3">
                                <a href=stock_export class=LINK>"Export stock"</a>
                                <a href="/admin/import" class=BUTTON_SECONDARY>"Import / export"</a>
                                <a href="/admin/products/new" class=BUTTON_PRIMARY>"Add product"</a>
                            </div>
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
        // Each colour's images (admin::images), in the same load for the same reason.
        let images = match id {
            Some(id) => super::images::get_product_images(Some(id)).await.unwrap_or_default(),
            None => Vec::new(),
        };
        (editor, take_form_outcome().await.ok().flatten(), images)
    });
    let saved = move || query.with(|q| q.get("saved"));
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("delete");
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || editor.get().map(|(result, flash, images)| match result {
                Ok(editor) => view! { <Editor editor flash images saved=saved() confirming=confirming()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn Editor(editor: ProductEditor, flash: Option<FormFlash>, images: Vec<crate::catalog::images::ColourImages>, saved: Option<String>, confirming: bool) -> impl IntoView {
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
        Some("images") => Some("Images uploaded.".to_owned()),
        Some("order") => Some("Image order saved.".to_owned()),
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
                    <textarea id="field-description" name="description" rows="6" class="block w-full rounded-lg border border-stone-300 px-3 py-2 text-base focus:outline-2 focus:outline-emerald-700">{textarea_text(&description)}</textarea>
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
                    <textarea id="field-seo_description" name="seo_description" rows="3" maxlength="170" class="block w-full rounded-lg border border-stone-300 px-3 py-2 text-base focus:outline-2 focus:outline-emerald-700">{textarea_text(&seo_description)}</textarea>
                </div>
            </section>
            <div class="lg:col-span-3"><button type="submit" class=BUTTON_PRIMARY>"Save product"</button></div>
        </form>
        {editor.id.map(|id| view! {
            <StockGrid product=id cells=editor.stock.clone() flash=flash.clone()/>
            <AddVariants product=id colours=editor.all_colours.clone() sizes=editor.all_sizes.clone() flash=flash.clone()/>
            <super::images::ProductImages product=id colours=images.clone() flash=flash.clone()/>
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
    let totals = StockTotals::of(cells.iter().map(|c| {
        let row = colours.iter().position(|x| *x == c.colour).unwrap_or_default();
        let col = sizes.iter().position(|x| *x == c.size).unwrap_or_default();
        (row, col, Some(c.stock.into()))
    }), colours.len(), sizes.len());
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
                            <table id="stock-grid" class="text-sm" data-testid="stock-grid">
                                <thead><tr><th scope="col" class="px-2 py-1 text-left">"Colour"</th>
                                    {sizes.iter().map(|s| view! { <th scope="col" class="px-2 py-1 text-left">{s.clone()}</th> }).collect_view()}
                                    <th scope="col" class="px-2 py-1 text-right">"Total"</th>
                                </tr></thead>
                                <tbody>
                                    {colours.iter().enumerate().map(|(row, colour)| view! {
                                        <tr class="border-t border-stone-100">
                                            <th scope="row" class="px-2 py-2 text-left font-medium">{colour.clone()}</th>
                                            {sizes.iter().enumerate().map(|(col, size)| match cells.iter().position(|c| &c.colour == colour && &c.size == size) {
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
                                                                data-row=row.to_string() data-col=col.to_string()
                                                                aria-invalid=message.is_some().then_some("true") aria-describedby=format!("{key}-held")
                                                                class="w-20 rounded border border-stone-300 px-2 py-1 tabular-nums aria-[invalid=true]:border-red-600"/>
                                                            <span id=format!("{key}-held") class="block text-xs text-stone-500">{format!("{} held", cell.reserved)}</span>
                                                            {message.map(|m| view! { <span class="block max-w-40 text-xs text-red-700">{m}</span> })}
                                                        </td>
                                                    }.into_any()
                                                }
                                                None => view! { <td class="px-2 py-2 text-stone-400">"—"</td> }.into_any(),
                                            }).collect_view()}
                                            <td class="px-2 py-2 text-right font-medium tabular-nums" data-total-row=row.to_string()>{totals.rows[row].to_string()}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                                <tfoot>
                                    <tr class="border-t-2 border-stone-200">
                                        <th scope="row" class="px-2 py-2 text-left font-medium">"Total"</th>
                                        {(0..sizes.len()).map(|col| view! {
                                            <td class="px-2 py-2 font-medium tabular-nums" data-total-col=col.to_string()>{totals.cols[col].to_string()}</td>
                                        }).collect_view()}
                                        <td class="px-2 py-2 text-right font-semibold tabular-nums" data-total="all" data-testid="stock-total">{totals.all.to_string()}</td>
                                    </tr>
                                </tfoot>
                            </table>
                            <LiveTotals grid="stock-grid".to_owned()/>
                        </div>
                        <button type="submit" class=BUTTON_SECONDARY>"Save stock"</button>
                    </form>
                }.into_any()
            }}
        </section>
    }
}

/// Units in stock per colour (row), per size (column) and in all. A cell that is not a
/// whole number of units leaves its row, its column and the grand total unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
struct StockTotals {
    rows: Vec<Total>,
    cols: Vec<Total>,
    all: Total,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Total(Option<i64>);

impl Total {
    fn add(&mut self, units: Option<i64>) {
        self.0 = self.0.zip(units).map(|(a, b)| a + b);
    }
}

impl std::fmt::Display for Total {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("—"),
        }
    }
}

impl StockTotals {
    fn of(cells: impl IntoIterator<Item = (usize, usize, Option<i64>)>, rows: usize, cols: usize) -> Self {
        let mut totals = Self { rows: vec![Total(Some(0)); rows], cols: vec![Total(Some(0)); cols], all: Total(Some(0)) };
        for (row, col, units) in cells {
            let units = units.filter(|n| *n >= 0);
            totals.rows[row].add(units);
            totals.cols[col].add(units);
            totals.all.add(units);
        }
        totals
    }
}

/// Keeps the stock grid's totals in step with what is typed, before it is saved.
#[island]
fn LiveTotals(grid: String) -> impl IntoView {
    #[cfg(feature = "hydrate")]
    Effect::new(move || live_totals::attach(&grid));
    #[cfg(not(feature = "hydrate"))]
    let _ = grid;
}

#[cfg(feature = "hydrate")]
mod live_totals {
    use super::StockTotals;
    use leptos::{prelude::*, wasm_bindgen::{closure::Closure, JsCast}};
    use web_sys::{Element, HtmlInputElement};

    fn index(element: &Element, attribute: &str) -> Option<usize> {
        element.get_attribute(attribute)?.parse().ok()
    }

    fn all(grid: &Element, selector: &str) -> Vec<Element> {
        let Ok(found) = grid.query_selector_all(selector) else { return Vec::new() };
        (0..found.length()).filter_map(|n| found.item(n)?.dyn_into::<Element>().ok()).collect()
    }

    fn recount(grid: &Element) {
        let cells: Vec<(usize, usize, Option<i64>)> = all(grid, "input[data-row]")
            .into_iter()
            .filter_map(|e| {
                let (row, col) = (index(&e, "data-row")?, index(&e, "data-col")?);
                let units = e.dyn_into::<HtmlInputElement>().ok()?.value().trim().parse().ok();
                Some((row, col, units))
            })
            .collect();
        let (row_cells, col_cells) = (all(grid, "[data-total-row]"), all(grid, "[data-total-col]"));
        let totals = StockTotals::of(cells, row_cells.len(), col_cells.len());
        for cell in row_cells {
            if let Some(total) = index(&cell, "data-total-row").and_then(|n| totals.rows.get(n)) {
                cell.set_text_content(Some(&total.to_string()));
            }
        }
        for cell in col_cells {
            if let Some(total) = index(&cell, "data-total-col").and_then(|n| totals.cols.get(n)) {
                cell.set_text_content(Some(&total.to_string()));
            }
        }
        if let Ok(Some(cell)) = grid.query_selector("[data-total=all]") {
            cell.set_text_content(Some(&totals.all.to_string()));
        }
    }

    pub fn attach(grid_id: &str) {
        let Some(grid) = document().get_element_by_id(grid_id) else { return };
        let target = grid.clone();
        let on_input = Closure::<dyn FnMut()>::new(move || recount(&target));
        let _ = grid.add_event_listener_with_callback("input", on_input.as_ref().unchecked_ref());
        on_input.forget();
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

#[cfg(test)]
mod tests {
    use super::{StockTotals, Total};

    #[test]
    fn totals_add_up_per_colour_per_size_and_in_all() {
        // Two colours × two sizes, one size missing for the second colour.
        let totals = StockTotals::of([(0, 0, Some(3)), (0, 1, Some(4)), (1, 0, Some(5))], 2, 2);
        assert_eq!(totals.rows, vec![Total(Some(7)), Total(Some(5))]);
        assert_eq!(totals.cols, vec![Total(Some(8)), Total(Some(4))]);
        assert_eq!(totals.all, Total(Some(12)));
    }

    #[test]
    fn a_cell_that_is_not_a_count_leaves_its_totals_unknown() {
        let totals = StockTotals::of([(0, 0, Some(3)), (0, 1, None), (1, 0, Some(-2)), (1, 1, Some(1))], 2, 2);
        assert_eq!(totals.rows, vec![Total(None), Total(None)]);
        assert_eq!(totals.cols, vec![Total(None), Total(None)]);
        assert_eq!(totals.all.to_string(), "—");
        assert_eq!(StockTotals::of([(0, 0, Some(2))], 1, 1).all.to_string(), "2");
    }
}
