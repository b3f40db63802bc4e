-- Newsletter double opt-in. A confirmation link's token is made by the job that mails it;
-- only its keyed hash is stored (`confirm_token_hash`), valid until `confirm_expires_at`.
-- `confirm_requested_at` is when the latest confirmation mail was asked for. After
-- confirming, the hash stays, so a second click on the same link is recognised (and
-- changes nothing); unsubscribing clears it, so an old link never subscribes again.
alter table subscribers
    add column confirm_expires_at   timestamptz,
    add column confirm_requested_at timestamptz,
    add constraint subscribers_source_check check (source in ('footer', 'page')) not valid,
    add constraint subscribers_confirmed_check check (status <> 'confirmed' or confirmed_at is not null) not valid;

-- The staff list: by state, newest first.
create index subscribers_status_created_idx on subscribers (status, created_at desc);
create index subscribers_created_idx on subscribers (created_at desc);
