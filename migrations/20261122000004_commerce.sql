-- Addresses, carts, coupons, orders, inventory reservations, payments and refunds.

create table countries (
    id         uuid primary key default uuid_generate_v7(),
    code       char(2) not null,
    name       text not null,
    phone_code text not null default '',
    is_active  boolean not null default true,
    sort_order integer not null default 0,
    constraint countries_code_key unique (code),
    constraint countries_code_check check (code ~ '^[A-Z]{2}$')
);

create table states (
    id         uuid primary key default uuid_generate_v7(),
    country_id uuid not null,
    code       text not null default '',
    name       text not null,
    is_active  boolean not null default true,
    constraint states_country_name_key unique (country_id, name),
    constraint states_country_id_fkey foreign key (country_id) references countries (id) on delete cascade
);

create table cities (
    id        uuid primary key default uuid_generate_v7(),
    state_id  uuid not null,
    name      text not null,
    is_active boolean not null default true,
    constraint cities_state_name_key unique (state_id, name),
    constraint cities_state_id_fkey foreign key (state_id) references states (id) on delete cascade
);

create table addresses (
    id                uuid primary key default uuid_generate_v7(),
    user_id           uuid,
    anonymous_user_id uuid,
    label             text not null default '',
    recipient_name    text not null,
    phone             text not null,
    line1             text not null,
    line2             text not null default '',
    city_id           uuid not null,
    postal_code       text not null,
    is_default        boolean not null default false,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint addresses_owner_check check (num_nonnulls(user_id, anonymous_user_id) = 1),
    constraint addresses_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint addresses_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete cascade,
    constraint addresses_city_id_fkey foreign key (city_id) references cities (id) on delete restrict
);
select manage_updated_at('addresses');
create index addresses_user_id_idx on addresses (user_id) where user_id is not null;
create index addresses_anonymous_user_id_idx on addresses (anonymous_user_id) where anonymous_user_id is not null;
create unique index addresses_one_default_per_user_idx on addresses (user_id) where is_default and user_id is not null;
create unique index addresses_one_default_per_anonymous_idx on addresses (anonymous_user_id) where is_default and anonymous_user_id is not null;

-- A cart belongs to a user, an anonymous shopper, or (cookies rejected) only to the
-- session that holds its id.
create table carts (
    id                uuid primary key default uuid_generate_v7(),
    user_id           uuid,
    anonymous_user_id uuid,
    currency          char(3) not null default 'USD',
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint carts_owner_check check (num_nonnulls(user_id, anonymous_user_id) <= 1),
    constraint carts_user_id_key unique (user_id),
    constraint carts_anonymous_user_id_key unique (anonymous_user_id),
    constraint carts_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint carts_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete cascade
);
select manage_updated_at('carts');

create table cart_items (
    id              uuid primary key default uuid_generate_v7(),
    cart_id         uuid not null,
    product_size_id uuid not null,
    quantity        integer not null,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint cart_items_quantity_check check (quantity > 0),
    constraint cart_items_cart_variant_key unique (cart_id, product_size_id),
    constraint cart_items_cart_id_fkey foreign key (cart_id) references carts (id) on delete cascade,
    constraint cart_items_product_size_id_fkey foreign key (product_size_id) references product_sizes (id) on delete cascade
);
select manage_updated_at('cart_items');

create table coupons (
    id                uuid primary key default uuid_generate_v7(),
    code              citext not null,
    description       text not null default '',
    kind              text not null,
    -- Percent (1-100) for 'percent', minor units for 'fixed'.
    value             bigint not null,
    currency          char(3) not null default 'USD',
    min_order_minor   bigint not null default 0,
    starts_at         timestamptz,
    expires_at        timestamptz,
    usage_limit       integer,
    per_user_limit    integer,
    times_used        integer not null default 0,
    is_active         boolean not null default true,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint coupons_code_key unique (code),
    constraint coupons_kind_check check (kind in ('percent', 'fixed')),
    constraint coupons_value_check check (value > 0 and (kind <> 'percent' or value <= 100)),
    constraint coupons_min_order_check check (min_order_minor >= 0),
    constraint coupons_window_check check (starts_at is null or expires_at is null or starts_at < expires_at),
    constraint coupons_limits_check check ((usage_limit is null or usage_limit > 0) and (per_user_limit is null or per_user_limit > 0)),
    constraint coupons_times_used_check check (times_used >= 0 and (usage_limit is null or times_used <= usage_limit))
);
select manage_updated_at('coupons');

create sequence order_number_seq start 100001;

create table orders (
    id                uuid primary key default uuid_generate_v7(),
    number            bigint not null default nextval('order_number_seq'),
    user_id           uuid,
    status            text not null default 'pending',
    currency          char(3) not null default 'USD',
    subtotal_minor    bigint not null,
    discount_minor    bigint not null default 0,
    shipping_minor    bigint not null default 0,
    tax_minor         bigint not null default 0,
    total_minor       bigint not null,
    coupon_id         uuid,
    email             citext not null,
    phone             text not null,
    -- The address as it was when the order was placed; later edits don't change history.
    shipping_address  jsonb not null,
    payment_method    text not null,
    idempotency_key   text not null,
    -- Unpaid orders release their stock after this moment.
    reserved_until    timestamptz,
    placed_at         timestamptz not null default now(),
    paid_at           timestamptz,
    cancelled_at      timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint orders_number_key unique (number),
    constraint orders_idempotency_key_key unique (idempotency_key),
    constraint orders_user_id_fkey foreign key (user_id) references users (id) on delete set null,
    constraint orders_coupon_id_fkey foreign key (coupon_id) references coupons (id) on delete set null,
    constraint orders_status_check check (status in
        ('pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded')),
    constraint orders_payment_method_check check (payment_method in ('stripe', 'cash_on_delivery', 'bank_transfer')),
    constraint orders_amounts_check check (subtotal_minor >= 0 and discount_minor >= 0 and shipping_minor >= 0
        and tax_minor >= 0 and discount_minor <= subtotal_minor),
    constraint orders_total_check check (total_minor = subtotal_minor - discount_minor + shipping_minor + tax_minor)
);
select manage_updated_at('orders');
create index orders_user_id_idx on orders (user_id, placed_at desc);
create index orders_status_idx on orders (status, placed_at desc);
create index orders_unpaid_expiry_idx on orders (reserved_until) where status = 'pending';

create table order_items (
    id               uuid primary key default uuid_generate_v7(),
    order_id         uuid not null,
    product_id       uuid,
    product_size_id  uuid,
    product_name     text not null,
    colour_name      text not null,
    size_label       text not null,
    sku              text not null,
    unit_price_minor bigint not null,
    quantity         integer not null,
    line_total_minor bigint not null,
    constraint order_items_quantity_check check (quantity > 0),
    constraint order_items_price_check check (unit_price_minor >= 0),
    constraint order_items_line_total_check check (line_total_minor = unit_price_minor * quantity),
    constraint order_items_order_id_fkey foreign key (order_id) references orders (id) on delete cascade,
    constraint order_items_product_id_fkey foreign key (product_id) references products (id) on delete set null,
    constraint order_items_product_size_id_fkey foreign key (product_size_id) references product_sizes (id) on delete set null
);
create index order_items_order_id_idx on order_items (order_id);
create index order_items_product_id_idx on order_items (product_id);

create table order_status_history (
    id            uuid primary key default uuid_generate_v7(),
    order_id      uuid not null,
    from_status   text,
    to_status     text not null,
    actor_kind    text not null,
    actor_user_id uuid,
    note          text not null default '',
    created_at    timestamptz not null default now(),
    constraint order_status_history_order_id_fkey foreign key (order_id) references orders (id) on delete cascade,
    constraint order_status_history_actor_user_id_fkey foreign key (actor_user_id) references users (id) on delete set null,
    constraint order_status_history_actor_kind_check check (actor_kind in ('customer', 'staff', 'system', 'payment_provider')),
    constraint order_status_history_to_status_check check (to_status in
        ('pending', 'paid', 'processing', 'shipped', 'delivered', 'cancelled', 'refunded'))
);
create index order_status_history_order_id_idx on order_status_history (order_id, created_at);

-- Units held for an unpaid order; released on payment (consumed), expiry or cancellation.
create table inventory_reservations (
    id              uuid primary key default uuid_generate_v7(),
    order_id        uuid not null,
    product_size_id uuid not null,
    quantity        integer not null,
    expires_at      timestamptz not null,
    released_at     timestamptz,
    created_at      timestamptz not null default now(),
    constraint inventory_reservations_quantity_check check (quantity > 0),
    constraint inventory_reservations_order_variant_key unique (order_id, product_size_id),
    constraint inventory_reservations_order_id_fkey foreign key (order_id) references orders (id) on delete cascade,
    constraint inventory_reservations_product_size_id_fkey foreign key (product_size_id) references product_sizes (id) on delete cascade
);
create index inventory_reservations_open_idx on inventory_reservations (expires_at) where released_at is null;

create table coupon_redemptions (
    id             uuid primary key default uuid_generate_v7(),
    coupon_id      uuid not null,
    order_id       uuid not null,
    user_id        uuid,
    discount_minor bigint not null,
    created_at     timestamptz not null default now(),
    constraint coupon_redemptions_order_id_key unique (order_id),
    constraint coupon_redemptions_discount_check check (discount_minor >= 0),
    constraint coupon_redemptions_coupon_id_fkey foreign key (coupon_id) references coupons (id) on delete cascade,
    constraint coupon_redemptions_order_id_fkey foreign key (order_id) references orders (id) on delete cascade,
    constraint coupon_redemptions_user_id_fkey foreign key (user_id) references users (id) on delete set null
);
create index coupon_redemptions_coupon_user_idx on coupon_redemptions (coupon_id, user_id);

create table payments (
    id           uuid primary key default uuid_generate_v7(),
    order_id     uuid not null,
    provider     text not null,
    provider_ref text,
    status       text not null default 'pending',
    amount_minor bigint not null,
    currency     char(3) not null,
    refunded_minor bigint not null default 0,
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    constraint payments_provider_ref_key unique (provider, provider_ref),
    constraint payments_order_id_fkey foreign key (order_id) references orders (id) on delete cascade,
    constraint payments_provider_check check (provider in ('stripe', 'cash_on_delivery', 'bank_transfer')),
    constraint payments_status_check check (status in
        ('pending', 'succeeded', 'failed', 'cancelled', 'refunded', 'partially_refunded')),
    constraint payments_amount_check check (amount_minor >= 0 and refunded_minor >= 0 and refunded_minor <= amount_minor)
);
select manage_updated_at('payments');
create index payments_order_id_idx on payments (order_id);

create table refunds (
    id            uuid primary key default uuid_generate_v7(),
    payment_id    uuid not null,
    amount_minor  bigint not null,
    reason        text not null default '',
    status        text not null default 'pending',
    provider_ref  text,
    actor_user_id uuid,
    created_at    timestamptz not null default now(),
    updated_at    timestamptz not null default now(),
    constraint refunds_amount_check check (amount_minor > 0),
    constraint refunds_status_check check (status in ('pending', 'succeeded', 'failed')),
    constraint refunds_payment_id_fkey foreign key (payment_id) references payments (id) on delete cascade,
    constraint refunds_actor_user_id_fkey foreign key (actor_user_id) references users (id) on delete set null
);
select manage_updated_at('refunds');
create index refunds_payment_id_idx on refunds (payment_id);

-- Webhook events already handled: a repeated delivery is recognised and ignored.
create table payment_events (
    id           uuid primary key default uuid_generate_v7(),
    provider     text not null,
    event_id     text not null,
    event_type   text not null,
    payload      jsonb not null,
    processed_at timestamptz,
    created_at   timestamptz not null default now(),
    constraint payment_events_provider_event_key unique (provider, event_id)
);
