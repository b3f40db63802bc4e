-- The money path, tightened: a card payment remembers the Checkout Session it was opened
-- with (so only the store's own sessions, for their own order and amount, can pay it, and
-- a retry continues the open session instead of opening a second one), and one-time codes
-- are bound to the browser session that asked for them.

alter table payments
    -- `cs_…`: the Checkout Session; `provider_ref` becomes the payment intent once paid.
    add column checkout_session_id text,
    add column checkout_url text,
    add column session_expires_at timestamptz,
    add constraint payments_checkout_session_key unique (checkout_session_id);

-- Rows written before this migration kept the session id in provider_ref.
update payments set checkout_session_id = provider_ref where provider = 'stripe' and provider_ref like 'cs_%';

-- A keyed hash of a random value kept in the session that asked for the code: a code
-- texted to one browser cannot be redeemed from another. Links (opened from a mailbox,
-- often in another browser) carry no binding.
alter table auth_requests add column binding_hash text;
