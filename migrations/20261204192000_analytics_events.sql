-- The funnel's events, recorded only for visitors who allowed analytics: a visit (once per
-- visitor and day), a product page seen, a size added to the cart, checkout opened, an
-- order placed. The names are the store's `analytics::Event`.
alter table analytics_events add constraint analytics_events_name_check
    check (name in ('visit', 'product_view', 'cart_add', 'checkout_start', 'order_placed'));
