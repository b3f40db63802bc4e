-- The article editor: an SEO description, a featured image made by the image pipeline
-- (its variants' widths and storage key, like product images, and its alt text), old
-- slugs that keep answering with a redirect, and the staff list's order.

alter table articles
    add column seo_description       text not null default '',
    add column featured_image_alt    text not null default '',
    add column featured_image_key    text,
    add column featured_image_widths integer[] not null default '{}',
    add constraint articles_seo_description_check check (length(seo_description) <= 170),
    add constraint articles_excerpt_check check (length(excerpt) <= 300),
    add constraint articles_title_check check (length(btrim(title)) between 1 and 200);

create table article_slug_history (
    slug       text primary key,
    article_id uuid not null,
    retired_at timestamptz not null default now(),
    constraint article_slug_history_article_id_fkey foreign key (article_id) references articles (id) on delete cascade
);
create index article_slug_history_article_id_idx on article_slug_history (article_id);

create index articles_staff_updated_idx on articles (updated_at desc, id desc);

-- Tags are made on the fly from what staff type; their slugs follow the articles' rule.
alter table tags
    add constraint tags_slug_format_check check (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    add constraint tags_name_check check (length(btrim(name)) between 1 and 40);

-- Counting a view or a like is not an edit: it leaves `updated_at` (the sitemap's lastmod,
-- the staff list's "last change") as it was.
create or replace function articles_set_updated_at() returns trigger
language plpgsql as $$
begin
    if new.view_count is distinct from old.view_count or new.like_count is distinct from old.like_count then
        return new;
    end if;
    new.updated_at := now();
    return new;
end $$;
drop trigger set_updated_at on articles;
create trigger set_updated_at before update on articles for each row execute function articles_set_updated_at();
