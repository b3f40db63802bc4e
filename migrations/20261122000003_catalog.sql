-- Catalogue: categories, products with colour/size variants and stock, collections,
-- lookbooks, reviews, wishlists. Money is bigint minor units with an ISO currency.

create table categories (
    id          uuid primary key default uuid_generate_v7(),
    parent_id   uuid,
    name        text not null,
    slug        text not null,
    description text not null default '',
    image_url   text,
    sort_order  integer not null default 0,
    is_active   boolean not null default true,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint categories_slug_key unique (slug),
    constraint categories_slug_format_check check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    constraint categories_parent_id_fkey foreign key (parent_id) references categories (id) on delete set null
);
select manage_updated_at('categories');

create table products (
    id                   uuid primary key default uuid_generate_v7(),
    name                 text not null,
    slug                 text not null,
    description          text not null default '',
    brand                text not null default '',
    currency             char(3) not null default 'USD',
    price_minor          bigint not null,
    -- The sale price; when set it is what the shopper pays.
    price_override_minor bigint,
    -- What the shopper pays now: used by price facets and sorting.
    effective_price_minor bigint generated always as (coalesce(price_override_minor, price_minor)) stored,
    is_active            boolean not null default true,
    is_featured          boolean not null default false,
    -- Kept current by the application so listings can sort without aggregating.
    rating_count         integer not null default 0,
    rating_sum           integer not null default 0,
    sold_count           integer not null default 0,
    search_document      tsvector generated always as (
        setweight(to_tsvector('english', name), 'A') ||
        setweight(to_tsvector('english', brand), 'B') ||
        setweight(to_tsvector('english', description), 'C')
    ) stored,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    deleted_at           timestamptz,
    constraint products_slug_key unique (slug),
    constraint products_slug_format_check check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    constraint products_name_check check (length(trim(name)) > 0),
    constraint products_currency_check check (currency ~ '^[A-Z]{3}$'),
    constraint products_price_check check (price_minor >= 0),
    constraint products_price_override_check check (
        price_override_minor is null or (price_override_minor >= 0 and price_override_minor < price_minor)),
    constraint products_rating_check check (rating_count >= 0 and rating_sum between rating_count and rating_count * 5),
    constraint products_sold_count_check check (sold_count >= 0)
);
select manage_updated_at('products');
-- Listings only ever show live products; partial indexes keep them small.
create index products_live_newest_idx on products (created_at desc, id desc) where is_active and deleted_at is null;
create index products_live_price_idx on products (effective_price_minor, id) where is_active and deleted_at is null;
create index products_live_sold_idx on products (sold_count desc, id) where is_active and deleted_at is null;
create index products_search_document_idx on products using gin (search_document);
create index products_name_trgm_idx on products using gin (name gin_trgm_ops);

create table product_categories (
    product_id  uuid not null,
    category_id uuid not null,
    constraint product_categories_pkey primary key (category_id, product_id),
    constraint product_categories_product_id_fkey foreign key (product_id) references products (id) on delete cascade,
    constraint product_categories_category_id_fkey foreign key (category_id) references categories (id) on delete cascade
);
create index product_categories_product_id_idx on product_categories (product_id);

create table colours (
    id         uuid primary key default uuid_generate_v7(),
    name       text not null,
    slug       text not null,
    hex        text not null,
    sort_order integer not null default 0,
    constraint colours_slug_key unique (slug),
    constraint colours_hex_check check (hex ~ '^#[0-9a-f]{6}$')
);

-- A size is also a capacity or an edition for tech products.
create table sizes (
    id         uuid primary key default uuid_generate_v7(),
    label      text not null,
    slug       text not null,
    kind       text not null default 'apparel',
    sort_order integer not null default 0,
    constraint sizes_slug_key unique (slug),
    constraint sizes_kind_check check (kind in ('apparel', 'footwear', 'capacity', 'edition', 'one_size'))
);

create table product_colours (
    id         uuid primary key default uuid_generate_v7(),
    product_id uuid not null,
    colour_id  uuid not null,
    sort_order integer not null default 0,
    constraint product_colours_product_colour_key unique (product_id, colour_id),
    constraint product_colours_product_id_fkey foreign key (product_id) references products (id) on delete cascade,
    constraint product_colours_colour_id_fkey foreign key (colour_id) references colours (id) on delete restrict
);
create index product_colours_colour_id_idx on product_colours (colour_id, product_id);

create table product_colour_images (
    id                uuid primary key default uuid_generate_v7(),
    product_colour_id uuid not null,
    url               text not null,
    alt_text          text not null,
    is_primary        boolean not null default false,
    width             integer,
    height            integer,
    sort_order        integer not null default 0,
    created_at        timestamptz not null default now(),
    constraint product_colour_images_product_colour_id_fkey foreign key (product_colour_id) references product_colours (id) on delete cascade,
    constraint product_colour_images_alt_text_check check (length(trim(alt_text)) > 0)
);
create index product_colour_images_product_colour_id_idx on product_colour_images (product_colour_id, sort_order);
create unique index product_colour_images_one_primary_idx on product_colour_images (product_colour_id) where is_primary;

-- Stock is held per colour + size. `reserved` counts units held by unpaid orders.
create table product_sizes (
    id                uuid primary key default uuid_generate_v7(),
    product_colour_id uuid not null,
    size_id           uuid not null,
    sku               text not null,
    stock             integer not null default 0,
    reserved          integer not null default 0,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint product_sizes_sku_key unique (sku),
    constraint product_sizes_colour_size_key unique (product_colour_id, size_id),
    constraint product_sizes_product_colour_id_fkey foreign key (product_colour_id) references product_colours (id) on delete cascade,
    constraint product_sizes_size_id_fkey foreign key (size_id) references sizes (id) on delete restrict,
    -- Checks run in name order: stock_check reports a negative stock before stock_reserved_check.
    constraint product_sizes_stock_check check (stock >= 0),
    constraint product_sizes_stock_reserved_check check (reserved >= 0 and reserved <= stock)
);
select manage_updated_at('product_sizes');
create index product_sizes_size_id_idx on product_sizes (size_id, product_colour_id) where stock > reserved;

create table collections (
    id          uuid primary key default uuid_generate_v7(),
    name        text not null,
    slug        text not null,
    description text not null default '',
    image_url   text,
    is_active   boolean not null default true,
    is_featured boolean not null default false,
    sort_order  integer not null default 0,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint collections_slug_key unique (slug),
    constraint collections_slug_format_check check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);
select manage_updated_at('collections');

create table collection_products (
    collection_id uuid not null,
    product_id    uuid not null,
    sort_order    integer not null default 0,
    constraint collection_products_pkey primary key (collection_id, product_id),
    constraint collection_products_collection_id_fkey foreign key (collection_id) references collections (id) on delete cascade,
    constraint collection_products_product_id_fkey foreign key (product_id) references products (id) on delete cascade
);
create index collection_products_product_id_idx on collection_products (product_id);

create table lookbooks (
    id              uuid primary key default uuid_generate_v7(),
    title           text not null,
    slug            text not null,
    description     text not null default '',
    cover_image_url text,
    is_active       boolean not null default true,
    published_at    timestamptz,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    constraint lookbooks_slug_key unique (slug),
    constraint lookbooks_slug_format_check check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$')
);
select manage_updated_at('lookbooks');

create table lookbook_items (
    lookbook_id uuid not null,
    product_id  uuid not null,
    sort_order  integer not null default 0,
    caption     text not null default '',
    constraint lookbook_items_pkey primary key (lookbook_id, product_id),
    constraint lookbook_items_lookbook_id_fkey foreign key (lookbook_id) references lookbooks (id) on delete cascade,
    constraint lookbook_items_product_id_fkey foreign key (product_id) references products (id) on delete cascade
);

-- Exactly one owner: a signed-in user or an anonymous shopper (merged at sign-in).
create table wishlist_items (
    id                uuid primary key default uuid_generate_v7(),
    user_id           uuid,
    anonymous_user_id uuid,
    product_id        uuid not null,
    created_at        timestamptz not null default now(),
    constraint wishlist_items_owner_check check (num_nonnulls(user_id, anonymous_user_id) = 1),
    constraint wishlist_items_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint wishlist_items_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete cascade,
    constraint wishlist_items_product_id_fkey foreign key (product_id) references products (id) on delete cascade,
    constraint wishlist_items_user_product_key unique (user_id, product_id),
    constraint wishlist_items_anonymous_product_key unique (anonymous_user_id, product_id)
);

create table reviews (
    id         uuid primary key default uuid_generate_v7(),
    product_id uuid not null,
    user_id    uuid not null,
    rating     smallint not null,
    title      text not null default '',
    comment    text not null default '',
    status     text not null default 'pending',
    helpful_count integer not null default 0,
    moderated_by uuid,
    moderated_at timestamptz,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint reviews_rating_check check (rating between 1 and 5),
    constraint reviews_status_check check (status in ('pending', 'approved', 'rejected')),
    constraint reviews_product_user_key unique (product_id, user_id),
    constraint reviews_product_id_fkey foreign key (product_id) references products (id) on delete cascade,
    constraint reviews_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint reviews_moderated_by_fkey foreign key (moderated_by) references users (id) on delete set null
);
select manage_updated_at('reviews');
create index reviews_product_approved_idx on reviews (product_id, created_at desc) where status = 'approved';
create index reviews_pending_idx on reviews (created_at) where status = 'pending';

create table review_helpful_votes (
    review_id  uuid not null,
    user_id    uuid not null,
    created_at timestamptz not null default now(),
    constraint review_helpful_votes_pkey primary key (review_id, user_id),
    constraint review_helpful_votes_review_id_fkey foreign key (review_id) references reviews (id) on delete cascade,
    constraint review_helpful_votes_user_id_fkey foreign key (user_id) references users (id) on delete cascade
);
