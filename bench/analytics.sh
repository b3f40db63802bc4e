#!/usr/bin/env bash
# Analytics benchmark (not a test): a year of demo trade in its own database, then the time
# each figure of the analytics page takes (median of five). See examples/analytics_timings.rs.
#   Usage: bench/analytics.sh
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"
DB=larkspur_bench_analytics
psql "postgres://postgres@127.0.0.1:5432/postgres" -tAc "select 1 from pg_database where datname = '$DB'" | grep -q 1 \
  || createdb -h 127.0.0.1 -U postgres "$DB"
DATABASE_URL="postgres://postgres@127.0.0.1:5432/$DB" cargo run --quiet --features ssr --example analytics_timings
