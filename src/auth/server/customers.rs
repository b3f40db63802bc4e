//! Customer accounts as staff manage them (server only): the list, one account with its
//! orders, addresses, sessions, devices and sign-in history, and the changes staff make —
//! role, active state, ending sessions, unlocking a device. Each change is written with its
//! audit entry in one transaction. Two rules hold however changes interleave: nobody changes
//! their own role or deactivates themselves, and the store always keeps an active admin.

use super::{events, sessions, throttle};
use crate::{
    admin::table::{ListQuery, Paged, PAGE_SIZE},
    audit::server::{self as audit, Actor, Change},
    auth::{
        types::{CustomerAddress, CustomerDetail, CustomerDevice, CustomerLoginEvent, CustomerOrder, CustomerProfile, CustomerRow, CustomerSession},
        Role,
    },
    error::AppError,
    server::client::ClientInfo,
};
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::{PgConnection, PgPool};
use uuid::Uuid;

/// How many orders and sign-in events the customer page lists.
pub const DETAIL_CAP: i64 = 50;

/// The columns the list sorts by, and the SQL of each (over `users u`, `user_metrics m`
/// and, for `orders`, the counts joined as `oc`).
const SORTS: [(&str, &str); 4] = [("name", "u.name"), ("joined", "u.created_at"), ("last_active", "m.last_active_at"), ("orders", "coalesce(oc.orders, 0)")];

/// `%`, `_` and `\` typed into the search match themselves.
fn like_escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        if matches!(c, '%' | '_' | '\\') {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

/// The digits of a search that looks like a phone number (`+1 555 010`), to find it in the
/// stored E.164 form; `None` for any other search.
fn phone_digits(search: &str) -> Option<String> {
    let phone_like = search.chars().all(|c| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'));
    let digits: String = search.chars().filter(char::is_ascii_digit).collect();
    (phone_like && digits.len() >= 3).then_some(digits)
}

/// One page of accounts for `query`: `q` (name, email or phone), `role`, `state`
/// (active/deactivated), sorted by name, joined (default, newest first), last active or
/// orders.
pub async fn list(db: &PgPool, query: &ListQuery) -> Result<Paged<CustomerRow>, AppError> {
    let names: Vec<&str> = SORTS.iter().map(|(k, _)| *k).collect();
    let (sort, desc) = query.sort_of(&names, ("joined", true));
    let column = SORTS.iter().find(|(k, _)| *k == sort).map_or("u.created_at", |(_, c)| c);
    let direction = if desc { "desc" } else { "asc" };
    // Only the orders sort needs every account's count; the page's own counts come after.
    let orders_join = if sort == "orders" {
        "left join (select user_id, count(*) as orders from orders where user_id is not null group by user_id) oc on oc.user_id = u.id"
    } else {
        ""
    };
    let filter = "u.deleted_at is null
        and ($1::text is null or u.name ilike '%' || $1 || '%' or u.email::text ilike '%' || $1 || '%' or u.phone like '%' || $2::text || '%')
        and ($3::text is null or u.role = $3)
        and (case $4::text when 'active' then u.is_active when 'deactivated' then not u.is_active else true end)";
    let search = query.search().map(like_escape);
    // A search that is not a phone number matches phones by its own text.
    let digits = query.search().map(|q| phone_digits(q).unwrap_or_else(|| like_escape(q)));
    let role = query.filter("role").and_then(Role::parse).map(Role::as_str);
    let state = query.filter("state");
    type Row = (Uuid, String, Option<String>, Option<String>, String, bool, DateTime<Utc>, Option<DateTime<Utc>>);
    let rows: Vec<Row> = sqlx::query_as(&format!(
        "select u.id, u.name, u.email::text, u.phone, u.role, u.is_active, u.created_at, m.last_active_at
         from users u left join user_metrics m on m.user_id = u.id {orders_join}
         where {filter}
         order by {column} {direction} nulls last, u.id {direction} limit $5 offset $6"
    ))
    .bind(&search)
    .bind(&digits)
    .bind(role)
    .bind(state)
    .bind(PAGE_SIZE)
    .bind(query.offset())
    .fetch_all(db)
    .await?;
    let total: i64 = sqlx::query_scalar(&format!("select count(*) from users u where {filter}"))
        .bind(&search)
        .bind(&digits)
        .bind(role)
        .bind(state)
        .fetch_one(db)
        .await?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let counts: Vec<(Uuid, i64)> = sqlx::query_as("select user_id, count(*) from orders where user_id = any($1) group by user_id")
        .bind(&ids)
        .fetch_all(db)
        .await?;
    let rows = rows
        .into_iter()
        .map(|(id, name, email, phone, role, is_active, joined_at, last_active_at)| CustomerRow {
            id,
            name,
            email,
            phone,
            role: Role::parse(&role).unwrap_or(Role::Customer),
            is_active,
            orders: counts.iter().find(|(u, _)| *u == id).map_or(0, |(_, n)| *n),
            joined_at,
            last_active_at,
        })
        .collect();
    Ok(Paged { rows, total })
}

/// Device type, system and browser as recorded, or read from the user agent when the
/// record has none.
fn describe(device_type: Option<String>, os: Option<String>, browser: Option<String>, user_agent: &str) -> (String, String, String) {
    let profile = ClientInfo { ip: None, user_agent: user_agent.to_owned() }.profile();
    (
        device_type.filter(|s| !s.is_empty()).unwrap_or_else(|| profile.device_type.to_owned()),
        os.filter(|s| !s.is_empty()).unwrap_or(profile.os),
        browser.filter(|s| !s.is_empty()).unwrap_or(profile.browser),
    )
}

/// Everything the staff page shows about account `id`, as `viewer` sees it.
pub async fn detail(db: &PgPool, id: Uuid, viewer: Uuid, now: DateTime<Utc>) -> Result<Option<CustomerDetail>, AppError> {
    type ProfileRow = (
        Uuid,
        String,
        Option<String>,
        bool,
        Option<String>,
        bool,
        String,
        bool,
        DateTime<Utc>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<DateTime<Utc>>,
        Option<i32>,
        Option<i32>,
    );
    let profile: Option<ProfileRow> = sqlx::query_as(
        "select u.id, u.name, u.email::text, u.email_verified_at is not null, u.phone, u.phone_verified_at is not null, u.role, u.is_active,
                u.created_at, m.first_seen_at, m.last_login_at, m.last_active_at, m.total_logins, m.devices_used
         from users u left join user_metrics m on m.user_id = u.id
         where u.id = $1 and u.deleted_at is null",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let Some((id, name, email, email_verified, phone, phone_verified, role, is_active, joined_at, first_seen_at, last_login_at, last_active_at, logins, devices_used)) =
        profile
    else {
        return Ok(None);
    };
    let profile = CustomerProfile {
        id,
        name,
        email,
        email_verified,
        phone,
        phone_verified,
        role: Role::parse(&role).unwrap_or(Role::Customer),
        is_active,
        joined_at,
        first_seen_at,
        last_login_at,
        last_active_at,
        total_logins: logins.unwrap_or(0),
        devices_used: devices_used.unwrap_or(0),
    };

    let orders: Vec<(i64, DateTime<Utc>, String, i64, String)> = sqlx::query_as(
        "select number, placed_at, status, total_minor, currency::text from orders where user_id = $1 order by placed_at desc, number desc limit $2",
    )
    .bind(id)
    .bind(DETAIL_CAP)
    .fetch_all(db)
    .await?;
    let orders_total: i64 = sqlx::query_scalar("select count(*) from orders where user_id = $1").bind(id).fetch_one(db).await?;

    type AddressRow = (String, String, String, String, String, String, String, String, String, bool);
    let addresses: Vec<AddressRow> = sqlx::query_as(
        "select a.label, a.recipient_name, a.phone, a.line1, a.line2, c.name, s.name, a.postal_code, co.name, a.is_default
         from addresses a join cities c on c.id = a.city_id join states s on s.id = c.state_id join countries co on co.id = s.country_id
         where a.user_id = $1 order by a.is_default desc, a.created_at desc",
    )
    .bind(id)
    .fetch_all(db)
    .await?;

    type SessionRow = (Uuid, String, Option<String>, Option<String>, Option<String>, Option<String>, DateTime<Utc>, DateTime<Utc>);
    let sessions: Vec<SessionRow> = sqlx::query_as(
        "select s.id, s.user_agent, d.device_type, d.os, d.browser, host(s.ip), s.created_at, s.last_active_at
         from user_sessions s left join devices d on d.id = s.device_id
         where s.user_id = $1 and s.revoked_at is null
         order by s.last_active_at desc, s.id",
    )
    .bind(id)
    .fetch_all(db)
    .await?;

    // The devices the account signed in on, and any other device locked right now after
    // failing to sign in to it (the one a customer calls about).
    type DeviceRow = (Uuid, String, String, String, String, DateTime<Utc>, DateTime<Utc>, bool, Option<DateTime<Utc>>);
    let devices: Vec<DeviceRow> = sqlx::query_as(
        "with used as (
             select device_id, first_used_at, last_used_at, true as signed_in from user_devices where user_id = $1
             union all
             select e.device_id, min(e.created_at), max(e.created_at), false from login_events e
             join auth_throttles t on t.subject = 'device:' || e.device_id::text and t.locked_until > $2
             where e.user_id = $1 and e.device_id is not null
               and not exists (select 1 from user_devices ud where ud.user_id = $1 and ud.device_id = e.device_id)
             group by e.device_id
         )
         select d.id, d.device_type, d.os, d.browser, d.user_agent, used.first_used_at, used.last_used_at, used.signed_in, t.locked_until
         from used join devices d on d.id = used.device_id
         left join auth_throttles t on t.subject = 'device:' || d.id::text and t.locked_until > $2
         order by used.last_used_at desc, d.id limit $3",
    )
    .bind(id)
    .bind(now)
    .bind(DETAIL_CAP)
    .fetch_all(db)
    .await?;

    let events: Vec<(DateTime<Utc>, String, Option<String>, String, Option<String>, Option<String>)> = sqlx::query_as(
        "select created_at, event_type, method, status, reason, host(ip) from login_events where user_id = $1
         order by created_at desc, id desc limit $2",
    )
    .bind(id)
    .bind(DETAIL_CAP)
    .fetch_all(db)
    .await?;
    let events_total: i64 = sqlx::query_scalar("select count(*) from login_events where user_id = $1").bind(id).fetch_one(db).await?;

    Ok(Some(CustomerDetail {
        profile,
        orders: orders
            .into_iter()
            .map(|(number, placed_at, status, total_minor, currency)| CustomerOrder { number, placed_at, status, total_minor, currency })
            .collect(),
        orders_total,
        addresses: addresses
            .into_iter()
            .map(|(label, recipient_name, phone, line1, line2, city, state, postal_code, country, is_default)| CustomerAddress {
                label,
                recipient_name,
                phone,
                lines: [line1, line2, format!("{city}, {state} {postal_code}"), country].into_iter().filter(|l| !l.trim().is_empty()).collect(),
                is_default,
            })
            .collect(),
        sessions: sessions
            .into_iter()
            .map(|(id, user_agent, device_type, os, browser, ip, signed_in_at, last_active_at)| {
                let (device, os, browser) = describe(device_type, os, browser, &user_agent);
                CustomerSession { id, device, os, browser, ip, signed_in_at, last_active_at }
            })
            .collect(),
        devices: devices
            .into_iter()
            .map(|(id, device_type, os, browser, user_agent, first_used_at, last_used_at, signed_in, locked_until)| {
                let (device, os, browser) = describe(Some(device_type), Some(os), Some(browser), &user_agent);
                CustomerDevice { id, device, os, browser, first_used_at, last_used_at, signed_in, locked_until }
            })
            .collect(),
        events: events
            .into_iter()
            .map(|(at, event, method, status, reason, ip)| CustomerLoginEvent { at, event, method, success: status == "success", reason, ip })
            .collect(),
        events_total,
        is_self: id == viewer,
    }))
}

/// The account as a change sees it, locked.
struct Locked {
    role: Role,
    is_active: bool,
    /// Active admins other than this account.
    other_admins: usize,
    snapshot: serde_json::Value,
}

/// Locks account `id` and every active admin (in id order, so two changes never wait on
/// each other in a cycle). A concurrent demotion or deactivation of another admin is then
/// either finished and seen here, or waits for this one: the count of admins left is
/// exact.
async fn lock_account(conn: &mut PgConnection, id: Uuid) -> Result<Locked, AppError> {
    let rows: Vec<(Uuid, String, Option<String>, String, bool)> = sqlx::query_as(
        "select id, name, email::text, role, is_active from users
         where deleted_at is null and (id = $1 or (role = 'admin' and is_active))
         order by id for update",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let (_, name, email, role, is_active) = rows.iter().find(|r| r.0 == id).cloned().ok_or_else(|| AppError::NotFound("That account".into()))?;
    let other_admins = rows.iter().filter(|r| r.0 != id && r.3 == "admin" && r.4).count();
    Ok(Locked {
        role: Role::parse(&role).unwrap_or(Role::Customer),
        is_active,
        other_admins,
        snapshot: json!({ "name": name, "email": email, "role": role, "is_active": is_active }),
    })
}

/// The request's address, for the login events a staff change records.
fn staff_client(actor: &Actor) -> ClientInfo {
    ClientInfo { ip: actor.client_ip.as_deref().and_then(|ip| ip.parse().ok()), user_agent: String::new() }
}

/// Ends sessions of `user_id` in the transaction, with a `session_revoked` event for each.
async fn end_sessions_in(
    conn: &mut PgConnection,
    actor: &Actor,
    user_id: Uuid,
    which: Option<Uuid>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<sessions::Ended>, AppError> {
    let ended = sessions::end(conn, user_id, which, None, reason, now).await?;
    let client = staff_client(actor);
    for session in &ended {
        events::record(
            &mut *conn,
            events::Event {
                user_id: Some(user_id),
                device_id: session.device_id,
                event_type: "session_revoked",
                method: None,
                success: true,
                reason: Some(reason),
                client: &client,
                at: now,
            },
        )
        .await?;
    }
    Ok(ended)
}

const LAST_ADMIN: &str = "This is the store's only active admin. Make another account admin first.";

/// Gives account `id` `role`. Nobody changes their own role, and the last active admin
/// keeps theirs. Every session of the account ends (as when the command line makes a staff
/// member, `users::set_staff`): nothing opened under the old role outlives the change.
/// Answers whether the role changed.
pub async fn change_role(db: &PgPool, redis: &fred::prelude::Pool, actor: &Actor, id: Uuid, role: Role, now: DateTime<Utc>) -> Result<bool, AppError> {
    if actor.user_id == id {
        return Err(AppError::Rejected("You cannot change your own role. Another admin can.".into()));
    }
    let mut tx = db.begin().await?;
    let account = lock_account(&mut tx, id).await?;
    if account.role == role {
        return Ok(false);
    }
    if account.role == Role::Admin && account.is_active && account.other_admins == 0 {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    sqlx::query("update users set role = $2 where id = $1").bind(id).bind(role.as_str()).execute(&mut *tx).await?;
    let ended = end_sessions_in(&mut tx, actor, id, None, "role_changed", now).await?;
    let mut after = account.snapshot.clone();
    after["role"] = json!(role.as_str());
    after["sessions_ended"] = json!(ended.len());
    let change = Change { action: "change_role", entity_kind: "customer", entity_id: id.to_string(), before: Some(account.snapshot), after: Some(after) };
    audit::record(&mut tx, actor, change, now).await?;
    // Signed out before the change commits: should Redis fail, nothing changes at all.
    sessions::forget(redis, &ended).await?;
    tx.commit().await?;
    Ok(true)
}

/// Deactivates (`active` false) or reactivates account `id`. Deactivating signs it out
/// everywhere at once, and sign-in refuses it by every method; nobody deactivates
/// themselves or the last active admin. Answers whether the state changed.
pub async fn set_active(db: &PgPool, redis: &fred::prelude::Pool, actor: &Actor, id: Uuid, active: bool, now: DateTime<Utc>) -> Result<bool, AppError> {
    if !active && actor.user_id == id {
        return Err(AppError::Rejected("You cannot deactivate your own account.".into()));
    }
    let mut tx = db.begin().await?;
    let account = lock_account(&mut tx, id).await?;
    if account.is_active == active {
        return Ok(false);
    }
    if !active && account.role == Role::Admin && account.other_admins == 0 {
        return Err(AppError::Conflict(LAST_ADMIN.into()));
    }
    sqlx::query("update users set is_active = $2 where id = $1").bind(id).bind(active).execute(&mut *tx).await?;
    let ended = if active { Vec::new() } else { end_sessions_in(&mut tx, actor, id, None, "deactivated", now).await? };
    let mut after = account.snapshot.clone();
    after["is_active"] = json!(active);
    if !active {
        after["sessions_ended"] = json!(ended.len());
    }
    let action = if active { "reactivate" } else { "deactivate" };
    let change = Change { action, entity_kind: "customer", entity_id: id.to_string(), before: Some(account.snapshot), after: Some(after) };
    audit::record(&mut tx, actor, change, now).await?;
    sessions::forget(redis, &ended).await?;
    tx.commit().await?;
    Ok(true)
}

/// Ends one session (`which`) or every session of account `id`; answers how many ended
/// (none when it had already ended, or is another account's).
pub async fn end_sessions(
    db: &PgPool,
    redis: &fred::prelude::Pool,
    actor: &Actor,
    id: Uuid,
    which: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let mut tx = db.begin().await?;
    let exists: Option<Uuid> = sqlx::query_scalar("select id from users where id = $1 and deleted_at is null").bind(id).fetch_optional(&mut *tx).await?;
    exists.ok_or_else(|| AppError::NotFound("That account".into()))?;
    let active: i64 = sqlx::query_scalar("select count(*) from user_sessions where user_id = $1 and revoked_at is null")
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    let ended = end_sessions_in(&mut tx, actor, id, which, "ended_by_staff", now).await?;
    if ended.is_empty() {
        return Ok(0);
    }
    let (action, before, after) = match which {
        Some(session) => ("end_session", json!({ "active_sessions": active, "session": session, "session_ended": false }), json!({ "active_sessions": active - 1, "session": session, "session_ended": true })),
        None => ("end_all_sessions", json!({ "active_sessions": active }), json!({ "active_sessions": active - ended.len() as i64 })),
    };
    let change = Change { action, entity_kind: "customer", entity_id: id.to_string(), before: Some(before), after: Some(after) };
    audit::record(&mut tx, actor, change, now).await?;
    sessions::forget(redis, &ended).await?;
    tx.commit().await?;
    Ok(ended.len())
}

/// Lifts the lock on `device`, one of account `id`'s devices (used to sign in, or that
/// tried to), so it may try again at once. Answers whether it was locked.
pub async fn unlock_device(db: &PgPool, actor: &Actor, id: Uuid, device: Uuid, now: DateTime<Utc>) -> Result<bool, AppError> {
    let mut tx = db.begin().await?;
    let theirs: bool = sqlx::query_scalar(
        "select exists (select 1 from users where id = $1 and deleted_at is null)
            and (exists (select 1 from user_devices where user_id = $1 and device_id = $2)
                 or exists (select 1 from login_events where user_id = $1 and device_id = $2))",
    )
    .bind(id)
    .bind(device)
    .fetch_one(&mut *tx)
    .await?;
    if !theirs {
        return Err(AppError::NotFound("That device".into()));
    }
    let lock: Option<(i32, Option<DateTime<Utc>>)> = sqlx::query_as("select failed_attempts, locked_until from auth_throttles where subject = $1 for update")
        .bind(throttle::subject(Some(device), None))
        .fetch_optional(&mut *tx)
        .await?;
    let Some((failed_attempts, Some(locked_until))) = lock.filter(|(_, until)| until.is_some_and(|u| u > now)) else {
        return Ok(false);
    };
    throttle::unlock_device(&mut *tx, device).await?;
    let client = staff_client(actor);
    events::record(
        &mut *tx,
        events::Event {
            user_id: Some(id),
            device_id: Some(device),
            event_type: "device_unlocked",
            method: None,
            success: true,
            reason: Some("unlocked_by_staff"),
            client: &client,
            at: now,
        },
    )
    .await?;
    let change = Change {
        action: "unlock_device",
        entity_kind: "customer",
        entity_id: id.to_string(),
        before: Some(json!({ "device": device, "locked_until": locked_until, "failed_attempts": failed_attempts })),
        after: Some(json!({ "device": device, "locked_until": null, "failed_attempts": 0 })),
    };
    audit::record(&mut tx, actor, change, now).await?;
    tx.commit().await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::{like_escape, phone_digits};

    #[test]
    fn searches_match_what_was_typed() {
        assert_eq!(like_escape("ada_l%\\"), "ada\\_l\\%\\\\");
        assert_eq!(phone_digits("+1 (555) 010-0100").as_deref(), Some("15550100100"));
        assert_eq!(phone_digits("0224").as_deref(), Some("0224"));
        assert_eq!(phone_digits("12"), None, "too short to be worth a phone search");
        assert_eq!(phone_digits("ada 555"), None);
    }
}
