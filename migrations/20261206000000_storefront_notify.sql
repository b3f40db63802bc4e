-- Whole storefront pages are kept in memory for visitors without a session
-- (src/server/page_cache.rs). Beside the catalogue (which sends `catalog_changed`), those
-- pages show banners, journal articles and reviews with their authors' names and pictures.
-- A change to any of them sends `storefront_changed`, which empties the page cache of every
-- instance but leaves the catalogue's data cache alone. Per statement, as for the catalogue.
create or replace function notify_channel() returns trigger
language plpgsql as $$
begin
    perform pg_notify(tg_argv[0], tg_table_name);
    return null;
end
$$;

-- Counters (a banner's clicks, an article's views and likes) change on every visit and are
-- not on the kept pages, so they stay quiet.
create trigger banners_notify_storefront_changed after insert or delete or truncate on banners
    for each statement execute function notify_channel('storefront_changed');
create trigger banners_edited_notify_storefront_changed
    after update of title, subtitle, image_url, image_alt, image_widths, button_text, button_link, is_active, sort_order, starts_at, ends_at
    on banners for each statement execute function notify_channel('storefront_changed');
create trigger articles_notify_storefront_changed after insert or delete or truncate on articles
    for each statement execute function notify_channel('storefront_changed');
create trigger articles_edited_notify_storefront_changed
    after update of title, slug, excerpt, featured_image_url, featured_image_alt, featured_image_widths, author_id, status, published_at, deleted_at
    on articles for each statement execute function notify_channel('storefront_changed');
create trigger article_tags_notify_storefront_changed after insert or update or delete or truncate on article_tags
    for each statement execute function notify_channel('storefront_changed');
create trigger tags_notify_storefront_changed after insert or update or delete or truncate on tags
    for each statement execute function notify_channel('storefront_changed');
create trigger reviews_notify_storefront_changed after insert or update or delete or truncate on reviews
    for each statement execute function notify_channel('storefront_changed');
-- Only what a review shows of its author: sign-ins and other account writes stay quiet.
create trigger users_notify_storefront_changed after update of name, avatar_url, deleted_at on users
    for each statement execute function notify_channel('storefront_changed');
