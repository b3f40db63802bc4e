-- Every app instance keeps the storefront's catalogue reads in memory (src/catalog/cache.rs)
-- and forgets them when it hears `catalog_changed`. Triggers send it, so a change reaches
-- every instance whoever makes it: the dashboard, an import, checkout reserving stock,
-- a refund restocking, or someone at a SQL console. Per statement, and PostgreSQL folds
-- identical notifications of one transaction into one, delivered at commit.
create or replace function notify_catalog_changed() returns trigger
language plpgsql as $$
begin
    perform pg_notify('catalog_changed', tg_table_name);
    return null;
end
$$;

do $$
declare
    t text;
begin
    foreach t in array array[
        'products', 'product_categories', 'product_colours', 'product_colour_images', 'product_sizes',
        'product_slug_history', 'categories', 'colours', 'sizes', 'collections', 'collection_products',
        'lookbooks', 'lookbook_items'
    ] loop
        execute format(
            'create trigger %I after insert or update or delete or truncate on %I
             for each statement execute function notify_catalog_changed()',
            t || '_notify_catalog_changed', t);
    end loop;
end
$$;
