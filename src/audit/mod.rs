//! The audit log: every staff change, who made it, to which thing, the values before and
//! after, when and from which client address. An entry is written in the same transaction
//! as the change it records, so one never exists without the other.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// One field whose value a change moved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldChange {
    pub field: String,
    pub before: String,
    pub after: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEntry {
    pub at: DateTime<Utc>,
    pub actor_email: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    pub changes: Vec<FieldChange>,
    pub client_ip: Option<String>,
}

/// The fields that differ between two JSON objects, in key order; a missing side reads as
/// empty (a creation has no before, a deletion no after).
pub fn changes(before: Option<&serde_json::Value>, after: Option<&serde_json::Value>) -> Vec<FieldChange> {
    let empty = serde_json::Map::new();
    let object = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_object()).cloned().unwrap_or_else(|| empty.clone());
    let (before, after) = (object(before), object(after));
    let keys: std::collections::BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    let text = |v: Option<&serde_json::Value>| match v {
        None | Some(serde_json::Value::Null) => String::new(),
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    };
    keys.into_iter()
        .filter(|k| before.get(*k) != after.get(*k))
        .map(|k| FieldChange { field: k.clone(), before: text(before.get(k)), after: text(after.get(k)) })
        .collect()
}

#[cfg(feature = "ssr")]
pub mod server {
    use super::AuditEntry;
    use chrono::{DateTime, Utc};
    use sqlx::{PgConnection, PgPool};
    use uuid::Uuid;

    /// The staff member behind a change, and where the request came from.
    #[derive(Debug, Clone)]
    pub struct Actor {
        pub user_id: Uuid,
        pub client_ip: Option<String>,
    }

    impl Actor {
        /// The staff member `user_id`, at the address of the request being served.
        pub fn of_request(user_id: Uuid, trust_proxy: bool) -> Self {
            let ip = leptos::prelude::use_context::<axum::http::request::Parts>()
                .and_then(|parts| crate::server::client::ClientInfo::from_parts(&parts, trust_proxy).ip);
            Self { user_id, client_ip: ip.map(|ip| ip.to_string()) }
        }
    }

    /// What changed, in the caller's transaction.
    pub struct Change<'a> {
        pub action: &'a str,
        pub entity_kind: &'a str,
        pub entity_id: String,
        pub before: Option<serde_json::Value>,
        pub after: Option<serde_json::Value>,
    }

    pub async fn record(conn: &mut PgConnection, actor: &Actor, change: Change<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
        sqlx::query(
            "insert into audit_log (at, actor_user_id, actor_email, action, entity_kind, entity_id, before, after, client_ip)
             select $1, $2, coalesce((select email::text from users where id = $2), ''), $3, $4, $5, $6, $7, $8",
        )
        .bind(now)
        .bind(actor.user_id)
        .bind(change.action)
        .bind(change.entity_kind)
        .bind(change.entity_id)
        .bind(change.before)
        .bind(change.after)
        .bind(&actor.client_ip)
        .execute(conn)
        .await?;
        Ok(())
    }

    /// Which entries a staff member is looking at.
    #[derive(Debug, Clone, Default)]
    pub struct Filter {
        pub entity_kind: Option<String>,
        pub entity_id: Option<String>,
        /// Part of the actor's email.
        pub actor: Option<String>,
    }

    /// One page of entries, newest first, and how many match.
    pub async fn list(db: &PgPool, filter: &Filter, limit: i64, offset: i64) -> Result<(Vec<AuditEntry>, i64), sqlx::Error> {
        const WHERE: &str = "($1::text is null or entity_kind = $1) and ($2::text is null or entity_id = $2)
             and ($3::text is null or actor_email ilike '%' || $3 || '%')";
        let rows: Vec<(DateTime<Utc>, String, String, String, String, Option<serde_json::Value>, Option<serde_json::Value>, Option<String>)> =
            sqlx::query_as(&format!(
                "select at, actor_email, action, entity_kind, entity_id, before, after, client_ip from audit_log
                 where {WHERE} order by at desc, id desc limit $4 offset $5"
            ))
            .bind(&filter.entity_kind)
            .bind(&filter.entity_id)
            .bind(&filter.actor)
            .bind(limit)
            .bind(offset)
            .fetch_all(db)
            .await?;
        let total: i64 = sqlx::query_scalar(&format!("select count(*) from audit_log where {WHERE}"))
            .bind(&filter.entity_kind)
            .bind(&filter.entity_id)
            .bind(&filter.actor)
            .fetch_one(db)
            .await?;
        let entries = rows
            .into_iter()
            .map(|(at, actor_email, action, entity_kind, entity_id, before, after, client_ip)| AuditEntry {
                at,
                actor_email,
                action,
                entity_kind,
                entity_id,
                changes: super::changes(before.as_ref(), after.as_ref()),
                client_ip,
            })
            .collect();
        Ok((entries, total))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn changes_list_only_the_fields_that_moved() {
        let before = json!({ "name": "Linen shirt", "price_minor": 4900, "is_active": true });
        let after = json!({ "name": "Linen shirt", "price_minor": 5900, "is_active": false });
        assert_eq!(
            changes(Some(&before), Some(&after)),
            vec![
                FieldChange { field: "is_active".into(), before: "true".into(), after: "false".into() },
                FieldChange { field: "price_minor".into(), before: "4900".into(), after: "5900".into() },
            ]
        );
        let created = changes(None, Some(&json!({ "name": "New" })));
        assert_eq!(created, vec![FieldChange { field: "name".into(), before: String::new(), after: "New".into() }]);
        assert!(changes(Some(&before), Some(&before)).is_empty());
    }
}
