-- The staff customer list: search by any part of a name, email or phone (trigram indexes
-- serve `ilike '%…%'`), and its sorts by name, joined and last active, over the accounts
-- that are not deleted.
create index users_name_trgm_idx on users using gin (name gin_trgm_ops) where deleted_at is null;
create index users_email_trgm_idx on users using gin ((email::text) gin_trgm_ops) where deleted_at is null;
create index users_phone_trgm_idx on users using gin (phone gin_trgm_ops) where deleted_at is null;
create index users_name_idx on users (name, id) where deleted_at is null;
create index users_joined_idx on users (created_at desc, id desc) where deleted_at is null;
create index user_metrics_last_active_idx on user_metrics (last_active_at desc nulls last, user_id);
