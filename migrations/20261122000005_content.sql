-- Articles, tags, engagement, banners and newsletter subscribers.

create table articles (
    id                 uuid primary key default uuid_generate_v7(),
    title              text not null,
    slug               text not null,
    excerpt            text not null default '',
    body_markdown      text not null default '',
    -- Rendered and sanitised when saved, so pages never render untrusted HTML.
    body_html          text not null default '',
    featured_image_url text,
    author_id          uuid,
    status             text not null default 'draft',
    -- Scheduling: a published article appears once this moment has passed.
    published_at       timestamptz,
    view_count         integer not null default 0,
    like_count         integer not null default 0,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    deleted_at         timestamptz,
    constraint articles_slug_key unique (slug),
    constraint articles_slug_format_check check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    constraint articles_status_check check (status in ('draft', 'published', 'archived')),
    constraint articles_published_at_check check (status <> 'published' or published_at is not null),
    constraint articles_author_id_fkey foreign key (author_id) references users (id) on delete set null
);
select manage_updated_at('articles');
create index articles_published_idx on articles (published_at desc) where status = 'published' and deleted_at is null;

create table tags (
    id   uuid primary key default uuid_generate_v7(),
    name text not null,
    slug text not null,
    constraint tags_slug_key unique (slug)
);

create table article_tags (
    article_id uuid not null,
    tag_id     uuid not null,
    constraint article_tags_pkey primary key (article_id, tag_id),
    constraint article_tags_article_id_fkey foreign key (article_id) references articles (id) on delete cascade,
    constraint article_tags_tag_id_fkey foreign key (tag_id) references tags (id) on delete cascade
);
create index article_tags_tag_id_idx on article_tags (tag_id);

create table article_views (
    id                uuid primary key default uuid_generate_v7(),
    article_id        uuid not null,
    user_id           uuid,
    anonymous_user_id uuid,
    created_at        timestamptz not null default now(),
    constraint article_views_article_id_fkey foreign key (article_id) references articles (id) on delete cascade,
    constraint article_views_user_id_fkey foreign key (user_id) references users (id) on delete set null,
    constraint article_views_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete set null
);
create index article_views_article_id_idx on article_views (article_id, created_at);

create table article_likes (
    id                uuid primary key default uuid_generate_v7(),
    article_id        uuid not null,
    user_id           uuid,
    anonymous_user_id uuid,
    created_at        timestamptz not null default now(),
    constraint article_likes_owner_check check (num_nonnulls(user_id, anonymous_user_id) = 1),
    constraint article_likes_user_key unique (article_id, user_id),
    constraint article_likes_anonymous_key unique (article_id, anonymous_user_id),
    constraint article_likes_article_id_fkey foreign key (article_id) references articles (id) on delete cascade,
    constraint article_likes_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint article_likes_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete cascade
);

create table article_reads (
    id                uuid primary key default uuid_generate_v7(),
    article_id        uuid not null,
    user_id           uuid,
    anonymous_user_id uuid,
    scroll_percent    smallint not null,
    read_seconds      integer not null default 0,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint article_reads_owner_check check (num_nonnulls(user_id, anonymous_user_id) = 1),
    constraint article_reads_scroll_check check (scroll_percent between 0 and 100),
    constraint article_reads_seconds_check check (read_seconds >= 0),
    constraint article_reads_user_key unique (article_id, user_id),
    constraint article_reads_anonymous_key unique (article_id, anonymous_user_id),
    constraint article_reads_article_id_fkey foreign key (article_id) references articles (id) on delete cascade,
    constraint article_reads_user_id_fkey foreign key (user_id) references users (id) on delete cascade,
    constraint article_reads_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete cascade
);
select manage_updated_at('article_reads');

create table banners (
    id          uuid primary key default uuid_generate_v7(),
    title       text not null,
    subtitle    text not null default '',
    image_url   text not null,
    image_alt   text not null default '',
    button_text text not null default '',
    button_link text not null default '',
    is_active   boolean not null default true,
    sort_order  integer not null default 0,
    starts_at   timestamptz,
    ends_at     timestamptz,
    click_count integer not null default 0,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now(),
    constraint banners_window_check check (starts_at is null or ends_at is null or starts_at < ends_at),
    constraint banners_link_check check (button_link = '' or button_link ~ '^(/|https?://)')
);
select manage_updated_at('banners');
create index banners_active_idx on banners (sort_order) where is_active;

create table banner_clicks (
    id                uuid primary key default uuid_generate_v7(),
    banner_id         uuid not null,
    user_id           uuid,
    anonymous_user_id uuid,
    created_at        timestamptz not null default now(),
    constraint banner_clicks_banner_id_fkey foreign key (banner_id) references banners (id) on delete cascade,
    constraint banner_clicks_user_id_fkey foreign key (user_id) references users (id) on delete set null,
    constraint banner_clicks_anonymous_user_id_fkey foreign key (anonymous_user_id) references anonymous_users (id) on delete set null
);
create index banner_clicks_banner_id_idx on banner_clicks (banner_id, created_at);

create table subscribers (
    id                     uuid primary key default uuid_generate_v7(),
    email                  citext not null,
    status                 text not null default 'pending',
    confirm_token_hash     text,
    unsubscribe_token_hash text not null,
    source                 text not null default 'footer',
    confirmed_at           timestamptz,
    unsubscribed_at        timestamptz,
    created_at             timestamptz not null default now(),
    updated_at             timestamptz not null default now(),
    constraint subscribers_email_key unique (email),
    constraint subscribers_status_check check (status in ('pending', 'confirmed', 'unsubscribed')),
    constraint subscribers_confirm_token_hash_key unique (confirm_token_hash),
    constraint subscribers_unsubscribe_token_hash_key unique (unsubscribe_token_hash)
);
select manage_updated_at('subscribers');
