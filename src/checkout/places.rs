//! The places checkout offers (countries → states → cities) as staff keep them: add,
//! rename, switch on and off. Checkout reads only active places whose parents are active
//! (`checkout::server::{countries, states, cities}`), so switching one off takes it and
//! everything under it out of checkout at once; saved addresses keep their city.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// A level of the place tree.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PlaceLevel {
    Country,
    State,
    City,
}

impl PlaceLevel {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "country" => Some(Self::Country),
            "state" => Some(Self::State),
            "city" => Some(Self::City),
            _ => None,
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Country => "country",
            Self::State => "state",
            Self::City => "city",
        }
    }
}

/// One place in a staff list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StaffPlace {
    pub id: Uuid,
    pub name: String,
    /// ISO code of a country, optional code of a state; empty for a city.
    pub code: String,
    pub is_active: bool,
    /// States of a country, cities of a state.
    pub children: i64,
}

/// A list of places at one level, with the places above it (for breadcrumbs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PlaceList {
    pub level: PlaceLevel,
    /// (id, name) of the country, then the state, this list lies in.
    pub trail: Vec<(Uuid, String)>,
    pub places: Vec<StaffPlace>,
    pub total: i64,
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::{PlaceLevel, PlaceList, StaffPlace};
    use crate::{
        admin::table::{ListQuery, PAGE_SIZE},
        audit::server::{self as audit, Actor, Change},
        error::{AppError, FieldErrors},
    };
    use chrono::{DateTime, Utc};
    use sqlx::{PgConnection, PgPool};
    use uuid::Uuid;

    /// The places at `level` under `parent` (none for countries), filtered by `query`.
    pub async fn list(db: &PgPool, level: PlaceLevel, parent: Option<Uuid>, query: &ListQuery) -> Result<PlaceList, AppError> {
        let trail: Vec<(Uuid, String)> = match (level, parent) {
            (PlaceLevel::Country, _) => Vec::new(),
            (PlaceLevel::State, Some(country)) => sqlx::query_as("select id, name from countries where id = $1").bind(country).fetch_all(db).await?,
            (PlaceLevel::City, Some(state)) => {
                sqlx::query_as(
                    "select id, name from (select c.id, c.name, 0 as n from states s join countries c on c.id = s.country_id where s.id = $1
                     union all select id, name, 1 from states where id = $1) t order by n",
                )
                .bind(state)
                .fetch_all(db)
                .await?
            }
            _ => Vec::new(),
        };
        let expected = match level {
            PlaceLevel::Country => 0,
            PlaceLevel::State => 1,
            PlaceLevel::City => 2,
        };
        if trail.len() != expected {
            return Err(AppError::NotFound("That place".into()));
        }
        let sql = match level {
            PlaceLevel::Country => {
                "select id, name, code::text, is_active, (select count(*) from states s where s.country_id = p.id) from countries p
                 order by sort_order, name"
            }
            PlaceLevel::State => {
                "select id, name, code, is_active, (select count(*) from cities c where c.state_id = p.id) from states p where country_id = $1 order by name"
            }
            PlaceLevel::City => "select id, name, '', is_active, 0::bigint from cities p where state_id = $1 order by name",
        };
        let mut rows = sqlx::query_as::<_, (Uuid, String, String, bool, i64)>(sql);
        if level != PlaceLevel::Country {
            rows = rows.bind(parent);
        }
        let rows = rows.fetch_all(db).await?;
        let q = query.search().map(str::to_lowercase);
        let places: Vec<StaffPlace> = rows
            .into_iter()
            .map(|(id, name, code, is_active, children)| StaffPlace { id, name, code, is_active, children })
            .filter(|p| q.as_ref().is_none_or(|q| p.name.to_lowercase().contains(q) || p.code.to_lowercase() == *q))
            .filter(|p| match query.filter("status") {
                Some("active") => p.is_active,
                Some("inactive") => !p.is_active,
                _ => true,
            })
            .collect();
        let total = places.len() as i64;
        let places = places.into_iter().skip(query.offset() as usize).take(PAGE_SIZE as usize).collect();
        Ok(PlaceList { level, trail, places, total })
    }

    fn table(level: PlaceLevel) -> &'static str {
        match level {
            PlaceLevel::Country => "countries",
            PlaceLevel::State => "states",
            PlaceLevel::City => "cities",
        }
    }

    async fn snapshot(conn: &mut PgConnection, level: PlaceLevel, id: Uuid) -> Result<Option<serde_json::Value>, sqlx::Error> {
        let sql = match level {
            PlaceLevel::Country => "select jsonb_build_object('name', name, 'code', code, 'is_active', is_active) from countries where id = $1",
            PlaceLevel::State => {
                "select jsonb_build_object('name', s.name, 'code', s.code, 'is_active', s.is_active, 'country', c.name)
                 from states s join countries c on c.id = s.country_id where s.id = $1"
            }
            PlaceLevel::City => {
                "select jsonb_build_object('name', ci.name, 'is_active', ci.is_active, 'state', s.name)
                 from cities ci join states s on s.id = ci.state_id where ci.id = $1"
            }
        };
        sqlx::query_scalar(sql).bind(id).fetch_optional(conn).await
    }

    /// Checked fields of a place: its name, and the code its level takes.
    fn validate(level: PlaceLevel, name: &str, code: &str) -> Result<(String, String), AppError> {
        let mut errors = FieldErrors::new();
        let name = name.trim().to_owned();
        if name.is_empty() {
            errors.add("name", "Enter the name.");
        } else if name.chars().count() > 80 {
            errors.add("name", "Use at most 80 characters.");
        }
        let code = code.trim().to_ascii_uppercase();
        match level {
            PlaceLevel::Country if !(code.len() == 2 && code.chars().all(|c| c.is_ascii_uppercase())) => {
                errors.add("code", "Enter the country's two-letter ISO code, like US.");
            }
            PlaceLevel::State if code.len() > 10 || !code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                errors.add("code", "Use up to 10 letters or digits, like CA.");
            }
            _ => {}
        }
        errors.into_result()?;
        Ok((name, code))
    }

    /// A place as a staff form posts it: a new one (`id` None) under `parent`, or a rename.
    pub struct PlaceInput<'a> {
        pub level: PlaceLevel,
        pub parent: Option<Uuid>,
        pub id: Option<Uuid>,
        pub name: &'a str,
        pub code: &'a str,
    }

    /// Adds a place (a new place is active) or renames one.
    pub async fn save(db: &PgPool, actor: &Actor, input: PlaceInput<'_>, now: DateTime<Utc>) -> Result<Uuid, AppError> {
        let PlaceInput { level, parent, id, name, code } = input;
        let (name, code) = validate(level, name, code)?;
        let mut tx = db.begin().await?;
        let before = match id {
            Some(id) => Some(snapshot(&mut tx, level, id).await?.ok_or_else(|| AppError::NotFound("That place".into()))?),
            None => None,
        };
        let result = match (level, id) {
            (PlaceLevel::Country, Some(id)) => sqlx::query_scalar("update countries set name = $2, code = $3 where id = $1 returning id").bind(id).bind(&name).bind(&code),
            (PlaceLevel::State, Some(id)) => sqlx::query_scalar("update states set name = $2, code = $3 where id = $1 returning id").bind(id).bind(&name).bind(&code),
            (PlaceLevel::City, Some(id)) => sqlx::query_scalar("update cities set name = $2 where id = $1 returning id").bind(id).bind(&name),
            (PlaceLevel::Country, None) => sqlx::query_scalar(
                "insert into countries (name, code, sort_order) values ($1, $2, (select coalesce(max(sort_order) + 1, 0) from countries)) returning id",
            )
            .bind(&name)
            .bind(&code),
            (PlaceLevel::State, None) => sqlx::query_scalar(
                "insert into states (country_id, name, code) select id, $2, $3 from countries where id = $1 returning id",
            )
            .bind(parent)
            .bind(&name)
            .bind(&code),
            (PlaceLevel::City, None) => {
                sqlx::query_scalar("insert into cities (state_id, name) select id, $2 from states where id = $1 returning id").bind(parent).bind(&name)
            }
        }
        .fetch_optional(&mut *tx)
        .await;
        let id: Option<Uuid> = result.map_err(|err| match &err {
            sqlx::Error::Database(db) => match db.constraint() {
                Some("countries_code_key") => AppError::field("code", "Another country has this code."),
                Some("states_country_name_key") => AppError::field("name", "This country already has a state with this name."),
                Some("cities_state_name_key") => AppError::field("name", "This state already has a city with this name."),
                _ => err.into(),
            },
            _ => err.into(),
        })?;
        let id = id.ok_or_else(|| AppError::NotFound("That place".into()))?;
        let after = snapshot(&mut tx, level, id).await?;
        let action = if before.is_some() { "update" } else { "create" };
        let change = Change { action, entity_kind: level.as_str(), entity_id: id.to_string(), before, after };
        audit::record(&mut tx, actor, change, now).await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Switches a place on or off for checkout; answers whether it is now active.
    pub async fn toggle(db: &PgPool, actor: &Actor, level: PlaceLevel, id: Uuid, now: DateTime<Utc>) -> Result<bool, AppError> {
        let mut tx = db.begin().await?;
        let before = snapshot(&mut tx, level, id).await?.ok_or_else(|| AppError::NotFound("That place".into()))?;
        let active: bool = sqlx::query_scalar(&format!("update {} set is_active = not is_active where id = $1 returning is_active", table(level)))
            .bind(id)
            .fetch_one(&mut *tx)
            .await?;
        let after = snapshot(&mut tx, level, id).await?;
        let action = if active { "activate" } else { "deactivate" };
        audit::record(&mut tx, actor, Change { action, entity_kind: level.as_str(), entity_id: id.to_string(), before: Some(before), after }, now).await?;
        tx.commit().await?;
        Ok(active)
    }
}
