#!/usr/bin/env bash
# Fault drills (not a speed benchmark): what the store does when PostgreSQL or Redis restarts
# under load, when the process placing orders is killed with SIGKILL, when two instances
# share one PostgreSQL and Redis, and when SIGTERM comes with a request in flight. Prints
# what it did and what it found, and exits non-zero when a request hung or answered 500,
# when anything was lost or half written, or when a stop was not graceful.
#   bench/faults.sh            the full drills (a few minutes)
#   bench/faults.sh --short    short forms, run by scripts/test
# It restarts this machine's PostgreSQL and Redis: run it where nothing else needs them.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
source scripts/bootstrap.sh >/dev/null

SHORT=""; [ "${1:-}" = "--short" ] && SHORT=1
LOAD_SECONDS=$([ -n "$SHORT" ] && echo 8 || echo 30)
BUYERS=$([ -n "$SHORT" ] && echo 600 || echo 4000)
BIN="$CARGO_TARGET_DIR/debug/larkspur"
ORDERS_BIN="$CARGO_TARGET_DIR/debug/examples/place_orders"
[ -x "$BIN" ] && [ -x "$ORDERS_BIN" ] || { echo "build first: cargo build --features ssr --bin larkspur --example place_orders" >&2; exit 2; }

DB=larkspur_faults
PG="postgres://postgres@127.0.0.1:5432"
WORK="$(mktemp -d)"
FOUND=0
say() { printf '%s\n' "$*"; }
bad() { say "  PROBLEM: $*"; FOUND=1; }
q() { psql "$PG/$DB" -qtAc "$1"; }
PG_VERSION="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -1)"
SUDO=""; [ "$(id -u)" != "0" ] && SUDO="sudo"

PIDS=()
# The servers' logs stay in $CARGO_TARGET_DIR/faults-logs when a drill found a problem.
cleanup() {
  kill "${PIDS[@]}" 2>/dev/null || true; wait 2>/dev/null || true
  if [ "$FOUND" != 0 ]; then rm -rf "$CARGO_TARGET_DIR/faults-logs"; mkdir -p "$CARGO_TARGET_DIR/faults-logs"; cp "$WORK"/*.log "$CARGO_TARGET_DIR/faults-logs/" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

psql "$PG/postgres" -qc "drop database if exists $DB with (force)"
createdb -h 127.0.0.1 -U postgres "$DB"
# Mail goes to the outbox directory (a mail server of the caller's may be gone by now).
unset SMTP_URL
export DATABASE_URL="$PG/$DB" RUST_LOG=warn,larkspur=warn
export MEDIA_DIR="$WORK/media" OUTBOX_DIR="$WORK/outbox" REDIS_KEY_PREFIX="faults-$$:"
# Each drill's floods come from an address of their own (X-Forwarded-For, as behind a proxy),
# and six cookie choices a minute are allowed per address, so a shared count is easy to tell.
export TRUST_PROXY=true LIMIT_CONSENT_PER_MINUTE=6
# Card payments configured, so the webhook drill has an endpoint; nothing here calls Stripe.
WEBHOOK_SECRET=whsec_faults_drill
export STRIPE_SECRET_KEY=sk_test_faults STRIPE_WEBHOOK_SECRET=$WEBHOOK_SECRET STRIPE_API_BASE=http://127.0.0.1:9
"$BIN" seed --demo >/dev/null

# Starts an instance on `port` (with `grace` seconds to finish at SIGTERM, 2 unless given),
# logging to $WORK/server-<port>.log, and waits until ready.
start() {
  local port=$1 grace=${2:-2}
  LISTEN_ADDR="127.0.0.1:$port" SITE_URL="http://127.0.0.1:$port" SHUTDOWN_GRACE_SECONDS=$grace \
    "$BIN" serve >>"$WORK/server-$port.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 60); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.5; done
  bad "the instance on $port did not become ready"; return 1
}

# Readers: `n` loops fetching storefront pages (with a cookie jar each, so sessions and
# carts are in play) until $WORK/stop appears; one line per request: status and seconds.
CATEGORY="/c/$(q "select slug from categories where is_active order by slug limit 1")"
URLS=(/ "$CATEGORY" /search?q=linen /journal /cart "/p/$(q "select slug from products where is_live order by slug limit 1")")
load() {
  local port=$1 n=$2 tag=$3
  rm -f "$WORK/stop"
  for i in $(seq 1 "$n"); do
    (
      jar="$WORK/jar-$tag-$i"
      while [ ! -e "$WORK/stop" ]; do
        for url in "${URLS[@]}"; do
          curl -s -o /dev/null -m 10 -b "$jar" -c "$jar" -w '%{http_code} %{time_total} %{url_effective}\n' "http://127.0.0.1:$port$url" || true
        done
      done >>"$WORK/load-$tag.txt"
    ) &
    PIDS+=($!)
  done
}
stop_load() { touch "$WORK/stop"; sleep 1.5; }
tally() {
  local file=$1
  awk '{ n++; s[$1]++; if ($2 + 0 >= 9.5) slow++ } END {
    printf "%d requests:", n; for (k in s) printf " %s×%d", k, s[k]; printf "; over 9.5 s: %d\n", slow + 0 }' "$file"
}
check_load() {
  local file=$1 what=$2
  say "  answers: $(tally "$file")"
  local errors hung
  errors=$(awk '$1 == 500 || $1 == 502' "$file" | wc -l)
  hung=$(awk '$1 == "000" || $2 + 0 >= 9.5' "$file" | wc -l)
  [ "$errors" = 0 ] || bad "$errors answers of 500/502 during $what: $(awk '$1 == 500 || $1 == 502 { print $3 }' "$file" | sort | uniq -c | tr -s ' ' | tr '\n' ';')"
  [ "$hung" = 0 ] || bad "$hung requests hung or failed to connect during $what"
}
ready_within() {
  local port=$1 seconds=$2
  for _ in $(seq 1 $((seconds * 2))); do curl -fs "http://127.0.0.1:$port/readyz" >/dev/null && return 0; sleep 0.5; done
  return 1
}
no_panics() {
  if grep -h "panicked" "$WORK"/server-*.log >/dev/null 2>&1; then bad "a panic in the server log: $(grep -h -m1 panicked "$WORK"/server-*.log)"; fi
}

# Posts cookie choices from `address`, alternating between ports $1 and $2, until one is
# refused; prints the number of the first refused request (0: none in 20).
flood() {
  local i code
  for i in $(seq 1 20); do
    local port=$(( i % 2 == 1 ? $1 : $2 ))
    code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'content-type: application/x-www-form-urlencoded' -H "x-forwarded-for: $3" \
      --data 'analytics=false&marketing=false' "http://127.0.0.1:$port/api/consent/save")
    [ "$code" = 429 ] && { echo "$i"; return; }
  done
  echo 0
}

say "Fault drills — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD)$([ -n "$SHORT" ] && echo ', short forms')"
start 3301

# --- 1. PostgreSQL restarts under load ------------------------------------------------------
say "1. PostgreSQL restarted under load (4 browsers, ${LOAD_SECONDS} s)"
load 3301 4 pg
sleep $((LOAD_SECONDS / 3))
$SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main stop -m fast
sleep 2
readyz=$(curl -s -o /dev/null -m 10 -w '%{http_code}' http://127.0.0.1:3301/readyz || echo 000)
page=$(curl -s -m 10 -w '\n%{http_code}' http://127.0.0.1:3301/cart | tail -1)
$SUDO pg_ctlcluster --skip-systemctl-redirect "$PG_VERSION" main start
say "  while it was down: /readyz answered $readyz, a page answered $page"
[ "$readyz" = 503 ] || bad "/readyz answered $readyz while PostgreSQL was down"
[ "$page" = 503 ] || bad "a page answered $page while PostgreSQL was down (expected the 503 page)"
sleep $((LOAD_SECONDS / 3))
if ready_within 3301 30; then say "  ready again after the restart"; else bad "not ready 30 s after PostgreSQL came back"; fi
stop_load
check_load "$WORK/load-pg.txt" "the PostgreSQL restart"
after=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:3301$CATEGORY")
[ "$after" = 200 ] || bad "a category page answered $after after the restart"

# A form post as a browser sends it; prints the status.
post() {
  curl -s -o /dev/null -m 10 -w '%{http_code}' -b "$1" -c "$1" -X POST -H 'content-type: application/x-www-form-urlencoded' --data "$3" "$2"
}

# --- 2. Redis restarts under load -----------------------------------------------------------
say "2. Redis restarted under load (4 browsers, ${LOAD_SECONDS} s), one shopper half-way to checkout"
load 3301 4 redis
# A shopper with a cart, on the way to checkout, when Redis goes.
shopper="$WORK/jar-checkout"
VARIANT=$(q "select ps.id from product_sizes ps join product_colours pc on pc.id = ps.product_colour_id join products p on p.id = pc.product_id
             where p.is_live and ps.stock - ps.reserved > 5 order by ps.id limit 1")
post "$shopper" http://127.0.0.1:3301/api/consent/save 'analytics=false&marketing=false' >/dev/null
added=$(post "$shopper" http://127.0.0.1:3301/api/cart/add "variant_id=$VARIANT&quantity=1")
[ "$added" = 200 ] || bad "the shopper could not fill a cart before the drill: $added"
sleep $((LOAD_SECONDS / 3))
redis-cli -h 127.0.0.1 -p 6379 shutdown nosave >/dev/null 2>&1 || true
sleep 2
readyz=$(curl -s -o /dev/null -m 10 -w '%{http_code}' http://127.0.0.1:3301/readyz || echo 000)
redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null
say "  while it was down: /readyz answered $readyz"
[ "$readyz" = 503 ] || bad "/readyz answered $readyz while Redis was down"
sleep $((LOAD_SECONDS / 3))
if ready_within 3301 30; then say "  ready again after the restart"; else bad "not ready 30 s after Redis came back"; fi
stop_load
check_load "$WORK/load-redis.txt" "the Redis restart"
# The shopper's session went with Redis: checkout answers with a page (a fresh session, sent
# back to the cart), and the cart fills again.
at_checkout=$(curl -s -o /dev/null -m 10 -w '%{http_code}' -b "$shopper" -c "$shopper" http://127.0.0.1:3301/checkout)
post "$shopper" http://127.0.0.1:3301/api/consent/save 'analytics=false&marketing=false' >/dev/null
again=$(post "$shopper" http://127.0.0.1:3301/api/cart/add "variant_id=$VARIANT&quantity=1")
say "  the shopper half-way to checkout: /checkout answered $at_checkout after the restart; adding to the cart again answered $again"
case "$at_checkout" in 200|303) ;; *) bad "checkout answered $at_checkout to a shopper whose session Redis lost" ;; esac
[ "$again" = 200 ] || bad "the shopper could not fill a cart after the restart: $again"
# Limits count again once Redis is back.
refused_at=$(flood 3301 3301 192.0.2.1)
[ "$refused_at" = 7 ] && say "  limits count again: the 7th cookie choice in a minute was refused with 429" || bad "after the restart the first 429 came at request $refused_at, not the 7th"

# --- 3. SIGKILL while placing orders ------------------------------------------------------------
say "3. The process placing orders killed with SIGKILL (up to $BUYERS buyers, 8 at a time)"
KILLDB=larkspur_faults_orders
psql "$PG/postgres" -qc "drop database if exists $KILLDB with (force)"
createdb -h 127.0.0.1 -U postgres "$KILLDB"
DATABASE_URL="$PG/$KILLDB" "$ORDERS_BIN" "$BUYERS" 8 >"$WORK/orders.log" 2>&1 &
ORDERS=$!
# Kill it once orders are flowing, part-way through.
for _ in $(seq 1 120); do
  n=$(psql "$PG/$KILLDB" -qtAc "select count(*) from orders where email = 'bench@example.com'" 2>/dev/null || echo 0)
  [ "${n:-0}" -ge $((BUYERS / 4)) ] && break
  sleep 0.25
done
kill -9 "$ORDERS" 2>/dev/null || true
wait "$ORDERS" 2>/dev/null || true
kq() { psql "$PG/$KILLDB" -qtAc "$1"; }
placed=$(kq "select count(*) from orders where email = 'bench@example.com'")
empty=$(kq "select count(*) from orders o where not exists (select 1 from order_items i where i.order_id = o.id)")
totals=$(kq "select count(*) from orders o where o.subtotal_minor <> (select coalesce(sum(i.line_total_minor), 0) from order_items i where i.order_id = o.id)")
stock=$(kq "select count(*) from product_sizes ps where ps.reserved <> coalesce((select sum(i.quantity) from order_items i join orders o on o.id = i.order_id
             where i.product_size_id = ps.id and o.reserved_until is not null), 0) or ps.reserved > ps.stock or ps.stock < 0")
coupons=$(kq "select count(*) from coupons c where c.times_used <> (select count(*) from coupon_redemptions r where r.coupon_id = c.id)")
say "  orders placed before the kill $placed; without lines $empty; totals not matching their lines $totals; sizes whose held stock differs from their open orders $stock; coupons whose use count differs from their redemptions $coupons"
[ "$placed" -gt 0 ] || bad "no order was placed before the kill"
[ "$empty" = 0 ] && [ "$totals" = 0 ] && [ "$stock" = 0 ] && [ "$coupons" = 0 ] || bad "half-written orders or stock out of step after SIGKILL"
# The next start picks up what was queued: every job due is done within a minute.
DATABASE_URL="$PG/$KILLDB" LISTEN_ADDR="127.0.0.1:3303" SITE_URL="http://127.0.0.1:3303" "$BIN" serve >>"$WORK/server-3303.log" 2>&1 &
PIDS+=($!)
due=-1
for _ in $(seq 1 120); do
  due=$(kq "select count(*) from jobs where done_at is null and failed_at is null and run_at <= now()")
  [ "$due" = 0 ] && break
  sleep 0.5
done
queued=$(kq "select count(*) from jobs where done_at is not null")
say "  after a restart: jobs done $queued, jobs due and not done $due"
[ "$due" = 0 ] || bad "$due queued jobs were not picked up by the next start"

# --- 4. Two instances on one PostgreSQL and Redis ----------------------------------------------
say "4. Two instances on one PostgreSQL and Redis (${LOAD_SECONDS} s of load on both)"
start 3302
load 3301 2 two-a
load 3302 2 two-b
# A session made on one instance is the same session on the other.
jar="$WORK/jar-shared"
curl -s -o /dev/null -b "$jar" -c "$jar" -X POST -H 'content-type: application/x-www-form-urlencoded' --data 'analytics=true&marketing=false' \
  http://127.0.0.1:3301/api/consent/save
consent=$(curl -s -b "$jar" -c "$jar" -X POST http://127.0.0.1:3302/api/consent/current)
case "$consent" in *'"analytics":true'*) say "  a cookie choice saved through one instance is read by the other" ;; *) bad "the other instance did not see the session: $consent" ;; esac
# A catalogue change through one shows on the other within a second.
slug=$(q "select slug from products where is_live order by slug limit 1")
q "update products set price_override_minor = 1234 where slug = '$slug'" >/dev/null
sleep 1
if curl -s "http://127.0.0.1:3302/p/$slug" | grep -q '12\.34'; then say "  a price changed in the database shows on both within a second"; else bad "the second instance still shows the old price after a second"; fi
# One count for both: cookie choices from one address, sent to the instances in turn.
refused_at=$(flood 3301 3302 192.0.2.9)
say "  one count across both: six cookie choices a minute from one address, sent to the two instances in turn; the first 429 came at request $refused_at"
[ "$refused_at" = 7 ] || bad "the first 429 came at request $refused_at, not the 7th: the instances do not share the count"
sleep $((LOAD_SECONDS / 2))
stop_load
check_load <(cat "$WORK/load-two-a.txt" "$WORK/load-two-b.txt") "two instances"
# A device locked through one instance is locked on the other: wrong passwords from one
# browser, sent to the two in turn (five in a row lock a device for five minutes).
lockjar="$WORK/jar-lock"
post "$lockjar" http://127.0.0.1:3301/api/consent/save 'analytics=false&marketing=false' >/dev/null
tries=()
for i in 1 2 3 4 5 6; do
  tries+=("$(post "$lockjar" "http://127.0.0.1:$(( i % 2 == 1 ? 3301 : 3302 ))/api/auth/sign-in/password" "email=customer1%40larkspur.local&password=not-it-$i&next=%2F")")
done
say "  one device's wrong passwords sent to the two instances in turn answered: ${tries[*]}"
[ "${tries[5]}" = 429 ] && ! printf '%s\n' "${tries[@]:0:4}" | grep -qE '^(200|429)$' \
  || bad "the device lock did not hold across the instances (the 6th try should be refused with 429, the first four refused as wrong)"
# Stripe retries a webhook and its deliveries reach both instances at once: the payment
# counts once. The same signed event, eight times, four to each instance, all at once.
# An order waiting for its card payment (a copy of a demo order's figures).
read -r ORDER_ID TOTAL CURRENCY <<<"$(q "insert into orders (user_id, currency, subtotal_minor, discount_minor, shipping_minor, tax_minor, total_minor, email,
    phone, shipping_address, payment_method, idempotency_key, reserved_until, delivery_method)
  select user_id, currency, subtotal_minor, discount_minor, shipping_minor, tax_minor, total_minor, email, phone, shipping_address, 'stripe',
         'faults-webhook', now() + interval '1 hour', delivery_method from orders order by placed_at limit 1
  returning id, total_minor, lower(currency::text)" | tr '|' ' ')"
if [ -z "${ORDER_ID:-}" ]; then bad "no order in the demo data to copy for the webhook drill"; else
  q "insert into payments (order_id, amount_minor, currency, provider, status, checkout_session_id)
     values ('$ORDER_ID', $TOTAL, upper('$CURRENCY'), 'stripe', 'pending', 'cs_faults_1')" >/dev/null
  event='{"id":"evt_faults_1","object":"event","type":"checkout.session.completed","created":1700000000,"livemode":false,"pending_webhooks":1,"api_version":"2026-09-30.endive","request":{"id":null,"idempotency_key":null},"data":{"object":{"id":"cs_faults_1","object":"checkout.session","mode":"payment","status":"complete","payment_status":"paid","payment_intent":"pi_faults_1","client_reference_id":"'$ORDER_ID'","metadata":{"order_id":"'$ORDER_ID'"},"created":1700000000,"expires_at":1700001860,"livemode":false,"currency":"'$CURRENCY'","amount_total":'$TOTAL',"amount_subtotal":'$TOTAL',"customer_email":"buyer@example.com","url":null,"automatic_tax":{"enabled":false,"liability":null,"provider":null,"status":null},"custom_fields":[],"custom_text":{"after_submit":null,"shipping_address":null,"submit":null,"terms_of_service_acceptance":null},"payment_method_types":["card"],"shipping_options":[]}}}'
  stamp=$(date +%s)
  signature="t=$stamp,v1=$(printf '%s.%s' "$stamp" "$event" | openssl dgst -sha256 -hmac "$WEBHOOK_SECRET" | awk '{print $NF}')"
  deliveries=()
  for i in 1 2 3 4 5 6 7 8; do
    curl -s -o /dev/null -m 10 -w '%{http_code}\n' -X POST -H 'content-type: application/json' -H "stripe-signature: $signature" \
      --data "$event" "http://127.0.0.1:$(( i % 2 == 1 ? 3301 : 3302 ))/webhooks/stripe" >>"$WORK/webhooks.txt" &
    deliveries+=($!)
  done
  wait "${deliveries[@]}" 2>/dev/null || true
  answers=$(sort "$WORK/webhooks.txt" | uniq -c | awk '{ printf "%s%s×%s", (NR > 1 ? " " : ""), $2, $1 }')
  events=$(q "select count(*) from payment_events where event_id = 'evt_faults_1'")
  paid_moves=$(q "select count(*) from order_status_history where order_id = '$ORDER_ID' and to_status = 'paid'")
  succeeded=$(q "select count(*) from payments where order_id = '$ORDER_ID' and status = 'succeeded'")
  mails=$(q "select count(*) from jobs where kind = 'order_email' and payload->'payload'->>'order_id' = '$ORDER_ID' and payload->'payload'->>'event' = 'Paid'")
  refunds=$(q "select count(*) from jobs where kind = 'refund_card_payment'")
  say "  one webhook delivered 8 times at once to both: answers ${answers}; events recorded $events; moves to paid $paid_moves; payments succeeded $succeeded; payment emails queued $mails; refunds queued $refunds"
  [ "$(grep -vc '^200$' "$WORK/webhooks.txt")" = 0 ] || bad "a webhook delivery was not answered 200"
  [ "$events" = 1 ] && [ "$paid_moves" = 1 ] && [ "$succeeded" = 1 ] && [ "$mails" = 1 ] && [ "$refunds" = 0 ] || bad "the payment did not count exactly once"
fi
# Each job ran once: no job was claimed by both.
twice=$(q "select count(*) from jobs where attempts > 1 and last_error is null")
say "  jobs that ran more than once without an error: $twice"
[ "$twice" = 0 ] || bad "$twice jobs ran twice"

# --- 5. SIGTERM with a request in flight ---------------------------------------------------
say "5. SIGTERM while a slow client is still sending its request (grace 15 s)"
start 3304 15
SERVER_PID=${PIDS[-1]}
{ printf 'analytics=false&marketing=false&note='; head -c 12000 /dev/zero | tr '\0' 'x'; } >"$WORK/slow-body"
# 12 KB at 2 KB/s: the request is still arriving when the signal comes.
curl -s -o /dev/null -m 30 -w '%{http_code}' --limit-rate 2k -X POST -H 'content-type: application/x-www-form-urlencoded' \
  --data-binary @"$WORK/slow-body" http://127.0.0.1:3304/api/consent/save >"$WORK/in-flight.txt" &
SLOW=$!
sleep 1.5
signalled_at=$(date +%s.%N)
kill -TERM "$SERVER_PID"
sleep 0.5
during=$(curl -s -o /dev/null -m 2 -w '%{http_code}' http://127.0.0.1:3304/healthz || true)
wait "$SLOW" || true
set +e; wait "$SERVER_PID"; exited=$?; set -e
took=$(awk -v a="$signalled_at" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
say "  the request in flight answered $(cat "$WORK/in-flight.txt"); a new connection during the grace period got ${during:-000}; the process exited $exited, ${took} s after the signal"
[ "$(cat "$WORK/in-flight.txt")" = 200 ] || bad "the request in flight at SIGTERM was not answered 200"
[ "${during:-000}" = 000 ] || bad "a new connection was accepted after SIGTERM ($during)"
[ "$exited" = 0 ] || bad "the process exited $exited after SIGTERM, not 0"
no_panics

if [ "$FOUND" = 0 ]; then say "No problem found."; else say "Problems found (above)."; fi
exit "$FOUND"
