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
