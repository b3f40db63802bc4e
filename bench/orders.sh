#!/usr/bin/env bash
# Place-order benchmark (not a test): buyers racing for one hot size, then buyers spread
# over every size, against a fresh database. Prints orders/s and checks nothing was oversold.
#   Usage: bench/orders.sh [buyers=2000] [concurrency=8]
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"

BENCH_DB=larkspur_bench_orders
psql "postgres://postgres@127.0.0.1:5432/postgres" -qc "drop database if exists $BENCH_DB with (force)"
createdb -h 127.0.0.1 -U postgres "$BENCH_DB"
# The debug build the tests already made: the time goes to PostgreSQL (row locks, commits),
# not to the Rust around it.
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$BENCH_DB" RUST_LOG=warn \
  cargo run --quiet --features ssr --example place_orders -- "${1:-2000}" "${2:-8}"
