-- Banners managed from the dashboard: an uploaded image keeps its resized variants (the
-- widths beside its largest JPEG) and where its files are kept, so replacing or deleting it
-- removes them; the button's link is a path on this site or an https address; and every
-- day's impressions are counted per banner.
alter table banners
    add column image_widths      integer[] not null default '{}',
    add column image_storage_key text;

-- Stricter than before: no plain http, no protocol-relative `//host` and no backslash
-- tricks (`/\host`). Rows written before are left as they are (`not valid`); the editor
-- checks the same rule, and more, on every save.
alter table banners drop constraint banners_link_check;
alter table banners add constraint banners_link_check
    check (button_link = '' or button_link ~ '^/($|[^/\\])' or button_link ~ '^https://[^/\\]') not valid;
alter table banners add constraint banners_button_check check ((button_text = '') = (button_link = '')) not valid;
alter table banners add constraint banners_title_check check (char_length(title) between 1 and 120) not valid;

-- Impressions: counted when the home page shows a banner to a visitor who allowed
-- analytics. One row per banner, day and shard, upserted; the views of a busy day are
-- spread over a few shards so they do not queue on one row's lock.
create table banner_impressions (
    banner_id uuid     not null,
    day       date     not null,
    shard     smallint not null default 0,
    count     bigint   not null default 0,
    constraint banner_impressions_pkey primary key (banner_id, day, shard),
    constraint banner_impressions_shard_check check (shard between 0 and 7),
    constraint banner_impressions_count_check check (count >= 0),
    constraint banner_impressions_banner_id_fkey foreign key (banner_id) references banners (id) on delete cascade
);
create index banner_impressions_day_idx on banner_impressions (day);
