-- People, devices, consent, sign-in and sessions.

create table devices (
    id              uuid primary key default uuid_generate_v7(),
    ip              inet,
    user_agent      text not null default '',
    device_type     text not null default 'other',
    os              text not null default '',
    browser         text not null default '',
    first_seen_at   timestamptz not null default now(),
    last_seen_at    timestamptz not null default now(),
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint devices_device_type_check check (device_type in ('desktop', 'mobile', 'tablet', 'bot', 'other'))
);
select manage_updated_at('devices');

create table users (
    id                uuid primary key default uuid_generate_v7(),
    email             citext,
    email_verified_at timestamptz,
    phone             text,
    phone_verified_at timestamptz,
    name              text not null default '',
    password_hash     text,
    role              text not null default 'customer',
    is_active         boolean not null default true,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    deleted_at        timestamptz,
    constraint users_email_key unique (email),
    constraint users_phone_key unique (phone),
    constraint users_role_check check (role in ('customer', 'editor', 'admin')),
    constraint users_phone_format_check check (phone is null or phone ~ '^\+[1-9][0-9]{6,14}$'),
    constraint users_has_identity_check check (email is not null or phone is not null)
);
select manage_updated_at('users');
create index users_role_idx on users (role) where role <> 'customer';

-- The device lock: consecutive invalid sign-in attempts per subject ('device:<id>', or
-- 'ip:<addr>' for visitors without a device) and the lock they earned. Lives in the
-- database so every app instance sees the same counters.
create table auth_throttles (
    subject         text primary key,
    failed_attempts integer not null default 0,
    locked_until    timestamptz,
    updated_at      timestamptz not null default now(),
    constraint auth_throttles_failed_attempts_check check (failed_attempts >= 0)
);

-- A shopper who accepted cookies but has not signed in; owns carts, wishlists, likes.
create table anonymous_users (
    id                uuid primary key default uuid_generate_v7(),
    device_id         uuid not null,
    converted_user_id uuid,
    converted_at      timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint anonymous_users_device_id_fkey foreign key (device_id) references devices (id) on delete cascade,
    constraint anonymous_users_converted_user_id_fkey foreign key (converted_user_id) references users (id) on delete set null
);
select manage_updated_at('anonymous_users');
create index anonymous_users_device_id_idx on anonymous_users (device_id);

create table consent_records (
    id                uuid primary key default uuid_generate_v7(),
    device_id         uuid,
    user_id           uuid,
    decision          text not null,
    analytics         boolean not null,
    marketing         boolean not null,
    policy_version    text not null,
    created_at        timestamptz not null default now(),
    constraint consent_records_device_id_fkey foreign key (device_id) references devices (id) on delete set null,
    constraint consent_records_user_id_fkey foreign key (user_id) references users (id) on delete set null,
    constraint consent_records_decision_check check (decision in ('accept_all', 'reject_all', 'custom', 'withdraw'))
);
create index consent_records_device_id_idx on consent_records (device_id);

-- Sign-in methods a user has linked besides email/phone (Google, Facebook).
create table user_identities (
    id               uuid primary key default uuid_generate_v7(),
    user_id          uuid not null,
    provider         text not null,
    provider_subject text not null,
    email            citext,
    email_verified   boolean not null default false,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint user_identities_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint user_identities_provider_check check (provider in ('google', 'facebook')),
    constraint user_identities_provider_subject_key unique (provider, provider_subject)
);
select manage_updated_at('user_identities');
create index user_identities_user_id_idx on user_identities (user_id);

-- One-time codes and magic links. Only hashes are stored.
create table auth_requests (
    id           uuid primary key default uuid_generate_v7(),
    purpose      text not null,
    channel      text not null,
    destination  text not null,
    user_id      uuid,
    device_id    uuid,
    code_hash    text,
    token_hash   text,
    attempts     integer not null default 0,
    max_attempts integer not null default 5,
    expires_at   timestamptz not null,
    consumed_at  timestamptz,
    last_sent_at timestamptz not null default now(),
    created_at   timestamptz not null default now(),
    constraint auth_requests_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint auth_requests_device_id_fkey foreign key (device_id) references devices (id) on delete set null,
    constraint auth_requests_purpose_check check (purpose in
        ('sign_in', 'sign_up', 'password_reset', 'verify_email', 'verify_phone', 'checkout_phone')),
    constraint auth_requests_channel_check check (channel in ('email', 'sms')),
    constraint auth_requests_secret_check check (code_hash is not null or token_hash is not null),
    constraint auth_requests_attempts_check check (attempts >= 0 and attempts <= max_attempts),
    constraint auth_requests_token_hash_key unique (token_hash)
);
create index auth_requests_destination_idx on auth_requests (destination, purpose, created_at desc);

-- What the account page lists: one row per signed-in session (the session itself is in Redis).
create table user_sessions (
    id             uuid primary key default uuid_generate_v7(),
    session_key    text not null,
    user_id        uuid not null,
    device_id      uuid,
    ip             inet,
    user_agent     text not null default '',
    created_at     timestamptz not null default now(),
    last_active_at timestamptz not null default now(),
    revoked_at     timestamptz,
    revoked_reason text,
    constraint user_sessions_session_key_key unique (session_key),
    constraint user_sessions_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint user_sessions_device_id_fkey foreign key (device_id) references devices (id) on delete set null
);
create index user_sessions_active_idx on user_sessions (user_id, last_active_at desc) where revoked_at is null;

-- Which devices each user has used (for "devices used" and session listings).
create table user_devices (
    user_id       uuid not null,
    device_id     uuid not null,
    first_used_at timestamptz not null default now(),
    last_used_at  timestamptz not null default now(),
    constraint user_devices_pkey primary key (user_id, device_id),
    constraint user_devices_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint user_devices_device_id_fkey foreign key (device_id) references devices (id) on delete cascade
);

create table login_events (
    id         uuid primary key default uuid_generate_v7(),
    user_id    uuid,
    device_id  uuid,
    event_type text not null,
    method     text,
    status     text not null,
    reason     text,
    ip         inet,
    user_agent text not null default '',
    created_at timestamptz not null default now(),
    constraint login_events_user_id_fkey foreign key (user_id) references users (id) on delete set null,
    constraint login_events_device_id_fkey foreign key (device_id) references devices (id) on delete set null,
    constraint login_events_event_type_check check (event_type in
        ('sign_in', 'sign_up', 'sign_out', 'code_sent', 'password_reset', 'device_locked', 'device_unlocked', 'session_revoked')),
    constraint login_events_method_check check (method is null or method in
        ('password', 'email_code', 'phone_code', 'magic_link', 'google', 'facebook')),
    constraint login_events_status_check check (status in ('success', 'failure'))
);
create index login_events_user_id_idx on login_events (user_id, created_at desc);
create index login_events_created_at_idx on login_events (created_at desc);

create table user_metrics (
    user_id          uuid primary key,
    first_seen_at    timestamptz not null default now(),
    last_login_at    timestamptz,
    last_active_at   timestamptz,
    total_logins     integer not null default 0,
    devices_used     integer not null default 0,
    sessions_created integer not null default 0,
    updated_at       timestamptz not null default now(),
    constraint user_metrics_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint user_metrics_counts_check check (total_logins >= 0 and devices_used >= 0 and sessions_created >= 0)
);
select manage_updated_at('user_metrics');

create table notifications (
    id         uuid primary key default uuid_generate_v7(),
    user_id    uuid not null,
    kind       text not null,
    title      text not null,
    body       text not null default '',
    link       text,
    read_at    timestamptz,
    created_at timestamptz not null default now(),
    constraint notifications_user_id_fkey foreign key (user_id) references users (id) on delete cascade
);
create index notifications_unread_idx on notifications (user_id, created_at desc) where read_at is null;

-- Every staff action that changes data.
create table audit_log (
    id            uuid primary key default uuid_generate_v7(),
    actor_user_id uuid,
    action        text not null,
    entity_type   text not null,
    entity_id     uuid,
    details       jsonb not null default '{}',
    ip            inet,
    created_at    timestamptz not null default now(),
    constraint audit_log_actor_user_id_fkey foreign key (actor_user_id) references users (id) on delete set null
);
create index audit_log_entity_idx on audit_log (entity_type, entity_id, created_at desc);
create index audit_log_created_at_idx on audit_log (created_at desc);

-- Analytics (only recorded with consent): page views, add-to-cart, checkout steps.
create table analytics_events (
    id                uuid primary key default uuid_generate_v7(),
    name              text not null,
    device_id         uuid,
    anonymous_user_id uuid,
    user_id           uuid,
    path              text,
    properties        jsonb not null default '{}',
    created_at        timestamptz not null default now(),
    constraint analytics_events_device_id_fkey foreign key (device_id) references devices (id) on delete set null,
    constraint analytics_events_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete set null,
    constraint analytics_events_user_id_fkey foreign key (user_id) references users (id) on delete set null
);
create index analytics_events_name_idx on analytics_events (name, created_at desc);
