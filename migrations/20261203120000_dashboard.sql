-- The staff dashboard: an audit log of every staff change, product SEO fields, and old
-- product slugs that keep answering with a redirect to the new one.

-- The audit log kept review moderation only, with free-form details; it now keeps every
-- staff change with the values before and after, who (by email too, should the account go)
-- and from which address. Existing entries are carried over.
alter table audit_log rename column entity_type to entity_kind;
alter table audit_log rename column created_at to at;
alter table audit_log rename column ip to client_ip;
alter table audit_log alter column client_ip type text using host(client_ip);
alter table audit_log alter column entity_id type text using coalesce(entity_id::text, '');
alter table audit_log alter column entity_id set not null;
alter table audit_log
    add column actor_email text not null default '',
    add column before jsonb,
    add column after jsonb;
update audit_log a set actor_email = coalesce(u.email::text, '') from users u where u.id = a.actor_user_id;
update audit_log set after = nullif(details, '{}'::jsonb),
                     action = replace(replace(action, entity_kind || '.', ''), '.', '_');
alter table audit_log drop column details;
alter table audit_log
    add constraint audit_log_action_check check (action ~ '^[a-z_]+$'),
    add constraint audit_log_entity_kind_check check (entity_kind ~ '^[a-z_]+$');
drop index audit_log_entity_idx;
drop index audit_log_created_at_idx;
create index audit_log_at_idx on audit_log (at desc, id desc);
create index audit_log_entity_idx on audit_log (entity_kind, entity_id, at desc);
create index audit_log_actor_idx on audit_log (actor_user_id, at desc);

alter table products
    add column seo_title       text not null default '',
    add column seo_description text not null default '',
    add constraint products_seo_title_check check (length(seo_title) <= 70),
    add constraint products_seo_description_check check (length(seo_description) <= 170);

create table product_slug_history (
    slug       text primary key,
    product_id uuid not null,
    retired_at timestamptz not null default now(),
    constraint product_slug_history_product_id_fkey foreign key (product_id) references products (id) on delete cascade
);
create index product_slug_history_product_id_idx on product_slug_history (product_id);

-- Staff lists sort and filter every product, live or not.
create index products_staff_updated_idx on products (updated_at desc, id desc);
