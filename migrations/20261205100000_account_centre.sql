-- The customer's account centre: notifications with preferences, waiting for a size, and
-- several email addresses and mobile numbers per account.

-- Customer notifications: one row per event a customer should know about, kept exactly
-- once per event (`event_key`), whether or not it is shown in the store (`in_store` false
-- when the customer turned that off: the row still stops a retried job from mailing twice).
alter table notifications add column event_key text;
update notifications set event_key = 'legacy:' || id::text where event_key is null;
alter table notifications alter column event_key set not null;
alter table notifications add column in_store boolean not null default true;
alter table notifications add constraint notifications_user_event_key unique (user_id, event_key);
drop index notifications_unread_idx;
create index notifications_unread_idx on notifications (user_id) where read_at is null and in_store;
create index notifications_list_idx on notifications (user_id, created_at desc, id desc) where in_store;

-- Per topic, which channels the customer wants. No row: the topic's defaults.
create table notification_preferences (
    user_id    uuid not null,
    topic      text not null,
    in_store   boolean not null,
    email      boolean not null,
    sms        boolean not null,
    updated_at timestamptz not null default now(),
    constraint notification_preferences_pkey primary key (user_id, topic),
    constraint notification_preferences_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint notification_preferences_topic_check
        check (topic in ('orders', 'shipping', 'reviews', 'security', 'back_in_stock'))
);

-- A wishlist entry may name the size the customer waits for.
alter table wishlist_items add column product_size_id uuid;
alter table wishlist_items add constraint wishlist_items_product_size_id_fkey
    foreign key (product_size_id) references product_sizes (id) on delete set null;
create index wishlist_items_product_size_idx on wishlist_items (product_size_id) where product_size_id is not null;

-- Whoever makes a size sellable again (a dashboard edit, an import, a cancelled order
-- giving its hold back, a refund that restocks, a SQL console), the customers waiting for
-- it are told: a job per restock, queued in the same transaction. `restock` names this
-- restock, so a retried job tells each customer once and the next restock tells them again.
create function queue_back_in_stock() returns trigger
language plpgsql as $$
begin
    if new.stock - new.reserved > 0 and old.stock - old.reserved <= 0
       and exists (select 1 from wishlist_items w where w.product_size_id = new.id and w.user_id is not null) then
        insert into jobs (kind, payload)
        values ('back_in_stock', jsonb_build_object('kind', 'back_in_stock', 'payload',
                jsonb_build_object('variant_id', new.id, 'restock', uuid_generate_v7())));
    end if;
    return null;
end
$$;

create trigger product_sizes_back_in_stock after update of stock, reserved on product_sizes
    for each row execute function queue_back_in_stock();

-- An account's other proven email addresses and mobile numbers. The primary ones stay in
-- `users` (mail and texts go there); any proven one signs in. A value belongs to one account
-- at most: unique here, and checked against `users` under an advisory lock per value.
create table user_contacts (
    id          uuid primary key default uuid_generate_v7(),
    user_id     uuid not null,
    channel     text not null,
    value       citext not null,
    verified_at timestamptz not null,
    created_at  timestamptz not null default now(),
    constraint user_contacts_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint user_contacts_channel_check check (channel in ('email', 'phone')),
    constraint user_contacts_phone_format_check check (channel <> 'phone' or value ~ '^\+[1-9][0-9]{6,14}$'),
    constraint user_contacts_channel_value_key unique (channel, value)
);
create index user_contacts_user_idx on user_contacts (user_id);

-- A profile picture: a square in two sides (96, 256) as WebP and JPEG under `avatar_key`;
-- `avatar_url` is the 256-pixel JPEG (the page derives the others from it).
alter table users add column avatar_key text, add column avatar_url text;

-- Deleting an account is confirmed by a code.
alter table auth_requests drop constraint auth_requests_purpose_check;
alter table auth_requests add constraint auth_requests_purpose_check check (purpose in
    ('sign_in', 'sign_up', 'password_reset', 'verify_email', 'verify_phone', 'checkout_phone', 'delete_account'));

-- A customer's copy of their data: prepared by a job, downloaded once, gone after a week.
create table data_exports (
    id            uuid primary key default uuid_generate_v7(),
    user_id       uuid not null,
    requested_at  timestamptz not null,
    ready_at      timestamptz,
    expires_at    timestamptz not null,
    downloaded_at timestamptz,
    archive       bytea,
    constraint data_exports_user_id_fkey foreign key (user_id) references users (id) on delete cascade
);
create index data_exports_user_idx on data_exports (user_id, requested_at desc);

-- A signed-in customer can opt in to news and offers from their notification settings,
-- for their own proven address (no confirmation mail needed).
alter table subscribers drop constraint subscribers_source_check;
alter table subscribers add constraint subscribers_source_check check (source in ('footer', 'page', 'account')) not valid;
