-- Shared building blocks for every other migration.

create extension if not exists citext;   -- case-insensitive emails and codes
create extension if not exists pg_trgm;  -- typo-tolerant search

-- Time-ordered UUIDs (RFC 9562 v7): sortable like a sequence, unguessable like a UUID.
-- PostgreSQL 15 has no built-in uuidv7(); the application also generates v7 ids itself.
create or replace function uuid_generate_v7() returns uuid
language plpgsql volatile as $$
declare
    ts_ms bigint := floor(extract(epoch from clock_timestamp()) * 1000);
    -- 48-bit millisecond timestamp, then 80 random bits taken from a v4 UUID.
    bytes bytea := decode(lpad(to_hex(ts_ms), 12, '0'), 'hex')
                   || substring(uuid_send(gen_random_uuid()) from 7 for 10);
begin
    bytes := set_byte(bytes, 6, (get_byte(bytes, 6) & 15) | 112);  -- version 7
    bytes := set_byte(bytes, 8, (get_byte(bytes, 8) & 63) | 128);  -- RFC variant
    return encode(bytes, 'hex')::uuid;
end $$;

-- Keeps updated_at current on every UPDATE of a table that opts in with the trigger below.
create or replace function set_updated_at() returns trigger
language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end $$;

-- Adds the updated_at trigger to a table: select manage_updated_at('table');
create or replace function manage_updated_at(tbl regclass) returns void
language plpgsql as $$
begin
    execute format(
        'create trigger set_updated_at before update on %s
         for each row execute function set_updated_at()',
        tbl);
end $$;
