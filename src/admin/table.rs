//! The one table every staff list uses: a search box and filters in a GET form (every state
//! of the list is a URL), sortable columns as links, pages, row selection with bulk actions
//! posted as one form, an empty state and CSV export of the current filter.

use crate::ui::ColourDot;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Rows on one page of a staff list.
pub const PAGE_SIZE: i64 = 25;

/// A staff list's state, as its URL holds it: `?q=…&sort=…&dir=desc&page=2&<filter>=…`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub sort: String,
    #[serde(default)]
    pub desc: bool,
    /// 1-based.
    #[serde(default)]
    pub page: i64,
    #[serde(default)]
    pub filters: BTreeMap<String, String>,
}

impl ListQuery {
    /// From the page's query pairs: the known keys, and every other non-empty one a filter.
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Self {
        let mut query = Self { page: 1, ..Self::default() };
        for (key, value) in pairs {
            let value = value.trim();
            match key {
                "q" => query.q = value.chars().take(200).collect(),
                "sort" => query.sort = value.to_owned(),
                "dir" => query.desc = value == "desc",
                "page" => query.page = value.parse().unwrap_or(1),
                _ if !value.is_empty() && key.len() <= 40 => {
                    query.filters.insert(key.to_owned(), value.chars().take(200).collect());
                }
                _ => {}
            }
        }
        query.page = query.page.clamp(1, 100_000);
        query
    }

    /// From a raw query string, as a download handler receives it.
    #[cfg(feature = "ssr")]
    pub fn from_raw(raw: Option<&str>) -> Self {
        let pairs: Vec<(String, String)> = url::form_urlencoded::parse(raw.unwrap_or_default().as_bytes()).into_owned().collect();
        Self::from_pairs(pairs.iter().map(|(k, v)| (k.as_str(), v.as_str())))
    }

    pub fn filter(&self, key: &str) -> Option<&str> {
        self.filters.get(key).map(String::as_str).filter(|v| !v.is_empty())
    }

    pub fn search(&self) -> Option<&str> {
        Some(self.q.as_str()).filter(|q| !q.is_empty())
    }

    pub fn offset(&self) -> i64 {
        (self.page.max(1) - 1) * PAGE_SIZE
    }

    /// The sort column when it is one of `allowed`, else `default`; and whether descending.
    pub fn sort_of<'a>(&self, allowed: &[&'a str], default: (&'a str, bool)) -> (&'a str, bool) {
        allowed.iter().find(|c| **c == self.sort).map_or(default, |c| (*c, self.desc))
    }

    /// The query string of this state (without `?`), leaving out defaults.
    pub fn to_query(&self) -> String {
        let mut pairs: Vec<(String, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q".into(), self.q.clone()));
        }
        for (k, v) in &self.filters {
            pairs.push((k.clone(), v.clone()));
        }
        if !self.sort.is_empty() {
            pairs.push(("sort".into(), self.sort.clone()));
            if self.desc {
                pairs.push(("dir".into(), "desc".into()));
            }
        }
        if self.page > 1 {
            pairs.push(("page".into(), self.page.to_string()));
        }
        pairs.iter().map(|(k, v)| format!("{k}={}", crate::text::url_encode(v))).collect::<Vec<_>>().join("&")
    }

    /// `path` with this state changed by `change`.
    pub fn href(&self, path: &str, change: impl FnOnce(&mut Self)) -> String {
        let mut next = self.clone();
        change(&mut next);
        let query = next.to_query();
        if query.is_empty() {
            path.to_owned()
        } else {
            format!("{path}?{query}")
        }
    }
}

/// The list state of the page's URL: the table's own keys and the list's `filter_keys`.
pub fn use_list_query(filter_keys: &'static [&'static str]) -> Memo<ListQuery> {
    let map = leptos_router::hooks::use_query_map();
    Memo::new(move |_| {
        map.with(|q| {
            let pairs: Vec<(&str, String)> =
                ["q", "sort", "dir", "page"].iter().chain(filter_keys).filter_map(|k| q.get(k).map(|v| (*k, v))).collect();
            ListQuery::from_pairs(pairs.iter().map(|(k, v)| (*k, v.as_str())))
        })
    })
}

/// One page of a list and how many rows match in all.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Paged<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub key: &'static str,
    pub label: &'static str,
    pub sortable: bool,
    /// Right-aligned (amounts, counts).
    pub numeric: bool,
}

impl Column {
    pub const fn new(key: &'static str, label: &'static str) -> Self {
        Self { key, label, sortable: false, numeric: false }
    }
    pub const fn sortable(self) -> Self {
        Self { sortable: true, ..self }
    }
    pub const fn numeric(self) -> Self {
        Self { numeric: true, ..self }
    }
}

/// What one cell shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cell {
    Text(String),
    Link { href: String, text: String },
    /// A status word; `good` colours it green, otherwise grey.
    Badge { text: String, good: bool },
    Muted(String),
    /// A colour swatch beside its name (`hex` is a checked `#rrggbb`).
    Swatch { hex: String, text: String },
    /// Small post forms (move up, activate, remove…) and links for one row.
    Actions(Vec<RowAction>),
}

/// One control in an actions cell: a post form with hidden fields, or a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RowAction {
    Post {
        /// The server function's URL.
        action: String,
        /// Hidden fields the form posts.
        fields: Vec<(String, String)>,
        /// What the button shows (`↑`), and what it says to a screen reader.
        text: String,
        label: String,
    },
    Link { href: String, text: String, label: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// What a selected row posts (`ids[n]`).
    pub id: String,
    pub cells: Vec<Cell>,
}

/// A filter offered as a select in the GET form.
#[derive(Debug, Clone)]
pub struct FilterSelect {
    pub key: &'static str,
    pub label: &'static str,
    /// (value, label); the first is usually "any" with an empty value.
    pub options: Vec<(String, String)>,
}

/// Bulk actions over the selected rows, posted as one form.
#[derive(Debug, Clone)]
pub struct Bulk {
    pub action_url: String,
    /// (value of `action`, label).
    pub actions: Vec<(String, String)>,
    /// Extra fields some actions need (e.g. a percentage), shown beside the action.
    pub extra: Option<(&'static str, &'static str)>,
}

const ROW_BUTTON: &str = "inline-flex min-w-8 items-center justify-center rounded border border-stone-300 bg-white px-2 py-1 text-xs font-medium text-stone-800 hover:bg-stone-100 focus-visible:outline-2 focus-visible:outline-emerald-700";

/// One control of an actions cell.
pub fn row_action(action: RowAction) -> AnyView {
    match action {
        RowAction::Post { action, fields, text, label } => view! {
            <form method="post" action=action class="inline">
                {fields.into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                <button type="submit" class=ROW_BUTTON aria-label=label.clone() title=label>{text}</button>
            </form>
        }
        .into_any(),
        RowAction::Link { href, text, label } => view! { <a href=href class=ROW_BUTTON aria-label=label.clone() title=label>{text}</a> }.into_any(),
    }
}

const INPUT: &str = "rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700";

#[component]
pub fn DataTable(
    /// The list page's path (`/admin/products`).
    #[prop(into)]
    path: String,
    query: ListQuery,
    columns: Vec<Column>,
    rows: Vec<Row>,
    total: i64,
    /// What the search box searches, for its label.
    search_label: &'static str,
    #[prop(optional)] filters: Vec<FilterSelect>,
    #[prop(optional)] bulk: Option<Bulk>,
    /// Where the CSV of the current filter is downloaded.
    #[prop(optional)]
    export: Option<String>,
    empty: &'static str,
) -> impl IntoView {
    let pages = (total + PAGE_SIZE - 1) / PAGE_SIZE;
    let first = if total == 0 { 0 } else { query.offset() + 1 };
    let last = (query.offset() + rows.len() as i64).min(total);
    let selectable = bulk.is_some();
    let bulk_form = format!("bulk-{}", path.trim_start_matches('/').replace('/', "-"));
    let path = path.as_str();
    let header = columns
        .iter()
        .map(|c| {
            let active = query.sort == c.key;
            let sort_label = match (active, query.desc) {
                (true, false) => Some("ascending"),
                (true, true) => Some("descending"),
                _ => None,
            };
            let aria = sort_label.unwrap_or("none");
            let align = if c.numeric { "text-right" } else { "text-left" };
            let label = c.label;
            let content = if c.sortable {
                let desc = active && !query.desc;
                let href = query.href(path, |q| {
                    q.sort = c.key.to_owned();
                    q.desc = desc;
                    q.page = 1;
                });
                let arrow = match sort_label {
                    Some("ascending") => " ↑",
                    Some(_) => " ↓",
                    None => "",
                };
                view! { <a href=href class="hover:underline focus-visible:outline-2 focus-visible:outline-emerald-700">{label}{arrow}</a> }.into_any()
            } else {
                view! { <span>{label}</span> }.into_any()
            };
            view! { <th scope="col" aria-sort=c.sortable.then_some(aria) class=format!("px-3 py-2 font-semibold {align}")>{content}</th> }
        })
        .collect_view();
    let body = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let cells = row
                .cells
                .iter()
                .zip(columns.iter())
                .map(|(cell, column)| {
                    let align = if column.numeric { "text-right tabular-nums" } else { "text-left" };
                    let content = match cell.clone() {
                        Cell::Text(t) => view! { <span>{t}</span> }.into_any(),
                        Cell::Muted(t) => view! { <span class="text-stone-500">{t}</span> }.into_any(),
                        Cell::Link { href, text } => view! { <a href=href class="font-medium text-emerald-800 underline-offset-2 hover:underline focus-visible:outline-2 focus-visible:outline-emerald-700">{text}</a> }.into_any(),
                        Cell::Badge { text, good } => {
                            let tone = if good { "bg-emerald-100 text-emerald-900" } else { "bg-stone-200 text-stone-800" };
                            view! { <span class=format!("inline-flex rounded-full px-2 py-0.5 text-xs font-semibold {tone}")>{text}</span> }.into_any()
                        }
                        Cell::Swatch { hex, text } => view! {
                            <span class="inline-flex items-center gap-2">
                                <ColourDot hex class="inline-block size-5 rounded-full ring-1 ring-stone-300"/>
                                {text}
                            </span>
                        }.into_any(),
                        Cell::Actions(actions) => view! { <div class="flex flex-wrap items-center gap-1">{actions.into_iter().map(row_action).collect_view()}</div> }.into_any(),
                    };
                    view! { <td class=format!("px-3 py-2 {align}")>{content}</td> }
                })
                .collect_view();
            let label = row.cells.first().map(|c| match c {
                Cell::Text(t) | Cell::Muted(t) | Cell::Link { text: t, .. } | Cell::Badge { text: t, .. } | Cell::Swatch { text: t, .. } => t.clone(),
                Cell::Actions(_) => String::new(),
            });
            let select = selectable.then(|| {
                view! {
                    <td class="px-3 py-2">
                        <input type="checkbox" name=format!("ids[{i}]") value=row.id.clone() form=bulk_form.clone()
                            aria-label=format!("Select {}", label.unwrap_or_default()) class="size-4 rounded border-stone-400"/>
                    </td>
                }
            });
            view! { <tr class="border-t border-stone-100 hover:bg-stone-50" data-testid="table-row">{select}{cells}</tr> }
        })
        .collect_view();
    let filter_fields = filters
        .into_iter()
        .map(|f| {
            let current = query.filter(f.key).unwrap_or_default().to_owned();
            let id = format!("filter-{}", f.key);
            view! {
                <div class="flex flex-col gap-1">
                    <label for=id.clone() class="text-xs font-medium text-stone-600">{f.label}</label>
                    <select id=id name=f.key class=INPUT>
                        {f.options.into_iter().map(|(value, label)| {
                            let selected = value == current;
                            view! { <option value=value selected=selected>{label}</option> }
                        }).collect_view()}
                    </select>
                </div>
            }
        })
        .collect_view();
    let keep_sort = (!query.sort.is_empty()).then(|| {
        view! {
            <input type="hidden" name="sort" value=query.sort.clone()/>
            {query.desc.then(|| view! { <input type="hidden" name="dir" value="desc"/> })}
        }
    });
    let prev = (query.page > 1).then(|| query.href(path, |q| q.page -= 1));
    let next = (query.page < pages).then(|| query.href(path, |q| q.page += 1));
    let bulk_bar = bulk.map(|b| {
        view! {
            <form id=bulk_form.clone() method="post" action=b.action_url class="flex flex-wrap items-end gap-2" data-testid="bulk-form">
                <div class="flex flex-col gap-1">
                    <label for="bulk-action" class="text-xs font-medium text-stone-600">"With selected"</label>
                    <select id="bulk-action" name="action" class=INPUT>
                        {b.actions.into_iter().map(|(value, label)| view! { <option value=value>{label}</option> }).collect_view()}
                    </select>
                </div>
                {b.extra.map(|(name, label)| view! {
                    <div class="flex flex-col gap-1">
                        <label for=format!("bulk-{name}") class="text-xs font-medium text-stone-600">{label}</label>
                        <input id=format!("bulk-{name}") name=name inputmode="decimal" class=format!("{INPUT} w-28")/>
                    </div>
                })}
                <button type="submit" class="rounded-lg border border-stone-300 bg-white px-3 py-2 text-sm font-medium hover:bg-stone-100 focus-visible:outline-2 focus-visible:outline-emerald-700">"Apply"</button>
            </form>
        }
    });
    view! {
        <div class="mt-6 space-y-4">
            <form method="get" action=path.to_owned() class="flex flex-wrap items-end gap-3" role="search">
                <div class="flex flex-col gap-1">
                    <label for="table-search" class="text-xs font-medium text-stone-600">{search_label}</label>
                    <input id="table-search" type="search" name="q" value=query.q.clone() class=format!("{INPUT} w-64")/>
                </div>
                {filter_fields}
                {keep_sort}
                <button type="submit" class="rounded-lg bg-stone-900 px-4 py-2 text-sm font-semibold text-white hover:bg-stone-700 focus-visible:outline-2 focus-visible:outline-offset-2 focus-visible:outline-emerald-700">"Apply filters"</button>
                {export.map(|href| view! { <a href=href class="ml-auto text-sm font-medium text-emerald-800 underline underline-offset-2">"Export CSV"</a> })}
            </form>
            {bulk_bar}
            {if rows.is_empty() {
                view! { <p class="rounded-xl border border-dashed border-stone-300 bg-white p-8 text-center text-stone-600" data-testid="table-empty">{empty}</p> }.into_any()
            } else {
                view! {
                    <div class="overflow-x-auto rounded-xl border border-stone-200 bg-white">
                        <table class="min-w-full text-sm">
                            <thead class="bg-stone-50 text-stone-700">
                                <tr>
                                    {selectable.then(|| view! { <th scope="col" class="w-10 px-3 py-2"><span class="sr-only">"Select"</span></th> })}
                                    {header}
                                </tr>
                            </thead>
                            <tbody>{body}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            <nav aria-label="Pages" class="flex items-center justify-between text-sm text-stone-600">
                <p data-testid="table-count">{format!("{first}–{last} of {total}")}</p>
                <div class="flex gap-2">
                    {prev.map(|href| view! { <a href=href rel="prev" class="rounded border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-100">"Previous"</a> })}
                    {next.map(|href| view! { <a href=href rel="next" class="rounded border border-stone-300 bg-white px-3 py-1.5 hover:bg-stone-100">"Next"</a> })}
                </div>
            </nav>
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_round_trips_and_unknown_keys_are_filters() {
        let query = ListQuery::from_pairs([("q", " linen "), ("status", "active"), ("sort", "price"), ("dir", "desc"), ("page", "3"), ("empty", "")]);
        assert_eq!(query.q, "linen");
        assert_eq!(query.filter("status"), Some("active"));
        assert_eq!(query.filter("empty"), None);
        assert_eq!(query.offset(), 2 * PAGE_SIZE);
        assert_eq!(query.to_query(), "q=linen&status=active&sort=price&dir=desc&page=3");
        assert_eq!(query.href("/admin/products", |q| q.page = 1), "/admin/products?q=linen&status=active&sort=price&dir=desc");
        assert_eq!(ListQuery::from_pairs([("page", "-4")]).page, 1);
        assert_eq!(ListQuery::from_pairs([]).href("/admin/x", |_| {}), "/admin/x");
    }

    #[test]
    fn only_known_columns_sort() {
        let query = ListQuery::from_pairs([("sort", "price; drop table products"), ("dir", "desc")]);
        assert_eq!(query.sort_of(&["name", "price"], ("updated", true)), ("updated", true));
        let query = ListQuery::from_pairs([("sort", "price")]);
        assert_eq!(query.sort_of(&["name", "price"], ("updated", true)), ("price", false));
    }
}
