#!/usr/bin/env bash
# Storefront benchmark (not a test): seeds 100,000 products with the demo command, builds and
# starts the release server, and prints requests/s and p50/p99 latency at 64 connections
# for the main pages, measured with wrk (Debian package) on loopback.
#   Usage: bench/run.sh [products=100000] [seconds-per-page=15]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"

PRODUCTS="${1:-100000}"
DURATION="${2:-15}"
PORT="${BENCH_PORT:-3200}"
command -v wrk >/dev/null || apt_install wrk

BENCH_DB=larkspur_bench
psql "postgres://postgres@127.0.0.1:5432/postgres" -tAc "select 1 from pg_database where datname = '$BENCH_DB'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres "$BENCH_DB"
export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$BENCH_DB"
export LISTEN_ADDR="127.0.0.1:$PORT" SITE_URL="http://127.0.0.1:$PORT" LOG_FORMAT=json RUST_LOG=warn
export MEDIA_DIR="$CARGO_TARGET_DIR/bench-media" OUTBOX_DIR="$CARGO_TARGET_DIR/bench-outbox"
export DATABASE_MAX_CONNECTIONS="${DATABASE_MAX_CONNECTIONS:-20}"

log "building the release server"
cargo leptos build --release
BIN="$CARGO_TARGET_DIR/release/larkspur"

log "seeding $PRODUCTS products (skipped when already there)"
"$BIN" seed --demo --products "$PRODUCTS"

"$BIN" serve >"$CARGO_TARGET_DIR/bench-server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 60); do curl -fs "$SITE_URL/readyz" >/dev/null && break; sleep 0.5; done

BASE="$SITE_URL"
PRODUCT="$(psql "$DATABASE_URL" -tAc "select slug from products where is_active and deleted_at is null order by sold_count desc, id limit 1")"
COLOUR="$(psql "$DATABASE_URL" -tAc "select slug from colours order by sort_order limit 1")"
PAGES=(
  "home|/"
  "category, page 1|/c/hoodies"
  "category, page 50|/c/hoodies?page=50"
  "filtered listing|/c/hoodies?colour=$COLOUR&size=m&stock=1&sort=price-asc"
  "product page|/p/$PRODUCT"
  "search|/search?q=hoodie"
)

echo
echo "Larkspur storefront benchmark — $(date -u +%Y-%m-%d), $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB,"
echo "$(psql "$DATABASE_URL" -tAc "select count(*) from products where deleted_at is null") products, wrk -t2 -c64 -d${DURATION}s, release build"
printf '%-22s %10s %10s %10s %8s\n' "page" "req/s" "p50" "p99" "errors"
for entry in "${PAGES[@]}"; do
  name="${entry%%|*}"; path="${entry#*|}"
  curl -fs -o /dev/null "$BASE$path" || { echo "$name: $path does not answer 200" >&2; exit 1; }
  out="$(wrk -t2 -c64 -d"${DURATION}s" --latency "$BASE$path")"
  rps="$(awk '/Requests\/sec/{print $2}' <<<"$out")"
  p50="$(awk '$1=="50%"{print $2}' <<<"$out")"
  p99="$(awk '$1=="99%"{print $2}' <<<"$out")"
  errors="$(awk '/Non-2xx|Socket errors/{sum+=$NF} END{print sum+0}' <<<"$out")"
  printf '%-22s %10s %10s %10s %8s\n' "$name" "$rps" "$p50" "$p99" "$errors"
done
