//! The analytics page: how the store is doing over a period chosen from presets or two
//! dates (a GET form, so every view is a URL). Charts are SVG drawn on the server with the
//! same figures in a table under each; the figures come from `analytics::server`.
//! Admins and editors (`Permission::ViewAnalytics`).

use crate::{
    analytics::{change_percent, Bucket, Preset, Ranked, Report, Totals},
    error::AppError,
    money::Money,
    ui::{
        charts::{BarChart, Line, LineChart},
        PageTitle, StatusPage, BUTTON_SECONDARY,
    },
};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[server(endpoint = "admin/analytics/report")]
pub async fn get_report(#[server(default)] preset: String, #[server(default)] from: String, #[server(default)] to: String) -> Result<Report, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = super::access::staff(crate::auth::Permission::ViewAnalytics).await?;
        let today = state.clock.now().date_naive();
        let period = crate::analytics::Period::from_query(&preset, &from, &to, today).map_err(|(field, message)| AppError::field(field, message))?;
        Ok(crate::analytics::server::report(&state.db, period).await?)
    })
    .await
}

fn dollars(minor: i64) -> String {
    Money::new(minor, "USD").to_string()
}

fn axis_dollars(minor: f64) -> String {
    let units = minor / 100.0;
    if units >= 10_000.0 {
        format!("${:.0}k", units / 1000.0)
    } else {
        format!("${units:.0}")
    }
}

fn count(value: f64) -> String {
    format!("{value:.0}")
}

fn change(now: i64, before: i64) -> String {
    match change_percent(now, before) {
        Some(p) => format!("{p:+.1}% on the period before"),
        None => "nothing in the period before".to_owned(),
    }
}

const CARD: &str = "rounded-xl border border-stone-200 bg-white p-5 shadow-sm";
const TH: &str = "px-3 py-2 text-left font-medium text-stone-600";
const TD: &str = "px-3 py-2 tabular-nums";

#[component]
pub fn AnalyticsPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || query.with(|q| (q.get("preset").unwrap_or_default(), q.get("from").unwrap_or_default(), q.get("to").unwrap_or_default()));
    let report = Resource::new(params, |(preset, from, to)| get_report(preset, from, to));
    view! {
        <PageTitle text="Analytics — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || report.get().map(|result| {
                let (preset, from, to) = params();
                match result {
                    Ok(report) => view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Analytics"</h1>
                        <RangePicker preset from to error=None/>
                        <Figures report/>
                    }.into_any(),
                    Err(error @ AppError::Validation(_)) => view! {
                        <h1 class="text-2xl font-semibold text-stone-900">"Analytics"</h1>
                        <RangePicker preset from to error=Some(error)/>
                    }.into_any(),
                    Err(error) => view! { <StatusPage status=error.status()/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// Presets as links, and two dates in a GET form.
#[component]
fn RangePicker(preset: String, from: String, to: String, error: Option<AppError>) -> impl IntoView {
    let custom = !from.is_empty() || !to.is_empty();
    let active = if custom { None } else { Some(Preset::parse(&preset).unwrap_or(Preset::Last30)) };
    let from_error = error.as_ref().and_then(|e| e.field_error("from"));
    let to_error = error.as_ref().and_then(|e| e.field_error("to"));
    let input = "mt-1 block rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm aria-[invalid=true]:border-red-600";
    view! {
        <div class="mt-4 flex flex-wrap items-end gap-6">
            <nav aria-label="Periods">
                <ul class="flex flex-wrap gap-2">
                    {Preset::ALL.into_iter().map(|p| {
                        let current = active == Some(p);
                        view! {
                            <li><a href=format!("/admin/analytics?preset={}", p.key()) aria-current=current.then_some("page")
                                class=if current { "inline-block rounded-full bg-stone-900 px-3 py-1.5 text-sm font-medium text-white" } else { "inline-block rounded-full border border-stone-300 bg-white px-3 py-1.5 text-sm text-stone-800 hover:border-stone-900" }>
                                {p.label()}</a></li>
                        }
                    }).collect_view()}
                </ul>
            </nav>
            <form method="get" action="/admin/analytics" class="flex flex-wrap items-end gap-3" aria-label="Custom period">
                <div>
                    <label for="range-from" class="block text-sm font-medium text-stone-800">"From"</label>
                    <input id="range-from" type="date" name="from" value=from class=input aria-invalid=from_error.is_some().then_some("true") aria-describedby="range-from-error"/>
                    {from_error.map(|m| view! { <p id="range-from-error" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <div>
                    <label for="range-to" class="block text-sm font-medium text-stone-800">"To"</label>
                    <input id="range-to" type="date" name="to" value=to class=input aria-invalid=to_error.is_some().then_some("true") aria-describedby="range-to-error"/>
                    {to_error.map(|m| view! { <p id="range-to-error" class="mt-1 text-sm text-red-700">{m}</p> })}
                </div>
                <button type="submit" class=BUTTON_SECONDARY>"Show"</button>
            </form>
        </div>
    }
}

#[component]
fn Figures(report: Report) -> impl IntoView {
    let now = Totals::of(&report.sales);
    let before = Totals::of(&report.previous_sales);
    let step = match report.bucket {
        Bucket::Day => "day",
        Bucket::Week => "week",
    };
    let x_labels: Vec<String> = report.sales.iter().map(|p| p.start.format("%-d %b").to_string()).collect();
    let tip = |p: &crate::analytics::SalesPoint, what: String| format!("{}: {what}", p.start.format("%-d %b %Y"));
    let revenue_lines = vec![
        Line {
            name: "This period".into(),
            values: report.sales.iter().map(|p| p.revenue_minor as f64).collect(),
            tips: report.sales.iter().map(|p| tip(p, dollars(p.revenue_minor))).collect(),
            muted: false,
        },
        Line {
            name: "Period before".into(),
            values: report.previous_sales.iter().map(|p| p.revenue_minor as f64).collect(),
            tips: report.previous_sales.iter().map(|p| tip(p, format!("{} (period before)", dollars(p.revenue_minor)))).collect(),
            muted: true,
        },
    ];
    let order_lines = vec![
        Line {
            name: "This period".into(),
            values: report.sales.iter().map(|p| p.orders as f64).collect(),
            tips: report.sales.iter().map(|p| tip(p, format!("{} orders", p.orders))).collect(),
            muted: false,
        },
        Line {
            name: "Period before".into(),
            values: report.previous_sales.iter().map(|p| p.orders as f64).collect(),
            tips: report.previous_sales.iter().map(|p| tip(p, format!("{} orders (period before)", p.orders))).collect(),
            muted: true,
        },
    ];
    let average = now.average_minor();
    let tiles = vec![
        ("Sales", dollars(now.revenue_minor), change(now.revenue_minor, before.revenue_minor)),
        ("Orders", now.orders.to_string(), change(now.orders, before.orders)),
        (
            "Average order value",
            average.map(dollars).unwrap_or_else(|| "—".into()),
            change(average.unwrap_or(0), before.average_minor().unwrap_or(0)),
        ),
        ("New customers", report.new_customers.to_string(), "first purchase in this period".into()),
        ("Returning customers", report.returning_customers.to_string(), "bought before too".into()),
    ];
    let sales_rows: Vec<(String, String, String, String, String)> = report
        .sales
        .iter()
        .zip(&report.previous_sales)
        .map(|(p, b)| (p.start.format("%-d %b %Y").to_string(), dollars(p.revenue_minor), p.orders.to_string(), dollars(b.revenue_minor), b.orders.to_string()))
        .collect();
    let first = report.funnel.first().map_or(0, |s| s.count);
    let funnel_rows: Vec<(String, f64)> = report.funnel.iter().map(|s| (s.label.clone(), s.count as f64)).collect();
    let journal = report.journal.clone();
    view! {
        <p class="mt-2 text-sm text-stone-600" data-testid="period">{format!("{} · per {step} · compared with {}", report.period.label(), report.period.previous().label())}</p>
        <dl class="mt-6 grid gap-4 sm:grid-cols-2 xl:grid-cols-5">
            {tiles.into_iter().map(|(label, value, note)| view! {
                <div class=CARD>
                    <dt class="text-sm text-stone-500">{label}</dt>
                    <dd class="mt-1 text-2xl font-semibold text-stone-900 tabular-nums">{value}</dd>
                    <dd class="mt-1 text-xs text-stone-500">{note}</dd>
                </div>
            }).collect_view()}
        </dl>

        <section class=format!("mt-8 {CARD}") aria-labelledby="sales-heading" data-testid="sales-chart">
            <h2 id="sales-heading" class="text-lg font-semibold">{format!("Sales per {step}")}</h2>
            <Legend/>
            <LineChart id="sales" label=format!("Sales per {step}, this period and the period before") x_labels=x_labels.clone() lines=revenue_lines format=axis_dollars/>
            <h2 class="mt-6 text-lg font-semibold">{format!("Orders per {step}")}</h2>
            <LineChart id="orders" label=format!("Orders per {step}, this period and the period before") x_labels lines=order_lines format=count/>
            <details class="mt-4 text-sm">
                <summary class="cursor-pointer font-medium text-emerald-800">"Sales and orders as a table"</summary>
                // A scrolling box is reachable by keyboard (tab to it, then arrow keys).
                <div class="mt-2 max-h-96 overflow-auto focus-visible:outline-2 focus-visible:outline-emerald-700" tabindex="0" role="region" aria-label=format!("Sales and orders per {step}, table")>
                    <table class="w-full">
                        <caption class="sr-only">{format!("Sales and orders per {step}")}</caption>
                        <thead><tr>
                            <th scope="col" class=TH>{format!("{step} from")}</th><th scope="col" class=TH>"Sales"</th><th scope="col" class=TH>"Orders"</th>
                            <th scope="col" class=TH>"Sales, period before"</th><th scope="col" class=TH>"Orders, period before"</th>
                        </tr></thead>
                        <tbody>
                            {sales_rows.into_iter().map(|(d, r, o, pr, po)| view! {
                                <tr class="border-t border-stone-100"><th scope="row" class="px-3 py-2 text-left font-normal">{d}</th><td class=TD>{r}</td><td class=TD>{o}</td><td class=TD>{pr}</td><td class=TD>{po}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </section>

        <div class="mt-8 grid gap-8 xl:grid-cols-2">
            <RankedCard id="top-products" title="Top products" rows=report.top_products/>
            <RankedCard id="top-categories" title="Top categories" rows=report.top_categories/>
        </div>

        <section class=format!("mt-8 {CARD}") aria-labelledby="funnel-heading" data-testid="funnel">
            <h2 id="funnel-heading" class="text-lg font-semibold">"Shopping funnel"</h2>
            <p class="mt-1 text-sm text-stone-600">"Visitors who allowed analytics, each counted once a day at each step."</p>
            <BarChart id="funnel" label="Shopping funnel: visits, product views, carts, checkouts and orders" rows=funnel_rows format=count/>
            <table class="mt-4 w-full text-sm">
                <caption class="sr-only">"Shopping funnel"</caption>
                <thead><tr><th scope="col" class=TH>"Step"</th><th scope="col" class=TH>"Visitors"</th><th scope="col" class=TH>"Of visits"</th></tr></thead>
                <tbody>
                    {report.funnel.into_iter().map(|s| {
                        let share = if first > 0 { format!("{:.1}%", s.count as f64 * 100.0 / first as f64) } else { "—".into() };
                        view! { <tr class="border-t border-stone-100"><th scope="row" class="px-3 py-2 text-left font-normal">{s.label}</th><td class=TD>{s.count}</td><td class=TD>{share}</td></tr> }
                    }).collect_view()}
                </tbody>
            </table>
        </section>

        <div class="mt-8 grid gap-8 xl:grid-cols-2">
            <section class=CARD aria-labelledby="journal-heading">
                <h2 id="journal-heading" class="text-lg font-semibold">"Journal"</h2>
                <dl class="mt-3 grid grid-cols-2 gap-4 text-sm">
                    <div><dt class="text-stone-500">"Article views"</dt><dd class="text-xl font-semibold tabular-nums">{journal.views}</dd></div>
                    <div><dt class="text-stone-500">"Likes"</dt><dd class="text-xl font-semibold tabular-nums">{journal.likes}</dd></div>
                    <div><dt class="text-stone-500">"Readers"</dt><dd class="text-xl font-semibold tabular-nums">{journal.reads}</dd></div>
                    <div><dt class="text-stone-500">"Average read depth"</dt>
                        <dd class="text-xl font-semibold tabular-nums">{journal.average_depth.map_or_else(|| "—".to_owned(), |d| format!("{d:.0}%"))}</dd></div>
                </dl>
            </section>
            <section class=CARD aria-labelledby="banners-heading">
                <h2 id="banners-heading" class="text-lg font-semibold">"Home banners"</h2>
                <table class="mt-3 w-full text-sm">
                    <thead><tr><th scope="col" class=TH>"Banner"</th><th scope="col" class=TH>"Impressions"</th><th scope="col" class=TH>"Clicks"</th><th scope="col" class=TH>"Click-through"</th></tr></thead>
                    <tbody>
                        {report.banners.into_iter().map(|b| {
                            let ctr = b.click_through().map_or_else(|| "—".to_owned(), |c| format!("{c:.1}%"));
                            view! { <tr class="border-t border-stone-100"><th scope="row" class="px-3 py-2 text-left font-normal">{b.title}</th><td class=TD>{b.impressions}</td><td class=TD>{b.clicks}</td><td class=TD>{ctr}</td></tr> }
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        </div>

        <section class=format!("mt-8 {CARD}") aria-labelledby="sign-ins-heading">
            <h2 id="sign-ins-heading" class="text-lg font-semibold">"Sign-ins"</h2>
            {if report.sign_ins.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"No sign-ins in this period."</p> }.into_any()
            } else {
                view! {
                    <table class="mt-3 w-full text-sm">
                        <thead><tr><th scope="col" class=TH>"Method"</th><th scope="col" class=TH>"Succeeded"</th><th scope="col" class=TH>"Failed"</th></tr></thead>
                        <tbody>
                            {report.sign_ins.into_iter().map(|s| view! {
                                <tr class="border-t border-stone-100"><th scope="row" class="px-3 py-2 text-left font-normal">{s.method}</th><td class=TD>{s.succeeded}</td><td class=TD>{s.failed}</td></tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}

#[component]
fn Legend() -> impl IntoView {
    view! {
        <p class="mt-1 flex gap-4 text-xs text-stone-600" aria-hidden="true">
            <span class="flex items-center gap-1"><span class="inline-block h-0.5 w-5 bg-emerald-700"></span>"This period"</span>
            <span class="flex items-center gap-1"><span class="inline-block h-0.5 w-5 border-t-2 border-dashed border-stone-400"></span>"Period before"</span>
        </p>
    }
}

#[component]
fn RankedCard(id: &'static str, title: &'static str, rows: Vec<Ranked>) -> impl IntoView {
    let bars: Vec<(String, f64)> = rows.iter().map(|r| (r.name.clone(), r.revenue_minor as f64)).collect();
    let heading = format!("{id}-heading");
    let labelled_by = heading.clone();
    view! {
        <section class=CARD aria-labelledby=labelled_by data-testid=id>
            <h2 id=heading class="text-lg font-semibold">{title}</h2>
            {if rows.is_empty() {
                view! { <p class="mt-2 text-sm text-stone-600">"Nothing sold in this period."</p> }.into_any()
            } else {
                view! {
                    <BarChart id=id label=format!("{title} by sales") rows=bars format=axis_dollars/>
                    <details class="mt-3 text-sm">
                        <summary class="cursor-pointer font-medium text-emerald-800">{format!("{title} as a table")}</summary>
                        <table class="mt-2 w-full">
                            <thead><tr><th scope="col" class=TH>"Name"</th><th scope="col" class=TH>"Units"</th><th scope="col" class=TH>"Sales"</th></tr></thead>
                            <tbody>
                                {rows.into_iter().map(|r| view! {
                                    <tr class="border-t border-stone-100"><th scope="row" class="px-3 py-2 text-left font-normal">{r.name}</th><td class=TD>{r.units}</td><td class=TD>{dollars(r.revenue_minor)}</td></tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    </details>
                }.into_any()
            }}
        </section>
    }
}
