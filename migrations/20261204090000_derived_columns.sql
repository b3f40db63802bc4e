-- Two rules that queries used to spell out again and again get one home in the schema:
-- what a size can still sell (its stock less what unpaid orders hold), and whether a
-- product is live in the store (active and not deleted).
alter table product_sizes add column available integer generated always as (stock - reserved) stored;
alter table products add column is_live boolean generated always as (is_active and deleted_at is null) stored;

-- The storefront's listing indexes, on the one live flag that the listing queries name.
drop index products_live_newest_idx;
drop index products_live_price_idx;
drop index products_live_sold_idx;
create index products_live_newest_idx on products (created_at desc, id desc) where is_live;
create index products_live_price_idx on products (effective_price_minor, id) where is_live;
create index products_live_sold_idx on products (sold_count desc, id) where is_live;
