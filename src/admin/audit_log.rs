//! The audit log as staff browse it: newest first, filtered by kind of thing, by one thing
//! and by who made the change.

use super::table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row};
use crate::{audit::AuditEntry, error::AppError, ui::{PageTitle, StatusPage}};
use leptos::prelude::*;

#[server(endpoint = "admin/audit")]
pub async fn list_audit(#[server(default)] query: ListQuery) -> Result<Paged<AuditEntry>, AppError> {
    use crate::{
        audit::server::{list, Filter},
        auth::{server::require_permission, Permission},
        server::ctx,
    };
    ctx::respond(async move {
        require_permission(Permission::ViewAudit).await?;
        let filter = Filter {
            entity_kind: query.filter("kind").map(str::to_owned),
            entity_id: query.filter("entity").map(str::to_owned),
            actor: query.search().map(str::to_owned),
        };
        let (rows, total) = list(&ctx::state()?.db, &filter, super::table::PAGE_SIZE, query.offset()).await?;
        Ok(Paged { rows, total })
    })
    .await
}

fn entry_row(e: AuditEntry) -> Row {
    let changes = e.changes.iter().map(|c| format!("{}: {} → {}", c.field, shorten(&c.before), shorten(&c.after))).collect::<Vec<_>>().join("; ");
    let target = match e.entity_kind.as_str() {
        "product" => Cell::Link { href: format!("/admin/products/{}", e.entity_id), text: format!("product {}", short_id(&e.entity_id)) },
        kind @ ("category" | "collection" | "lookbook" | "review" | "coupon" | "article") => {
            let section = match kind {
                "category" => "categories",
                "collection" => "collections",
                "review" => "reviews",
                "coupon" => "coupons",
                "article" => "articles",
                _ => "lookbooks",
            };
            Cell::Link { href: format!("/admin/{section}/{}", e.entity_id), text: format!("{kind} {}", short_id(&e.entity_id)) }
        }
        "customer" => Cell::Link { href: format!("/admin/customers/{}", e.entity_id), text: format!("customer {}", short_id(&e.entity_id)) },
        kind => Cell::Text(format!("{kind} {}", short_id(&e.entity_id))),
    };
    Row {
        id: e.entity_id.clone(),
        cells: vec![
            Cell::Text(e.at.format("%Y-%m-%d %H:%M:%S UTC").to_string()),
            Cell::Text(e.actor_email),
            Cell::Badge { text: e.action.replace('_', " "), good: false },
            target,
            Cell::Text(changes),
            Cell::Muted(e.client_ip.unwrap_or_default()),
        ],
    }
}

fn short_id(id: &str) -> &str {
    id.get(..8).unwrap_or(id)
}

fn shorten(text: &str) -> String {
    if text.chars().count() > 60 {
        format!("{}…", text.chars().take(60).collect::<String>())
    } else if text.is_empty() {
        "(empty)".into()
    } else {
        text.to_owned()
    }
}

#[component]
pub fn AuditLogPage() -> impl IntoView {
    let query = use_list_query(&["kind", "entity"]);
    let entries = Resource::new(move || query.get(), list_audit);
    view! {
        <PageTitle text="Audit log — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || entries.get().map(|result| match result {
                Ok(page) => {
                    let columns = vec![
                        Column::new("at", "When"),
                        Column::new("actor", "Who"),
                        Column::new("action", "What"),
                        Column::new("entity", "Which"),
                        Column::new("changes", "Changes"),
                        Column::new("ip", "From"),
                    ];
                    let filters = vec![FilterSelect {
                        key: "kind",
                        label: "Kind",
                        options: [
                            ("", "Everything"),
                            ("order", "Orders"),
                            ("product", "Products"),
                            ("category", "Categories"),
                            ("colour", "Colours"),
                            ("size", "Sizes"),
                            ("collection", "Collections"),
                            ("lookbook", "Lookbooks"),
                            ("country", "Countries"),
                            ("state", "States"),
                            ("city", "Cities"),
                            ("customer", "Customers"),
                            ("review", "Reviews"),
                            ("coupon", "Coupons"),
                            ("article", "Articles"),
                        ]
                        .into_iter()
                        .map(|(v, l)| (v.to_owned(), l.to_owned()))
                        .collect(),
                    }];
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Audit log"</h1>
                        <p class="mt-1 text-sm text-stone-600">"Every change staff made, with the values before and after."</p>
                        <DataTable path="/admin/audit" query=query.get() columns rows=page.rows.into_iter().map(entry_row).collect() total=page.total
                            search_label="Staff email" filters empty="No changes recorded yet."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}
