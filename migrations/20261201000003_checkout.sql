-- Buying: the price a cart line was last shown at, the delivery method of an order, legal
-- order status changes enforced by the database, and a job queue for work done after the
-- request (order emails, payment follow-ups).

-- The unit price the shopper last saw for a line; a different catalogue price is shown on
-- the line and must be acknowledged before checkout goes on.
alter table cart_items add column price_seen_minor bigint;
update cart_items ci set price_seen_minor = p.effective_price_minor
from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
where ps.id = ci.product_size_id;

alter table orders
    add column delivery_method text not null default 'standard',
    add column tracking_number text,
    add constraint orders_delivery_method_check check (delivery_method in ('standard', 'express'));

-- Every legal status change. The application checks the same table's contents in Rust
-- (orders::OrderStatus::can_become); the trigger below makes any other writer obey it too.
create table order_status_transitions (
    from_status text not null,
    to_status   text not null,
    constraint order_status_transitions_pkey primary key (from_status, to_status)
);
insert into order_status_transitions (from_status, to_status) values
    ('pending', 'paid'), ('pending', 'cancelled'),
    ('paid', 'processing'), ('paid', 'cancelled'), ('paid', 'refunded'),
    ('processing', 'shipped'), ('processing', 'cancelled'), ('processing', 'refunded'),
    ('shipped', 'delivered'), ('shipped', 'refunded'),
    ('delivered', 'refunded');

create function orders_enforce_transition() returns trigger language plpgsql as $$
begin
    if new.status is distinct from old.status and not exists (
        select 1 from order_status_transitions where from_status = old.status and to_status = new.status
    ) then
        raise exception 'an order cannot go from % to %', old.status, new.status
            using errcode = 'check_violation', constraint = 'orders_status_transition_check';
    end if;
    return new;
end $$;
create trigger orders_status_transition before update of status on orders
    for each row execute function orders_enforce_transition();

-- One placement per shopper and key (a double click or a retried request finds the first).
alter table orders drop constraint orders_idempotency_key_key;
create unique index orders_user_idempotency_idx on orders (user_id, idempotency_key);

-- Background work, claimed with `for update skip locked` so several instances share it. A
-- claimed job is leased (run_at moves forward); a crash leaves it to be retried later.
create table jobs (
    id          uuid primary key default uuid_generate_v7(),
    kind        text not null,
    payload     jsonb not null,
    run_at      timestamptz not null default now(),
    attempts    integer not null default 0,
    max_attempts integer not null default 10,
    last_error  text,
    done_at     timestamptz,
    failed_at   timestamptz,
    created_at  timestamptz not null default now(),
    constraint jobs_attempts_check check (attempts >= 0)
);
create index jobs_due_idx on jobs (run_at) where done_at is null and failed_at is null;

create index payments_order_provider_idx on payments (order_id, provider, created_at desc);
