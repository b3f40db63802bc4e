//! Staff pages for customer accounts: the list (search, role and state filters, sort,
//! pages) and one account (profile, activity, orders, addresses, sessions, devices and
//! sign-in history) with its actions — role, deactivate and reactivate, end sessions,
//! unlock a device. Every server function asks for `Permission::ManageCustomers`; the rules
//! live in `auth::server::customers`.

use super::table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Paged, Row};
use crate::{
    auth::{
        types::{CustomerDetail, CustomerDevice, CustomerLoginEvent, CustomerRow, CustomerSession},
        Role,
    },
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    money::Money,
    ui::{FormError, Notice, PageTitle, StatusPage, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use chrono::{DateTime, Utc};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

#[cfg(feature = "ssr")]
async fn customers_staff() -> Result<(crate::server::state::AppState, crate::audit::server::Actor), AppError> {
    super::access::staff(crate::auth::Permission::ManageCustomers).await
}

#[cfg(feature = "ssr")]
fn account(id: Option<Uuid>) -> Result<Uuid, AppError> {
    id.ok_or_else(|| AppError::NotFound("That account".into()))
}

#[server(endpoint = "admin/customers/list")]
pub async fn list_customers(#[server(default)] query: ListQuery) -> Result<Paged<CustomerRow>, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = customers_staff().await?;
        crate::auth::server::customers::list(&state.db, &query).await
    })
    .await
}

#[server(endpoint = "admin/customers/get")]
pub async fn get_customer(#[server(default)] id: Option<Uuid>) -> Result<CustomerDetail, AppError> {
    crate::server::ctx::respond(async move {
        let (state, actor) = customers_staff().await?;
        let id = account(id)?;
        crate::auth::server::customers::detail(&state.db, id, actor.user_id, state.clock.now())
            .await?
            .ok_or_else(|| AppError::NotFound("That account".into()))
    })
    .await
}

/// Gives the account another role; its sessions end.
#[server(endpoint = "admin/customers/role")]
pub async fn change_customer_role(#[server(default)] id: Option<Uuid>, #[server(default)] role: String) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let typed = role.clone();
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = customers_staff().await?;
        crate::auth::server::second_factor::require_recent(&state, &crate::server::ctx::session().await?).await?;
        let id = account(id)?;
        let role = Role::parse(&role).ok_or_else(|| AppError::field("role", "Choose customer, editor or admin."))?;
        crate::auth::server::customers::change_role(&state.db, &state.redis, &actor, id, role, state.clock.now()).await
    })
    .await;
    let notice = |changed: &bool| if *changed { "Role changed. They were signed out everywhere." } else { "That is already their role." };
    finish("customer-role", &[("role", &typed)], None, result, |changed| Then::Stay { step: None, notice: Some(notice(changed).into()) }).await
}

/// Deactivates the account after the confirm step (`confirm=deactivate`): it is signed out
/// everywhere and cannot sign in.
#[server(endpoint = "admin/customers/deactivate")]
pub async fn deactivate_customer(#[server(default)] id: Option<Uuid>, #[server(default)] confirm: Option<String>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let page = id.map_or_else(|| "/admin/customers".to_owned(), |id| format!("/admin/customers/{id}"));
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = customers_staff().await?;
        let id = account(id)?;
        if confirm.as_deref() != Some("deactivate") {
            return Err(AppError::Rejected("Confirm the deactivation to deactivate this account.".into()));
        }
        crate::auth::server::second_factor::require_recent(&state, &crate::server::ctx::session().await?).await?;

        crate::auth::server::customers::set_active(&state.db, &state.redis, &actor, id, false, state.clock.now()).await
    })
    .await;
    // Away from the confirm step, to the account as it is now.
    finish("customer-state", &[], None, result, |_| Then::Redirect(format!("{page}?deactivated=1"))).await
}

#[server(endpoint = "admin/customers/reactivate")]
pub async fn reactivate_customer(#[server(default)] id: Option<Uuid>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = customers_staff().await?;
        let id = account(id)?;
        crate::auth::server::customers::set_active(&state.db, &state.redis, &actor, id, true, state.clock.now()).await
    })
    .await;
    finish("customer-state", &[], None, result, |_| Then::Stay { step: None, notice: Some("Account reactivated. They can sign in again.".into()) }).await
}

/// Ends one of the account's sessions.
#[server(endpoint = "admin/customers/end-session")]
pub async fn end_customer_session(#[server(default)] id: Option<Uuid>, #[server(default)] session: Option<Uuid>) -> Result<usize, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = customers_staff().await?;
        let id = account(id)?;
        let session = session.ok_or_else(|| AppError::NotFound("That session".into()))?;
        crate::auth::server::customers::end_sessions(&state.db, &state.redis, &actor, id, Some(session), state.clock.now()).await
    })
    .await;
    finish("customer-sessions", &[], None, result, |n| Then::Stay { step: None, notice: Some(ended_notice(*n)) }).await
}

/// Ends every session of the account.
#[server(endpoint = "admin/customers/end-sessions")]
pub async fn end_customer_sessions(#[server(default)] id: Option<Uuid>) -> Result<usize, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = customers_staff().await?;
        let id = account(id)?;
        crate::auth::server::customers::end_sessions(&state.db, &state.redis, &actor, id, None, state.clock.now()).await
    })
    .await;
    finish("customer-sessions", &[], None, result, |n| Then::Stay { step: None, notice: Some(ended_notice(*n)) }).await
}

/// Lifts the lock on one of the account's devices.
#[server(endpoint = "admin/customers/unlock")]
pub async fn unlock_customer_device(#[server(default)] id: Option<Uuid>, #[server(default)] device: Option<Uuid>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = customers_staff().await?;
        let id = account(id)?;
        let device = device.ok_or_else(|| AppError::NotFound("That device".into()))?;
        crate::auth::server::customers::unlock_device(&state.db, &actor, id, device, state.clock.now()).await
    })
    .await;
    let notice = |unlocked: &bool| if *unlocked { "Device unlocked. It can try to sign in again now." } else { "That device is not locked." };
    finish("customer-device", &[], None, result, |unlocked| Then::Stay { step: None, notice: Some(notice(unlocked).into()) }).await
}

#[cfg(feature = "ssr")]
fn ended_notice(n: usize) -> String {
    match n {
        0 => "No session was ended: it had already ended.".into(),
        1 => "1 session ended. That browser is signed out.".into(),
        n => format!("{n} sessions ended. Those browsers are signed out."),
    }
}

fn role_label(role: Role) -> &'static str {
    match role {
        Role::Customer => "Customer",
        Role::Editor => "Editor",
        Role::Admin => "Admin",
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

fn moment(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn maybe_moment(at: Option<DateTime<Utc>>) -> String {
    at.map_or_else(|| "Never".to_owned(), moment)
}

/// What to call an account: its name, else its email or phone.
fn display_name(name: &str, email: Option<&str>, phone: Option<&str>) -> String {
    [Some(name), email, phone].into_iter().flatten().map(str::trim).find(|s| !s.is_empty()).unwrap_or("Unnamed account").to_owned()
}

fn customer_row(c: CustomerRow) -> Row {
    let name = display_name(&c.name, c.email.as_deref(), c.phone.as_deref());
    Row {
        id: c.id.to_string(),
        cells: vec![
            Cell::Link { href: format!("/admin/customers/{}", c.id), text: name },
            Cell::Text(c.email.unwrap_or_default()),
            Cell::Text(c.phone.unwrap_or_default()),
            Cell::Text(role_label(c.role).to_owned()),
            Cell::Badge { text: if c.is_active { "Active".into() } else { "Deactivated".into() }, good: c.is_active },
            Cell::Text(c.orders.to_string()),
            Cell::Muted(c.last_active_at.map_or_else(|| "Never".to_owned(), day)),
            Cell::Muted(day(c.joined_at)),
        ],
    }
}

fn options(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect()
}

#[component]
pub fn CustomersPage() -> impl IntoView {
    let list_query = use_list_query(&["role", "state"]);
    let data = Resource::new(move || list_query.get(), list_customers);
    view! {
        <PageTitle text="Customers — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|result| match result {
                Ok(page) => {
                    let filters = vec![
                        FilterSelect { key: "role", label: "Role", options: options(&[("", "Any role"), ("customer", "Customers"), ("editor", "Editors"), ("admin", "Admins")]) },
                        FilterSelect { key: "state", label: "State", options: options(&[("", "Active and deactivated"), ("active", "Active"), ("deactivated", "Deactivated")]) },
                    ];
                    let columns = vec![
                        Column::new("name", "Name").sortable(),
                        Column::new("email", "Email"),
                        Column::new("phone", "Phone"),
                        Column::new("role", "Role"),
                        Column::new("state", "State"),
                        Column::new("orders", "Orders").sortable().numeric(),
                        Column::new("last_active", "Last active").sortable(),
                        Column::new("joined", "Joined").sortable(),
                    ];
                    view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Customers"</h1>
                        <p class="mt-1 text-sm text-stone-600">"Every account: shoppers and staff. Open one to see its orders, sessions and devices."</p>
                        <DataTable path="/admin/customers" query=list_query.get() columns rows=page.rows.into_iter().map(customer_row).collect() total=page.total
                            search_label="Search by name, email or phone" filters
                            empty="No accounts match. Clear the search or filters."/>
                    }.into_any()
                }
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
pub fn CustomerPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let id = move || params.with(|p| p.get("id")).and_then(|id| id.parse::<Uuid>().ok());
    // The outcome of a plain post is taken in the same load as the page's data.
    let data = Resource::new(id, |id| async move {
        let detail = match id {
            Some(id) => get_customer(Some(id)).await,
            None => Err(AppError::NotFound("That account".into())),
        };
        (detail, take_form_outcome().await.ok().flatten())
    });
    let confirming = move || query.with(|q| q.get("confirm")).as_deref() == Some("deactivate");
    let deactivated = move || query.with(|q| q.get("deactivated")).is_some();
    view! {
        <Suspense fallback=|| view! { <p class="text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(detail) => view! { <Customer detail flash confirming=confirming() deactivated=deactivated()/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

const SECTION: &str = "rounded-xl border border-stone-200 bg-white p-6";
const TH: &str = "px-3 py-2 text-left font-semibold";
const TD: &str = "px-3 py-2 align-top";
const SMALL_BUTTON: &str = "rounded border border-stone-300 bg-white px-2.5 py-1 text-xs font-semibold text-stone-900 hover:bg-stone-100 focus-visible:outline-2 focus-visible:outline-emerald-700";
const DANGER_BUTTON: &str = "rounded-full bg-red-700 px-5 py-2.5 text-sm font-semibold text-white hover:bg-red-800 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-red-700";

fn error_of(flash: &Option<FormFlash>, form: &str) -> Signal<Option<AppError>> {
    let error = FormFlash::of(flash, form).and_then(|f| f.error);
    Signal::derive(move || error.clone())
}

/// "Verified" or "Not verified" beside an email or phone.
fn verified_mark(verified: bool) -> impl IntoView {
    let (text, tone) = if verified { ("✓ Verified", "bg-emerald-100 text-emerald-900") } else { ("Not verified", "bg-amber-100 text-amber-900") };
    view! { <span class=format!("ml-2 inline-flex rounded-full px-2 py-0.5 text-xs font-semibold {tone}")>{text}</span> }
}

#[component]
fn Customer(detail: CustomerDetail, flash: Option<FormFlash>, confirming: bool, deactivated: bool) -> impl IntoView {
    let p = detail.profile.clone();
    let id = p.id.to_string();
    let name = display_name(&p.name, p.email.as_deref(), p.phone.as_deref());
    let notice = flash.as_ref().and_then(|f| f.notice.clone()).or_else(|| deactivated.then(|| "Account deactivated. They were signed out everywhere.".to_owned()));
    let notice = Signal::derive(move || notice.clone());
    let role_error = error_of(&flash, "customer-role");
    let role_field = FormFlash::of(&flash, "customer-role").and_then(|f| f.error).and_then(|e| e.field_error("role"));
    let state_error = error_of(&flash, "customer-state");
    let (state_text, state_tone) = if p.is_active { ("Active", "bg-emerald-100 text-emerald-900") } else { ("Deactivated", "bg-red-100 text-red-900") };
    let facts: Vec<(&str, String)> = vec![
        ("First seen", maybe_moment(p.first_seen_at)),
        ("Last sign-in", maybe_moment(p.last_login_at)),
        ("Last active", maybe_moment(p.last_active_at)),
        ("Sign-ins", p.total_logins.to_string()),
        ("Devices used", p.devices_used.to_string()),
    ];
    view! {
        <PageTitle text=format!("{name} — Customers — Larkspur staff")/>
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <ol class="flex flex-wrap gap-2"><li><a href="/admin/customers" class=LINK>"Customers"</a></li><li aria-hidden="true">"/"</li><li aria-current="page">{name.clone()}</li></ol>
        </nav>
        <div class="mt-2 flex flex-wrap items-center justify-between gap-3">
            <div class="flex flex-wrap items-center gap-3">
                <h1 class="text-2xl font-semibold text-stone-900">{name.clone()}</h1>
                <span class="inline-flex rounded-full bg-stone-200 px-2.5 py-0.5 text-xs font-semibold text-stone-800">{role_label(p.role)}</span>
                <span class=format!("inline-flex rounded-full px-2.5 py-0.5 text-xs font-semibold {state_tone}") data-testid="account-state">{state_text}</span>
            </div>
            <a href=format!("/admin/audit?kind=customer&entity={id}") class=format!("{LINK} text-sm")>"History"</a>
        </div>
        <div class="mt-4 space-y-2">
            <Notice message=notice/>
            <FormError error=role_error/>
            <FormError error=state_error/>
            <FormError error=error_of(&flash, "customer-sessions")/>
            <FormError error=error_of(&flash, "customer-device")/>
        </div>

        <div class="mt-6 grid gap-6 md:grid-cols-2 xl:grid-cols-3">
            <section class=SECTION aria-labelledby="profile-heading">
                <h2 id="profile-heading" class="text-lg font-semibold">"Profile"</h2>
                <dl class="mt-3 space-y-2 text-sm">
                    <div><dt class="text-stone-500">"Name"</dt><dd class="font-medium text-stone-900">{if p.name.trim().is_empty() { "Not given".to_owned() } else { p.name.clone() }}</dd></div>
                    <div><dt class="text-stone-500">"Email"</dt><dd class="break-all text-stone-900">{match p.email.clone() {
                        Some(email) => view! { <a href=format!("mailto:{email}") class=LINK>{email.clone()}</a>{verified_mark(p.email_verified)} }.into_any(),
                        None => view! { <span class="text-stone-500">"None"</span> }.into_any(),
                    }}</dd></div>
                    <div><dt class="text-stone-500">"Phone"</dt><dd class="text-stone-900">{match p.phone.clone() {
                        Some(phone) => view! { <span class="tabular-nums">{phone}</span>{verified_mark(p.phone_verified)} }.into_any(),
                        None => view! { <span class="text-stone-500">"None"</span> }.into_any(),
                    }}</dd></div>
                    <div><dt class="text-stone-500">"Role"</dt><dd class="text-stone-900">{role_label(p.role)}</dd></div>
                    <div><dt class="text-stone-500">"State"</dt><dd class="text-stone-900">{if p.is_active { "Active: can sign in" } else { "Deactivated: cannot sign in" }}</dd></div>
                    <div><dt class="text-stone-500">"Joined"</dt><dd class="text-stone-900">{moment(p.joined_at)}</dd></div>
                </dl>
            </section>

            <section class=SECTION aria-labelledby="activity-heading">
                <h2 id="activity-heading" class="text-lg font-semibold">"Activity"</h2>
                <dl class="mt-3 space-y-2 text-sm">
                    {facts.into_iter().map(|(label, value)| view! {
                        <div><dt class="text-stone-500">{label}</dt><dd class="tabular-nums text-stone-900">{value}</dd></div>
                    }).collect_view()}
                </dl>
            </section>

            <section class=format!("{SECTION} md:col-span-2 xl:col-span-1") aria-labelledby="access-heading">
                <h2 id="access-heading" class="text-lg font-semibold">"Access"</h2>
                {if detail.is_self {
                    view! { <p class="mt-3 text-sm text-stone-600">"This is your own account: another admin can change its role or deactivate it."</p> }.into_any()
                } else {
                    view! {
                        <form method="post" action=ChangeCustomerRole::url() class="mt-3 space-y-2">
                            <input type="hidden" name="id" value=id.clone()/>
                            <label for="customer-role" class="block text-sm font-medium text-stone-800">"Role"</label>
                            <p id="customer-role-hint" class="text-xs text-stone-500">"Changing the role signs them out on every device."</p>
                            <div class="flex flex-wrap items-center gap-2">
                                <select id="customer-role" name="role" aria-describedby="customer-role-hint" aria-invalid=role_field.is_some().then_some("true")
                                    class="rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm aria-[invalid=true]:border-red-600">
                                    {[Role::Customer, Role::Editor, Role::Admin].into_iter().map(|r| view! {
                                        <option value=r.as_str() selected=r == p.role>{role_label(r)}</option>
                                    }).collect_view()}
                                </select>
                                <button type="submit" class=BUTTON_SECONDARY>"Change role"</button>
                            </div>
                            {role_field.map(|m| view! { <p class="text-sm text-red-700">{m}</p> })}
                        </form>
                        <div class="mt-6 border-t border-stone-100 pt-4">
                            {if !p.is_active {
                                view! {
                                    <p class="text-sm text-stone-700">"This account is deactivated: it cannot sign in by any method."</p>
                                    <form method="post" action=ReactivateCustomer::url() class="mt-3">
                                        <input type="hidden" name="id" value=id.clone()/>
                                        <button type="submit" class=BUTTON_PRIMARY>"Reactivate account"</button>
                                    </form>
                                }.into_any()
                            } else if confirming {
                                view! {
                                    <div class="rounded-lg border border-red-200 bg-red-50 p-4" data-testid="confirm-deactivate" role="group" aria-labelledby="deactivate-heading">
                                        <h3 id="deactivate-heading" class="font-semibold text-red-900">"Deactivate this account?"</h3>
                                        <p class="mt-1 text-sm text-red-900">"They are signed out on every device at once and cannot sign in again until an admin reactivates the account. Their orders stay."</p>
                                        <form method="post" action=DeactivateCustomer::url() class="mt-3 flex flex-wrap gap-3">
                                            <input type="hidden" name="id" value=id.clone()/>
                                            <input type="hidden" name="confirm" value="deactivate"/>
                                            <button type="submit" class=DANGER_BUTTON>"Deactivate account"</button>
                                            <a href=format!("/admin/customers/{id}") class=BUTTON_SECONDARY>"Keep it active"</a>
                                        </form>
                                    </div>
                                }.into_any()
                            } else {
                                view! { <a href=format!("/admin/customers/{id}?confirm=deactivate") class="text-sm font-medium text-red-800 underline">"Deactivate account…"</a> }.into_any()
                            }}
                        </div>
                    }.into_any()
                }}
            </section>
        </div>

        <Orders detail=detail.clone()/>
        <Addresses detail=detail.clone()/>
        <Sessions id=p.id sessions=detail.sessions.clone()/>
        <Devices id=p.id devices=detail.devices.clone()/>
        <History events=detail.events.clone() total=detail.events_total/>
    }
}

#[component]
fn Orders(detail: CustomerDetail) -> impl IntoView {
    let shown = detail.orders.len() as i64;
    let total = detail.orders_total;
    view! {
        <section class=format!("mt-6 {SECTION}") aria-labelledby="orders-heading">
            <h2 id="orders-heading" class="text-lg font-semibold">{format!("Orders ({total})")}</h2>
            {if detail.orders.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"No orders yet."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-3 overflow-x-auto">
                        <table class="min-w-full text-sm" data-testid="customer-orders">
                            <caption class="sr-only">"Orders, newest first"</caption>
                            <thead class="bg-stone-50 text-stone-700"><tr>
                                <th scope="col" class=TH>"Order"</th>
                                <th scope="col" class=TH>"Placed"</th>
                                <th scope="col" class=TH>"Status"</th>
                                <th scope="col" class=format!("{TH} text-right")>"Total"</th>
                            </tr></thead>
                            <tbody>
                                {detail.orders.into_iter().map(|o| view! {
                                    <tr class="border-t border-stone-100">
                                        <th scope="row" class=format!("{TD} text-left font-medium")><a href=format!("/admin/orders/{}", o.number) class=LINK>{format!("#{}", o.number)}</a></th>
                                        <td class=TD>{moment(o.placed_at)}</td>
                                        <td class=TD>{capitalised(&o.status)}</td>
                                        <td class=format!("{TD} text-right tabular-nums")>{Money::new(o.total_minor, &o.currency).to_string()}</td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                    {(total > shown).then(|| view! { <p class="mt-2 text-sm text-stone-600">{format!("Showing the latest {shown} of {total} orders.")}</p> })}
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Addresses(detail: CustomerDetail) -> impl IntoView {
    view! {
        <section class=format!("mt-6 {SECTION}") aria-labelledby="addresses-heading">
            <h2 id="addresses-heading" class="text-lg font-semibold">"Addresses"</h2>
            {if detail.addresses.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"No saved addresses."</p> }.into_any()
            } else {
                view! {
                    <ul class="mt-3 grid gap-4 md:grid-cols-2 xl:grid-cols-3">
                        {detail.addresses.into_iter().map(|a| view! {
                            <li class="rounded-lg border border-stone-200 p-4 text-sm">
                                <p class="flex flex-wrap items-center gap-2 font-medium text-stone-900">
                                    {a.recipient_name}
                                    {(!a.label.is_empty()).then(|| view! { <span class="text-stone-500">{format!("· {}", a.label)}</span> })}
                                    {a.is_default.then(|| view! { <span class="inline-flex rounded-full bg-emerald-100 px-2 py-0.5 text-xs font-semibold text-emerald-900">"Default"</span> })}
                                </p>
                                <address class="mt-1 not-italic text-stone-700">
                                    {a.lines.into_iter().map(|l| view! { <span class="block">{l}</span> }).collect_view()}
                                    <span class="block tabular-nums">{a.phone}</span>
                                </address>
                            </li>
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
        </section>
    }
}

fn device_text(device: &str, os: &str, browser: &str) -> String {
    let what = [browser, os].into_iter().filter(|s| !s.is_empty()).collect::<Vec<_>>().join(" on ");
    let kind = capitalised(device);
    if what.is_empty() {
        kind
    } else {
        format!("{what} ({})", kind.to_lowercase())
    }
}

#[component]
fn Sessions(id: Uuid, sessions: Vec<CustomerSession>) -> impl IntoView {
    let id = id.to_string();
    let count = sessions.len();
    view! {
        <section class=format!("mt-6 {SECTION}") aria-labelledby="sessions-heading">
            <div class="flex flex-wrap items-center justify-between gap-3">
                <h2 id="sessions-heading" class="text-lg font-semibold">{format!("Signed-in sessions ({count})")}</h2>
                {(count > 0).then(|| view! {
                    <form method="post" action=EndCustomerSessions::url()>
                        <input type="hidden" name="id" value=id.clone()/>
                        <button type="submit" class=BUTTON_SECONDARY>"End all sessions"</button>
                    </form>
                })}
            </div>
            {if sessions.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"Not signed in anywhere."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-3 overflow-x-auto">
                        <table class="min-w-full text-sm" data-testid="customer-sessions">
                            <caption class="sr-only">"Sessions that are signed in now, most recently active first"</caption>
                            <thead class="bg-stone-50 text-stone-700"><tr>
                                <th scope="col" class=TH>"Device and browser"</th>
                                <th scope="col" class=TH>"IP address"</th>
                                <th scope="col" class=TH>"Started"</th>
                                <th scope="col" class=TH>"Last active"</th>
                                <th scope="col" class=TH><span class="sr-only">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {sessions.into_iter().map(|s| {
                                    let what = device_text(&s.device, &s.os, &s.browser);
                                    view! {
                                        <tr class="border-t border-stone-100">
                                            <th scope="row" class=format!("{TD} text-left font-medium")>{what.clone()}</th>
                                            <td class=format!("{TD} tabular-nums")>{s.ip.unwrap_or_else(|| "Unknown".into())}</td>
                                            <td class=TD>{moment(s.signed_in_at)}</td>
                                            <td class=TD>{moment(s.last_active_at)}</td>
                                            <td class=format!("{TD} text-right")>
                                                <form method="post" action=EndCustomerSession::url()>
                                                    <input type="hidden" name="id" value=id.clone()/>
                                                    <input type="hidden" name="session" value=s.id.to_string()/>
                                                    <button type="submit" class=SMALL_BUTTON aria-label=format!("End session on {what}, started {}", moment(s.signed_in_at))>"End session"</button>
                                                </form>
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Devices(id: Uuid, devices: Vec<CustomerDevice>) -> impl IntoView {
    let id = id.to_string();
    view! {
        <section class=format!("mt-6 {SECTION}") aria-labelledby="devices-heading">
            <h2 id="devices-heading" class="text-lg font-semibold">"Devices"</h2>
            <p class="mt-1 text-sm text-stone-600">"Five wrong attempts in a row lock a device for five minutes. Unlock one when its owner is sure it is theirs."</p>
            {if devices.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"No devices recorded yet."</p> }.into_any()
            } else {
                view! {
                    <div class="mt-3 overflow-x-auto">
                        <table class="min-w-full text-sm" data-testid="customer-devices">
                            <caption class="sr-only">"Devices used for this account, most recent first"</caption>
                            <thead class="bg-stone-50 text-stone-700"><tr>
                                <th scope="col" class=TH>"Device and browser"</th>
                                <th scope="col" class=TH>"First used"</th>
                                <th scope="col" class=TH>"Last used"</th>
                                <th scope="col" class=TH>"Lock"</th>
                                <th scope="col" class=TH><span class="sr-only">"Actions"</span></th>
                            </tr></thead>
                            <tbody>
                                {devices.into_iter().map(|d| {
                                    let what = device_text(&d.device, &d.os, &d.browser);
                                    let status = match d.locked_until {
                                        Some(until) => view! { <span class="inline-flex rounded-full bg-red-100 px-2 py-0.5 text-xs font-semibold text-red-900" data-testid="device-locked">{format!("Locked until {}", until.format("%H:%M UTC"))}</span> }.into_any(),
                                        None => view! { <span class="text-stone-500">"Not locked"</span> }.into_any(),
                                    };
                                    view! {
                                        <tr class="border-t border-stone-100">
                                            <th scope="row" class=format!("{TD} text-left font-medium")>
                                                {what.clone()}
                                                {(!d.signed_in).then(|| view! { <span class="block text-xs font-normal text-stone-500">"Never signed in: tried this account"</span> })}
                                            </th>
                                            <td class=TD>{moment(d.first_used_at)}</td>
                                            <td class=TD>{moment(d.last_used_at)}</td>
                                            <td class=TD>{status}</td>
                                            <td class=format!("{TD} text-right")>
                                                {d.locked_until.is_some().then(|| view! {
                                                    <form method="post" action=UnlockCustomerDevice::url()>
                                                        <input type="hidden" name="id" value=id.clone()/>
                                                        <input type="hidden" name="device" value=d.id.to_string()/>
                                                        <button type="submit" class=SMALL_BUTTON aria-label=format!("Unlock {what}")>"Unlock"</button>
                                                    </form>
                                                })}
                                            </td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}

fn event_label(event: &str) -> String {
    match event {
        "sign_in" => "Sign-in".into(),
        "sign_up" => "Sign-up".into(),
        "sign_out" => "Sign-out".into(),
        "code_sent" => "Code sent".into(),
        "password_reset" => "Password reset".into(),
        "device_locked" => "Device locked".into(),
        "device_unlocked" => "Device unlocked".into(),
        "session_revoked" => "Session ended".into(),
        other => capitalised(other),
    }
}

fn method_label(method: &str) -> String {
    match method {
        "password" => "Password".into(),
        "email_code" => "Email code".into(),
        "phone_code" => "SMS code".into(),
        "magic_link" => "Magic link".into(),
        "google" => "Google".into(),
        "facebook" => "Facebook".into(),
        other => capitalised(other),
    }
}

/// `wrong_password` → `Wrong password`.
fn capitalised(text: &str) -> String {
    let text = text.replace('_', " ");
    let mut chars = text.chars();
    chars.next().map(|c| c.to_uppercase().chain(chars).collect()).unwrap_or_default()
}

#[component]
fn History(events: Vec<CustomerLoginEvent>, total: i64) -> impl IntoView {
    let shown = events.len() as i64;
    view! {
        <section class=format!("mt-6 {SECTION}") aria-labelledby="history-heading">
            <h2 id="history-heading" class="text-lg font-semibold">"Sign-in history"</h2>
            {if events.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"No sign-in activity recorded."</p> }.into_any()
            } else {
                view! {
                    {(total > shown).then(|| view! { <p class="mt-1 text-sm text-stone-600" data-testid="history-note">{format!("Showing the latest {shown} of {total} events.")}</p> })}
                    <div class="mt-3 overflow-x-auto">
                        <table class="min-w-full text-sm" data-testid="customer-history">
                            <caption class="sr-only">"Sign-in events, newest first"</caption>
                            <thead class="bg-stone-50 text-stone-700"><tr>
                                <th scope="col" class=TH>"When"</th>
                                <th scope="col" class=TH>"Event"</th>
                                <th scope="col" class=TH>"Method"</th>
                                <th scope="col" class=TH>"Result"</th>
                                <th scope="col" class=TH>"Reason"</th>
                                <th scope="col" class=TH>"IP address"</th>
                            </tr></thead>
                            <tbody>
                                {events.into_iter().map(|e| {
                                    let (result, tone) = if e.success { ("Success", "bg-emerald-100 text-emerald-900") } else { ("Failed", "bg-red-100 text-red-900") };
                                    view! {
                                        <tr class="border-t border-stone-100">
                                            <th scope="row" class=format!("{TD} text-left font-normal tabular-nums")>{moment(e.at)}</th>
                                            <td class=TD>{event_label(&e.event)}</td>
                                            <td class=TD>{e.method.as_deref().map(method_label).unwrap_or_default()}</td>
                                            <td class=TD><span class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-semibold {tone}")>{result}</span></td>
                                            <td class=format!("{TD} text-stone-600")>{e.reason.as_deref().map(capitalised).unwrap_or_default()}</td>
                                            <td class=format!("{TD} tabular-nums text-stone-600")>{e.ip.unwrap_or_default()}</td>
                                        </tr>
                                    }
                                }).collect_view()}
                            </tbody>
                        </table>
                    </div>
                }.into_any()
            }}
        </section>
    }
}
