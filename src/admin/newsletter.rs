//! Staff page for newsletter subscribers: the shared table (search by address, filter by
//! state, sort, pages) with each subscriber's state and dates, and the CSV of the current
//! filter at `/admin/newsletter.csv`. Both ask for `Permission::ManageContent` (editors and
//! admins); the queries live in `newsletter::server`.

use super::table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row};
use crate::{
    error::AppError,
    newsletter::{StaffSubscriber, SubscriberStatus},
    ui::{PageTitle, StatusPage},
};
use chrono::{DateTime, Utc};
use leptos::prelude::*;

#[server(endpoint = "admin/newsletter/list")]
pub async fn list_subscribers(#[server(default)] query: ListQuery) -> Result<Paged<StaffSubscriber>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = super::access::staff(crate::auth::Permission::ManageContent).await?;
        Ok(crate::newsletter::server::list(&state.db, &query).await?)
    })
    .await
}

/// `GET /admin/newsletter.csv?<the list's filters>`: every matching subscriber, with the
/// link that unsubscribes each (for sending the newsletter from another tool). A plain axum
/// handler (a file answer), checked like the server functions.
#[cfg(feature = "ssr")]
pub async fn export_subscribers(
    axum::extract::State(state): axum::extract::State<crate::server::state::AppState>,
    session: tower_sessions::Session,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<axum::response::Response, AppError> {
    use axum::{http::header, response::IntoResponse};
    super::access::staff_of(&state, &crate::server::session::AppSession::new(session), crate::auth::Permission::ManageContent).await?;
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
    let query = ListQuery::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let rows = crate::newsletter::server::export(&state.db, &query).await?;
    let (site, secret) = (state.config.site_url.as_str(), state.config.auth_secret.expose());
    let stamp = |at: Option<DateTime<Utc>>| at.map(|t| t.to_rfc3339()).unwrap_or_default();
    let body = crate::catalog::csv::write(
        &["email", "status", "source", "signed_up_at", "confirmed_at", "unsubscribed_at", "unsubscribe_url"],
        rows.into_iter().map(|s| {
            let (unsubscribe_url, _) = crate::newsletter::server::unsubscribe_urls(site, secret, s.id);
            vec![s.email, s.status.as_str().to_owned(), s.source, s.created_at.to_rfc3339(), stamp(s.confirmed_at), stamp(s.unsubscribed_at), unsubscribe_url]
        }),
    )?;
    let headers = [(header::CONTENT_TYPE, "text/csv; charset=utf-8"), (header::CONTENT_DISPOSITION, "attachment; filename=\"subscribers.csv\"")];
    Ok((headers, body).into_response())
}

fn when(at: Option<DateTime<Utc>>) -> Cell {
    match at {
        Some(at) => Cell::Muted(at.format("%-d %b %Y, %H:%M").to_string()),
        None => Cell::Muted("—".into()),
    }
}

fn subscriber_row(s: StaffSubscriber) -> Row {
    Row {
        id: s.id.to_string(),
        cells: vec![
            Cell::Text(s.email),
            Cell::Badge { text: s.status.label().into(), good: s.status == SubscriberStatus::Confirmed },
            Cell::Muted(match s.source.as_str() {
                "page" => "Newsletter page".into(),
                _ => "Footer".into(),
            }),
            when(Some(s.created_at)),
            when(s.confirmed_at),
            when(s.unsubscribed_at),
        ],
    }
}

#[component]
pub fn NewsletterPage() -> impl IntoView {
    let list_query = use_list_query(&["status"]);
    let data = Resource::new(move || list_query.get(), list_subscribers);
    view! {
        <PageTitle text="Newsletter — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|result| match result {
                Ok(page) => {
                    let query = list_query.get();
                    let mut options = vec![(String::new(), "Every state".to_owned())];
                    options.extend(SubscriberStatus::ALL.iter().map(|s| (s.as_str().to_owned(), s.label().to_owned())));
                    let filters = vec![FilterSelect { key: "status", label: "State", options }];
                    let columns = vec![
                        Column::new("email", "Email").sortable(),
                        Column::new("status", "State"),
                        Column::new("source", "Signed up from"),
                        Column::new("created", "Signed up (UTC)").sortable(),
                        Column::new("confirmed", "Confirmed (UTC)").sortable(),
                        Column::new("unsubscribed", "Unsubscribed (UTC)").sortable(),
                    ];
                    let export = query.href("/admin/newsletter.csv", |q| q.page = 1);
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Newsletter"</h1>
                        <p class="mt-1 max-w-3xl text-sm text-stone-600">
                            "Everyone who signed up in the shop's footer or on its newsletter page. Pending addresses have not confirmed by the emailed link yet and receive nothing else; only confirmed ones should be sent the newsletter. The CSV has the current filter, with each subscriber's unsubscribe link."
                        </p>
                        <DataTable path="/admin/newsletter" query=query columns rows=page.rows.into_iter().map(subscriber_row).collect() total=page.total
                            search_label="Search by email" filters export empty="No subscribers match. Clear the search or filters."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}
