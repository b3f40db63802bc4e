-- Running orders from the dashboard: the carrier beside the tracking number, staff-only
-- notes, refunds line by line (with whether the items went back to stock), and
-- cash-on-delivery orders confirmed by staff before any money arrives.

alter table orders
    add column carrier text,
    add column shipped_at timestamptz,
    add column delivered_at timestamptz,
    add constraint orders_carrier_length_check check (carrier is null or char_length(carrier) between 1 and 60),
    add constraint orders_tracking_length_check check (tracking_number is null or char_length(tracking_number) between 1 and 80);

-- Cash on delivery is paid at the door: staff confirm such an order and ship it unpaid.
-- Which orders may take this step is the application's rule (orders::server::transition).
insert into order_status_transitions (from_status, to_status) values ('pending', 'processing');

-- Notes staff keep about an order; never shown to the customer.
create table order_notes (
    id             uuid primary key default uuid_generate_v7(),
    order_id       uuid not null,
    author_user_id uuid,
    body           text not null,
    created_at     timestamptz not null default now(),
    constraint order_notes_body_check check (char_length(body) between 1 and 2000),
    constraint order_notes_order_id_fkey foreign key (order_id) references orders (id) on delete cascade,
    constraint order_notes_author_user_id_fkey foreign key (author_user_id) references users (id) on delete set null
);
create index order_notes_order_idx on order_notes (order_id, created_at);

-- Which lines a refund covered, and whether those units went back on sale.
create table refund_items (
    refund_id     uuid not null,
    order_item_id uuid not null,
    quantity      integer not null,
    restocked     boolean not null default false,
    constraint refund_items_pkey primary key (refund_id, order_item_id),
    constraint refund_items_quantity_check check (quantity > 0),
    constraint refund_items_refund_id_fkey foreign key (refund_id) references refunds (id) on delete cascade,
    constraint refund_items_order_item_id_fkey foreign key (order_item_id) references order_items (id) on delete cascade
);
create index refund_items_order_item_idx on refund_items (order_item_id);

-- The staff order list: newest first under any filter, and search by email or phone.
create index orders_placed_at_idx on orders (placed_at desc);
create index orders_email_idx on orders (email);
create index orders_phone_idx on orders (phone);
