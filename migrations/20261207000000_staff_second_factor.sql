-- Staff accounts (admin, editor) confirm every sign-in with a second factor: a code from an
-- authenticator app (TOTP), one of their recovery codes, or a code sent to their email.

create table staff_totp (
    user_id      uuid primary key references users (id) on delete cascade,
    -- Base32, as the authenticator app was given it.
    secret       text not null,
    -- The last 30-second step a code was accepted for: a code works once.
    last_step    bigint not null default 0,
    confirmed_at timestamptz not null
);

create table staff_recovery_codes (
    id         uuid primary key default uuid_generate_v7(),
    user_id    uuid not null references users (id) on delete cascade,
    -- Keyed hash (AUTH_SECRET) of the code without its dash.
    code_hash  text not null,
    used_at    timestamptz,
    created_at timestamptz not null
);
create index staff_recovery_codes_user_idx on staff_recovery_codes (user_id) where used_at is null;

alter table auth_requests drop constraint auth_requests_purpose_check;
alter table auth_requests add constraint auth_requests_purpose_check check (purpose in
    ('sign_in', 'sign_up', 'password_reset', 'verify_email', 'verify_phone', 'checkout_phone', 'delete_account',
     'second_factor'));

alter table login_events drop constraint login_events_event_type_check;
alter table login_events add constraint login_events_event_type_check check (event_type in
    ('sign_in', 'sign_up', 'sign_out', 'code_sent', 'password_reset', 'device_locked', 'device_unlocked', 'session_revoked',
     'second_factor', 'confirm'));
alter table login_events drop constraint login_events_method_check;
alter table login_events add constraint login_events_method_check check (method is null or method in
    ('password', 'email_code', 'phone_code', 'magic_link', 'google', 'facebook', 'totp', 'recovery_code'));
