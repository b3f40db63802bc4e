//! Staff pages for the places checkout offers: countries (`/admin/places`), a country's
//! states (`/admin/places/<country>`) and a state's cities (`…/<country>/<state>`). Each
//! level: a table with on/off buttons, and a form that adds a place or renames the one
//! picked (`?edit=<id>`). The rules live in `checkout::places`.
// A form's server function takes one argument per field, and the `#[server]` macro does not
// pass an item-level allow on to the browser side.
#![allow(clippy::too_many_arguments)]

use super::table::{use_list_query, Cell, Column, DataTable, FilterSelect, ListQuery, Row, RowAction};
use crate::{
    checkout::places::{PlaceLevel, PlaceList},
    error::AppError,
    forms::{take_form_outcome, FormFlash},
    ui::{Field, FormError, Notice, PageTitle, StatusPage, BUTTON_PRIMARY, BUTTON_SECONDARY, LINK},
};
use leptos::{prelude::*, server_fn::ServerFn};
use leptos_router::hooks::{use_params_map, use_query_map};
use uuid::Uuid;

#[cfg(feature = "ssr")]
fn level(value: &str) -> Result<PlaceLevel, AppError> {
    PlaceLevel::parse(value).ok_or_else(|| AppError::BadRequest("Choose a country, state or city.".into()))
}

#[server(endpoint = "admin/places/list")]
pub async fn list_places(#[server(default)] level: String, #[server(default)] parent: Option<Uuid>, #[server(default)] query: ListQuery) -> Result<PlaceList, AppError> {
    crate::server::ctx::respond(async move {
        let (state, _) = super::access::catalog_staff().await?;
        crate::checkout::places::server::list(&state.db, self::level(&level)?, parent, &query).await
    })
    .await
}

/// Adds a place under `parent` (no `id`) or renames one.
#[server(endpoint = "admin/places/save")]
pub async fn save_place(
    #[server(default)] level: String,
    #[server(default)] parent: Option<Uuid>,
    #[server(default)] id: Option<Uuid>,
    #[server(default)] name: String,
    #[server(default)] code: String,
) -> Result<Uuid, AppError> {
    use crate::{
        checkout::places::server::{save, PlaceInput},
        forms::server::{finish, Then},
    };
    let typed = [("name", name.clone()), ("code", code.clone())];
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let input = PlaceInput { level: self::level(&level)?, parent, id, name: &name, code: &code };
        let id = save(&state.db, &actor, input, state.clock.now()).await?;
        state.catalog.changed();
        Ok(id)
    })
    .await;
    let values: Vec<(&str, &str)> = typed.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // Back to the list the form is on, without `?edit=`.
    finish("place", &values, None, result, |_| Then::Stay { step: None, notice: Some("Saved.".into()) }).await
}

/// Switches a place on or off for checkout.
#[server(endpoint = "admin/places/toggle")]
pub async fn toggle_place(#[server(default)] level: String, #[server(default)] id: Option<Uuid>) -> Result<bool, AppError> {
    use crate::forms::server::{finish, Then};
    let result = crate::server::ctx::respond(async move {
        let (state, actor) = super::access::catalog_staff().await?;
        let id = id.ok_or_else(|| AppError::NotFound("That place".into()))?;
        let active = crate::checkout::places::server::toggle(&state.db, &actor, self::level(&level)?, id, state.clock.now()).await?;
        state.catalog.changed();
        Ok(active)
    })
    .await;
    finish("place-list", &[], None, result, |_| Then::Return).await
}

#[component]
pub fn PlacesPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let list_query = use_list_query(&["status"]);
    // The level follows the path: no id, a country's, or a country's and a state's.
    let place = move || {
        params.with(|p| {
            let country = p.get("country").and_then(|c| c.parse::<Uuid>().ok());
            let state = p.get("state").and_then(|s| s.parse::<Uuid>().ok());
            match (p.get("country").is_some(), country, p.get("state").is_some(), state) {
                (false, _, _, _) => Some((PlaceLevel::Country, None)),
                (true, Some(c), false, _) => Some((PlaceLevel::State, Some(c))),
                (true, Some(_), true, Some(s)) => Some((PlaceLevel::City, Some(s))),
                _ => None,
            }
        })
    };
    let data = Resource::new(move || (place(), list_query.get()), |(place, q)| async move {
        let list = match place {
            Some((level, parent)) => list_places(level.as_str().to_owned(), parent, q).await,
            // Not an address of a place; the access check still answers first, so the
            // status says nothing to someone who may not see places.
            None => list_places(PlaceLevel::Country.as_str().to_owned(), None, q).await.and_then(|_| Err(AppError::NotFound("That place".into()))),
        };
        (list, take_form_outcome().await.ok().flatten())
    });
    let edit = move || query.with(|q| q.get("edit")).and_then(|id| id.parse::<Uuid>().ok());
    view! {
        <PageTitle text="Places — Larkspur staff"/>
        <Suspense fallback=|| view! { <p class="mt-4 text-stone-500">"Loading…"</p> }>
            {move || data.get().map(|(result, flash)| match result {
                Ok(list) => view! { <PlaceLevelView list flash query=list_query.get() edit=edit() parent=place().and_then(|(_, p)| p)/> }.into_any(),
                Err(e) => view! { <StatusPage status=e.status()/> }.into_any(),
            })}
        </Suspense>
    }
}

#[component]
fn PlaceLevelView(list: PlaceList, flash: Option<FormFlash>, query: ListQuery, edit: Option<Uuid>, parent: Option<Uuid>) -> impl IntoView {
    let level = list.level;
    let path = match list.trail.as_slice() {
        [] => "/admin/places".to_owned(),
        [country] => format!("/admin/places/{}", country.0),
        [country, state, ..] => format!("/admin/places/{}/{}", country.0, state.0),
    };
    let (plural, one) = match level {
        PlaceLevel::Country => ("Countries", "country"),
        PlaceLevel::State => ("States", "state"),
        PlaceLevel::City => ("Cities", "city"),
    };
    let title = match list.trail.last() {
        Some((_, name)) => format!("{plural} of {name}"),
        None => plural.to_owned(),
    };
    let mine = FormFlash::of(&flash, "place");
    let editing = edit.and_then(|id| list.places.iter().find(|p| p.id == id).cloned());
    let name = RwSignal::new(mine.as_ref().filter(|f| f.error.is_some()).map(|f| f.value("name")).or_else(|| editing.as_ref().map(|p| p.name.clone())).unwrap_or_default());
    let code = RwSignal::new(mine.as_ref().filter(|f| f.error.is_some()).map(|f| f.value("code")).or_else(|| editing.as_ref().map(|p| p.code.clone())).unwrap_or_default());
    let error = mine.as_ref().and_then(|f| f.error.clone());
    let error = Signal::derive(move || error.clone());
    let notice = mine.as_ref().and_then(|f| f.notice.clone());
    let notice = Signal::derive(move || notice.clone());
    let list_error = FormFlash::of(&flash, "place-list").and_then(|f| f.error);
    let list_error = Signal::derive(move || list_error.clone());
    let base = query.href(&path, |_| {});
    let sep = if base.contains('?') { '&' } else { '?' };
    let rows = list
        .places
        .iter()
        .map(|p| {
            let id = p.id.to_string();
            let name_cell = match level {
                PlaceLevel::City => Cell::Text(p.name.clone()),
                _ => Cell::Link { href: format!("{path}/{id}"), text: p.name.clone() },
            };
            let toggle = RowAction::Post {
                action: TogglePlace::url().to_owned(),
                fields: vec![("level".into(), level.as_str().into()), ("id".into(), id.clone())],
                text: if p.is_active { "Switch off".into() } else { "Switch on".into() },
                label: format!("{} {}", if p.is_active { "Switch off" } else { "Switch on" }, p.name),
            };
            let rename = RowAction::Link { href: format!("{base}{sep}edit={id}"), text: "Rename".into(), label: format!("Rename {}", p.name) };
            let mut cells = vec![name_cell];
            if level != PlaceLevel::City {
                cells.push(Cell::Muted(p.code.clone()));
            }
            cells.push(Cell::Badge { text: if p.is_active { "Offered".into() } else { "Off".into() }, good: p.is_active });
            if level != PlaceLevel::City {
                cells.push(Cell::Text(p.children.to_string()));
            }
            cells.push(Cell::Actions(vec![toggle, rename]));
            Row { id, cells }
        })
        .collect();
    let mut columns = vec![Column::new("name", "Name")];
    if level != PlaceLevel::City {
        columns.push(Column::new("code", "Code"));
    }
    columns.push(Column::new("status", "At checkout"));
    match level {
        PlaceLevel::Country => columns.push(Column::new("children", "States").numeric()),
        PlaceLevel::State => columns.push(Column::new("children", "Cities").numeric()),
        PlaceLevel::City => {}
    }
    columns.push(Column::new("actions", "Actions"));
    let filters = vec![FilterSelect {
        key: "status",
        label: "At checkout",
        options: [("", "All"), ("active", "Offered"), ("inactive", "Off")].into_iter().map(|(v, l)| (v.to_owned(), l.to_owned())).collect(),
    }];
    let code_field = match level {
        PlaceLevel::Country => Some(("Code", "Two letters (ISO 3166), like US.")),
        PlaceLevel::State => Some(("Code (optional)", "Like CA for California.")),
        PlaceLevel::City => None,
    };
    let heading = if editing.is_some() { format!("Rename {one}") } else { format!("Add a {one}") };
    view! {
        <nav aria-label="Breadcrumb" class="text-sm text-stone-600">
            <a href="/admin/places" class=LINK>"Countries"</a>
            {list.trail.iter().enumerate().map(|(i, (id, name))| {
                let href = if i == 0 { format!("/admin/places/{id}") } else { format!("/admin/places/{}/{id}", list.trail[0].0) };
                view! { " / "<a href=href class=LINK>{name.clone()}</a> }
            }).collect_view()}
        </nav>
        <h1 class="mt-2 text-2xl font-semibold text-stone-900">{title}</h1>
        <p class="mt-1 text-sm text-stone-600">"Checkout offers only places that are switched on, and only under a country and state that are on too. Saved addresses keep their city."</p>
        <div class="mt-4 space-y-2"><FormError error=list_error/><FormError error/><Notice message=notice/></div>
        <section class="mt-6 max-w-xl rounded-xl border border-stone-200 bg-white p-6" aria-labelledby="place-form-heading">
            <h2 id="place-form-heading" class="text-lg font-semibold">{heading}</h2>
            <form method="post" action=SavePlace::url() class="mt-4 space-y-4">
                <input type="hidden" name="level" value=level.as_str()/>
                {parent.map(|p| view! { <input type="hidden" name="parent" value=p.to_string()/> })}
                {editing.as_ref().map(|p| view! { <input type="hidden" name="id" value=p.id.to_string()/> })}
                <Field label="Name" name="name" value=name error required=true/>
                {code_field.map(|(label, hint)| view! { <Field label=label name="code" value=code error hint=hint/> })}
                <div class="flex gap-3">
                    <button type="submit" class=BUTTON_PRIMARY>{if editing.is_some() { "Save name" } else { "Add" }}</button>
                    {editing.is_some().then(|| view! { <a href=path.clone() class=BUTTON_SECONDARY>"Cancel"</a> })}
                </div>
            </form>
        </section>
        <DataTable path=path.clone() query columns rows total=list.total search_label="Search by name" filters empty="Nothing here yet. Add one above."/>
    }
}
