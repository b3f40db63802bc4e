#!/usr/bin/env bash
# Storefront benchmark (not a test): seeds the catalogue with the demo command, builds and
# starts the release server, then loads it with wrk (Debian package) on loopback, each line
# rotating over many real URLs (bench/rotate.lua) instead of repeating one. Prints per line
# requests/s, p50/p99, non-2xx and timeouts, CPU milliseconds per request of the app and of
# PostgreSQL, SQL statements per request (pg_stat_statements) and the server's peak RSS;
# then the first-load transfer of each page type and Lighthouse scores. The figures are kept
# in bench/results/.
#   Usage: bench/run.sh [products=100000] [seconds-per-line=15]
#   BENCH_SKIP_BUILD=1      serve the last release build as it is (repeated runs)
#   BENCH_BIN=PATH          serve this binary instead and build nothing (e.g. a debug build)
#   BENCH_DB=larkspur_bench BENCH_PORT=3200 BENCH_CONNECTIONS=64 BENCH_THREADS=2
#   BENCH_PG_PORT=5432      the local PostgreSQL cluster to use (its superuser postgres, trusted)
#   BENCH_TIMEOUT=10        seconds before wrk counts a request as timed out
#   BENCH_LIGHTHOUSE=0      skip Lighthouse (about a minute)
#   BENCH_RESTART_POSTGRES=1  restart PostgreSQL to load pg_stat_statements even while other
#                           clients are connected to it
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
source "$ROOT/scripts/bootstrap.sh"

PRODUCTS="${1:-100000}"
DURATION="${2:-15}"
PORT="${BENCH_PORT:-3200}"
CONNECTIONS="${BENCH_CONNECTIONS:-64}"
THREADS="${BENCH_THREADS:-2}"
TIMEOUT="${BENCH_TIMEOUT:-10}"
BENCH_DB="${BENCH_DB:-larkspur_bench}"
PG_PORT="${BENCH_PG_PORT:-5432}"
command -v wrk >/dev/null || apt_install wrk

WORK="$(mktemp -d)"
SERVER=""
# SIGTERM lets the server finish its requests (graceful shutdown); one that never finishes
# would keep it alive, so it gets 15 s. STOPPED says how it went.
STOPPED=""
stop_server() {
  if [ -z "$SERVER" ] || ! kill "$SERVER" 2>/dev/null; then return; fi
  STOPPED="did NOT stop within 15 s of SIGTERM (its graceful shutdown was waiting for a request that never finished), killed"
  for _ in $(seq 1 30); do
    # Gone, or exited and not yet reaped.
    if ! awk '{ exit $3 == "Z" }' "/proc/$SERVER/stat" 2>/dev/null; then
      STOPPED="stopped within 15 s of SIGTERM"; SERVER=""; return
    fi
    sleep 0.5
  done
  kill -KILL "$SERVER" 2>/dev/null || true
  SERVER=""
}
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT
REPORT="$WORK/report"
NOTES=()
# Into the printed report and the results file.
say() { printf '%s\n' "$*" | tee -a "$REPORT"; }
die() { echo "bench: $*" >&2; exit 1; }

ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export DATABASE_URL="postgres://postgres@127.0.0.1:$PG_PORT/$BENCH_DB"
admin() { PGOPTIONS="-c client_min_messages=warning" psql "$ADMIN_URL" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }
bench_sql() { PGOPTIONS="-c client_min_messages=warning" psql "$DATABASE_URL" -qtAX -v ON_ERROR_STOP=1 -c "$1"; }

# --- SQL statements per request need pg_stat_statements, loaded at PostgreSQL's start ---------
COUNT_SQL=1
if [ "$(admin "select 'pg_stat_statements' = any(string_to_array(replace(current_setting('shared_preload_libraries'), ' ', ''), ','))")" != t ]; then
  others="$(admin "select count(*) from pg_stat_activity where backend_type = 'client backend' and pid <> pg_backend_pid()")"
  cluster="$(pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port { print $1, $2; exit }')"
  if [ -z "$cluster" ]; then
    COUNT_SQL=0
    NOTES+=("SQL statements not counted: pg_stat_statements is not loaded and PostgreSQL on port $PG_PORT is not a cluster pg_ctlcluster manages, so the bench cannot restart it.")
  elif [ ! -e "/usr/lib/postgresql/${cluster%% *}/lib/pg_stat_statements.so" ]; then
    # Preloading a library that is not there would keep PostgreSQL from starting again.
    COUNT_SQL=0
    NOTES+=("SQL statements not counted: PostgreSQL ${cluster%% *} has no pg_stat_statements library here.")
  elif [ "$others" -gt 0 ] && [ "${BENCH_RESTART_POSTGRES:-0}" != 1 ]; then
    COUNT_SQL=0
    NOTES+=("SQL statements not counted: pg_stat_statements is not loaded, and loading it restarts PostgreSQL, which has $others other connections now (BENCH_RESTART_POSTGRES=1 restarts it anyway).")
  else
    current="$(admin "show shared_preload_libraries")"
    admin "alter system set shared_preload_libraries = '${current:+$current,}pg_stat_statements'"
    log "restarting PostgreSQL ($cluster) to load pg_stat_statements"
    # shellcheck disable=SC2086 # "$cluster" is the version and the name, two arguments
    $SUDO pg_ctlcluster --skip-systemctl-redirect $cluster restart
    for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p "$PG_PORT" -q && break; sleep 1; done
    NOTES+=("pg_stat_statements was not loaded: this run added it to shared_preload_libraries (ALTER SYSTEM) and restarted PostgreSQL.")
  fi
fi

admin "select 1 from pg_database where datname = '$BENCH_DB'" | grep -q 1 || createdb -h 127.0.0.1 -p "$PG_PORT" -U postgres "$BENCH_DB"
if [ "$COUNT_SQL" = 1 ]; then bench_sql "create extension if not exists pg_stat_statements"; fi

export LISTEN_ADDR="127.0.0.1:$PORT" SITE_URL="http://127.0.0.1:$PORT" LOG_FORMAT=json RUST_LOG=warn
export MEDIA_DIR="$CARGO_TARGET_DIR/bench-media" OUTBOX_DIR="$CARGO_TARGET_DIR/bench-outbox"
# Its own Redis keys (sessions aside: counters and visit marks), apart from a development
# store's on the same Redis.
export REDIS_KEY_PREFIX="larkspur-bench:"
export DATABASE_MAX_CONNECTIONS="${DATABASE_MAX_CONNECTIONS:-20}"
# wrk's connections all come from one address: the per-client ceilings on public writes and
# searches (LIMIT_*_PER_MINUTE) are raised so the run measures the pages, not the limiter.
LIMITS_RAISED=1000000
for limit in $(grep -o 'LIMIT_[A-Z_]*_PER_MINUTE' "$ROOT/src/server/public_writes.rs" | sort -u); do export "$limit=$LIMITS_RAISED"; done
SITE_ROOT="${LEPTOS_SITE_ROOT:-target/site}"

# --- the server binary ------------------------------------------------------------------------
if [ -n "${BENCH_BIN:-}" ]; then
  BIN="$BENCH_BIN"
  case "$BIN" in */debug/*) BUILD="debug build" ;; */release/*) BUILD="release build" ;; *) BUILD="binary" ;; esac
  BUILD="$BUILD $BIN (BENCH_BIN, not rebuilt)"
else
  BIN="$CARGO_TARGET_DIR/release/larkspur"
  if [ "${BENCH_SKIP_BUILD:-0}" = 1 ]; then
    BUILD="release build (BENCH_SKIP_BUILD: not rebuilt)"
  else
    log "building the release server"
    cargo leptos build --release --precompress
    BUILD="release build"
  fi
fi
[ -x "$BIN" ] || die "no server binary at $BIN"
BUILD="$BUILD of $(date -u -r "$BIN" '+%Y-%m-%d %H:%M UTC')"
if [ -z "$(find "$SITE_ROOT/pkg" -name 'larkspur*.css' -size +0 2>/dev/null)" ]; then
  NOTES+=("No built assets in $SITE_ROOT/pkg: the pages' CSS, JS and WASM answer 404, so first-load sizes and Lighthouse do not show what shoppers get.")
fi

log "seeding $PRODUCTS products (skipped when already there)"
"$BIN" seed --demo --products "$PRODUCTS" >"$WORK/seed.log" 2>&1 || { tail -20 "$WORK/seed.log" >&2; die "seeding failed"; }
tail -1 "$WORK/seed.log"

# Nothing of an earlier run's (sessions, counters) carries over; the catalogue cache lives in
# the server process and starts empty.
redis-cli -h 127.0.0.1 --scan --pattern "${REDIS_KEY_PREFIX}*" | xargs -r -d '\n' redis-cli -h 127.0.0.1 del >/dev/null

"$BIN" serve >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 120); do
  curl -fs "$SITE_URL/readyz" >/dev/null && break
  kill -0 "$SERVER" 2>/dev/null || { tail -20 "$WORK/server.log" >&2; die "the server stopped"; }
  sleep 0.5
done
curl -fs "$SITE_URL/readyz" >/dev/null || die "the server is not ready at $SITE_URL"

# --- request lists: real URLs read from the bench database -------------------------------------
L="$WORK/lists"
mkdir -p "$L"
as_gets() { awk '{ print "GET\t" $0 }'; }
echo / | as_gets >"$L/home"

bench_sql "select '/p/' || slug from products where is_live order by md5(slug) limit 2000" | as_gets >"$L/products"

# Every active category with its live products: the first page of each, then page 50 and the
# last page where they exist (a page past MAX_PAGE would be answered as page 1).
bench_sql "select c.slug || '|' || count(p.id) from categories c
           left join product_categories pc on pc.category_id = c.id
           left join products p on p.id = pc.product_id and p.is_live
           where c.is_active group by c.slug order by c.slug" >"$WORK/categories"
PAGE_SIZE="$(sed -n 's/^pub const PAGE_SIZE: i64 = \([0-9]*\);/\1/p' src/catalog/types.rs)"
MAX_PAGE="$(sed -n 's/^pub const MAX_PAGE: i64 = \([0-9_]*\);/\1/p' src/catalog/types.rs | tr -d _)"
if [ -z "$PAGE_SIZE" ] || [ -z "$MAX_PAGE" ]; then die "PAGE_SIZE or MAX_PAGE not found in src/catalog/types.rs"; fi
awk -F'|' '{ print "/c/" $1 }' "$WORK/categories" | as_gets >"$L/categories"
awk -F'|' -v size="$PAGE_SIZE" -v cap="$MAX_PAGE" '{
  last = int(($2 + size - 1) / size); if (last > cap) last = cap
  if (last >= 50) print "/c/" $1 "?page=50"
  if (last > 1 && last != 50) print "/c/" $1 "?page=" last
}' "$WORK/categories" | as_gets >"$L/deep"

# Filter combinations over each category's own colours, sizes and prices (query names as in
# catalog::types::Filters): colour, size, min/max in whole units, stock=1, and each sort.
bench_sql "select c.slug
  || '|' || coalesce((select string_agg(distinct co.slug, ',') from product_categories pcat
       join products p on p.id = pcat.product_id and p.is_live join product_colours x on x.product_id = p.id
       join colours co on co.id = x.colour_id where pcat.category_id = c.id), '')
  || '|' || coalesce((select string_agg(distinct s.slug, ',') from product_categories pcat
       join products p on p.id = pcat.product_id and p.is_live join product_colours x on x.product_id = p.id
       join product_sizes ps on ps.product_colour_id = x.id join sizes s on s.id = ps.size_id
       where pcat.category_id = c.id), '')
  || '|' || (select min(p.effective_price_minor) / 100 || '|' || max(p.effective_price_minor) / 100
       from product_categories pcat join products p on p.id = pcat.product_id and p.is_live where pcat.category_id = c.id)
  from categories c where c.is_active
   and exists (select 1 from product_categories pcat join products p on p.id = pcat.product_id and p.is_live where pcat.category_id = c.id)
  order by c.slug" >"$WORK/facets"
awk -F'|' -v want=400 '
  BEGIN { srand(19); split("newest price-asc price-desc best-rated best-selling", sorts, " ") }
  { n++; slug[n] = $1; nc[n] = split($2, cs, ","); for (i in cs) col[n, i] = cs[i]
    ns[n] = split($3, ss, ","); for (i in ss) size[n, i] = ss[i]; lo[n] = $4; hi[n] = $5 }
  function pick(arr, c, count) { return arr[c, 1 + int(rand() * count)] }
  END {
    for (i = 0; out < want && i < want * 50 && n > 0; i++) {
      c = 1 + i % n; q = ""
      if (nc[c] && rand() < 0.7) q = q "&colour=" pick(col, c, nc[c])
      if (nc[c] > 1 && rand() < 0.15) q = q "&colour=" pick(col, c, nc[c])
      if (ns[c] && rand() < 0.6) q = q "&size=" pick(size, c, ns[c])
      if (hi[c] > lo[c] && rand() < 0.5) {
        min = lo[c] + int(rand() * (hi[c] - lo[c]) / 2); max = min + 1 + int(rand() * (hi[c] - min))
        q = q "&min=" min "&max=" max
      }
      if (rand() < 0.5) q = q "&stock=1"
      if (q == "") continue
      sort = sorts[1 + int(i / n) % 5]; if (sort != "newest") q = q "&sort=" sort
      url = "/c/" slug[c] "?" substr(q, 2)
      if (!(url in seen)) { seen[url] = 1; print url; out++ }
    }
  }' "$WORK/facets" | as_gets >"$L/filters"

# Search terms from the catalogue's own words: whole words, each with one typo of each kind in
# turn (a letter dropped, added, changed, two swapped), partial words and two-word names.
bench_sql "select word from search_words where length(word) >= 5 order by md5(word) limit 150" >"$WORK/words"
bench_sql "select lower(name) from (select distinct name from products where is_live) n order by md5(name) limit 80" >"$WORK/names"
awk -v want=300 '
  BEGIN { srand(23); letters = "abcdefghijklmnopqrstuvwxyz" }
  function letter() { return substr(letters, 1 + int(rand() * 26), 1) }
  function typo(w, kind,   n, i, c) {
    n = length(w); i = 2 + int(rand() * (n - 2))
    if (kind == 0) return substr(w, 1, i - 1) substr(w, i + 1)
    if (kind == 1) return substr(w, 1, i - 1) letter() substr(w, i)
    if (kind == 2) { do c = letter(); while (c == substr(w, i, 1)); return substr(w, 1, i - 1) c substr(w, i + 1) }
    if (substr(w, i, 1) == substr(w, i + 1, 1)) return typo(w, 2)
    return substr(w, 1, i - 1) substr(w, i + 1, 1) substr(w, i, 1) substr(w, i + 2)
  }
  function add(term, kind, quota) {
    if (!(term in seen) && count < want && kinds[kind] < quota) { seen[term] = 1; terms[++count] = term; kinds[kind]++ }
  }
  FILENAME ~ /words$/ { words[++nw] = $1; next }
  { split($0, parts, /[^a-z]+/); phrase = ""; k = 0
    for (j = 1; j in parts && k < 2; j++) if (length(parts[j]) >= 3) { phrase = phrase (k ? "%20" : "") parts[j]; k++ }
    if (k == 2) phrases[++np] = phrase }
  END {
    # 30 % whole words, 40 % misspelt (each kind in turn), 10 % partial, 20 % two words;
    # a small catalogue fills the rest with more misspellings.
    for (j = 1; j <= nw; j++) add(words[j], "words", want * 0.3)
    for (j = 1; j <= nw; j++) add(typo(words[j], j % 4), "misspelt", want * 0.4)
    for (j = 1; j <= nw; j++) add(substr(words[j], 1, 4), "partial", want * 0.1)
    for (j = 1; j <= np; j++) add(phrases[j], "two-word", want * 0.2)
    for (round = 1; round < 4; round++) for (j = 1; j <= nw; j++) add(typo(words[j], (j + round) % 4), "misspelt", want)
    for (j = 1; j <= count; j++) print "/search?q=" terms[j]
    printf "%d terms: %d whole words, %d misspelt, %d partial, %d two-word", count, kinds["words"], kinds["misspelt"],
      kinds["partial"], kinds["two-word"] > "/dev/stderr"
  }' "$WORK/words" "$WORK/names" 2>"$WORK/search-kinds" | as_gets >"$L/search"

# Add to cart as the product page's island posts it (server function cart/add), from
# shoppers who allowed cookies: one consented session per connection, made with curl first.
bench_sql "select ps.id from product_sizes ps join product_colours x on x.id = ps.product_colour_id
           join products p on p.id = x.product_id where p.is_live and ps.available >= 10
           order by md5(ps.id::text) limit 2000" >"$WORK/variants"
: >"$WORK/cookies"
for i in $(seq 1 "$CONNECTIONS"); do
  jar="$WORK/jar$i"
  status="$(curl -s -o /dev/null -w '%{http_code}' -c "$jar" -H "Origin: $SITE_URL" -H 'Accept: application/json' \
    --data 'preset=all' "$SITE_URL/api/consent/save")"
  [ "$status" = 200 ] || die "consent/save answered $status"
  awk '$6 == "larkspur_session" || $6 == "larkspur_consent" { printf "%s%s=%s", (n++ ? "; " : ""), $6, $7 } END { print "" }' "$jar" >>"$WORK/cookies"
done
grep -q larkspur_session "$WORK/cookies" || die "consent/save set no session cookie"
awk 'NR == FNR { cookie[FNR] = $0; n = FNR; next }
     { print "POST\t/api/cart/add\tvariant_id=" $1 "&quantity=1\t" cookie[1 + FNR % n] }' "$WORK/cookies" "$WORK/variants" >"$L/cart"

# A first request of each kind must succeed, or the figures would measure an error page.
check() {
  local method target body cookie status
  IFS=$'\t' read -r method target body cookie <"$1"
  if [ "$method" = POST ]; then
    status="$(curl -s -o "$WORK/check.out" -w '%{http_code}' -H "Origin: $SITE_URL" -H 'Accept: application/json' \
      -H "Cookie: $cookie" --data "$body" "$SITE_URL$target")"
  else
    status="$(curl -s -o "$WORK/check.out" -w '%{http_code}' "$SITE_URL$target")"
  fi
  case "$status" in 2??) ;; *) head -c 400 "$WORK/check.out" >&2; die "$method $target answered $status" ;; esac
}
for list in "$L"/*; do
  if [ -s "$list" ]; then check "$list"; fi
done

# --- measuring ---------------------------------------------------------------------------------
CLK_TCK="$(getconf CLK_TCK)"
PG_MAIN="$(head -1 "$(admin "show data_directory")/postmaster.pid")"
# utime+stime of one process; with $2 = 1, the CPU of the children it has reaped instead.
proc_ticks() { awk -v kids="$2" '{ sub(/^.*\) /, ""); print kids ? $14 + $15 : $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
# Every PostgreSQL process: the postmaster, its children, and the children that already exited
# (their CPU moves to the postmaster's reaped-children time). A backend reaped while its
# siblings are being read would be missed or counted twice, so read again until none was.
pg_ticks() {
  local reaped total pid
  for _ in 1 2 3 4 5; do
    reaped="$(proc_ticks "$PG_MAIN" 1)"
    total="$(proc_ticks "$PG_MAIN" 0)"
    for pid in $(pgrep -P "$PG_MAIN"); do total=$((total + $(proc_ticks "$pid" 0))); done
    if [ "$reaped" = "$(proc_ticks "$PG_MAIN" 1)" ]; then break; fi
  done
  echo $((total + reaped))
}
# Work PostgreSQL does for other databases (a test suite, a development store) during a line
# lands in its CPU figure: queries running at the line's start or end, or transactions
# committed meanwhile (the bench's own queries run in the postgres database, left out).
others_running() {
  admin "select count(*) from pg_stat_activity where backend_type = 'client backend' and state <> 'idle'
         and datname is distinct from '$BENCH_DB' and pid <> pg_backend_pid()"
}
others_xacts() {
  admin "select string_agg(s.datname || ':' || (s.xact_commit + s.xact_rollback), ' ' order by s.datname)
         from pg_stat_database s join pg_database d on d.oid = s.datid
         where not d.datistemplate and d.datname not in ('$BENCH_DB', 'postgres')"
}
sql_reset() { bench_sql "select pg_stat_statements_reset(0, (select oid from pg_database where datname = current_database()), 0)" >/dev/null; }
sql_calls() {
  bench_sql "select coalesce(sum(calls), 0) from pg_stat_statements
             where dbid = (select oid from pg_database where datname = current_database()) and query not like '%pg_stat_statements%'"
}
# Peak RSS since the last reset (writing 5 to clear_refs resets the high-water mark).
reset_peak() { echo 5 >"/proc/$SERVER/clear_refs" 2>/dev/null || PEAK_SINCE_START=1; }
peak_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$SERVER/status"; }

# Waits (up to 30 s) until the server has finished what the last load left in flight: wrk
# stops with a request outstanding on every connection, and that work must not land in the
# next line's figures.
settle() {
  local before after
  for _ in $(seq 1 60); do
    before="$(proc_ticks "$SERVER" 0)"; sleep 0.5; after="$(proc_ticks "$SERVER" 0)"
    if [ $((after - before)) -le 1 ]; then return; fi
  done
}
list_lines() { local total=0 f; for f in "$@"; do total=$((total + $(wc -l <"$L/$f"))); done; echo "$total"; }
run_wrk() { # seconds mix
  BENCH_MIX="$2" BENCH_ORIGIN="$SITE_URL" wrk -t"$THREADS" -c"$CONNECTIONS" -d"$1s" --timeout "${TIMEOUT}s" \
    -s "$ROOT/bench/rotate.lua" "$SITE_URL" >"$WORK/wrk.out" 2>&1 || { cat "$WORK/wrk.out" >&2; die "wrk failed"; }
}
mix_of() { local spec="" pair; for pair in "$@"; do spec="$spec${spec:+,}${pair%%:*}:$L/${pair#*:}"; done; echo "$spec"; }

ROW='%-20s %6s %8s %9s %9s %7s %8s %7s %7s %7s %6s\n'
STATUS_NOTES=()
PEAK_MAX=0
PEAK_SINCE_START=0
BUSY_SEEN=0
FEW_SEEN=0
line() { # name weight:list…
  local name="$1"; shift
  local lists=() pair
  for pair in "$@"; do lists+=("${pair#*:}"); done
  local urls busy xacts app0 pg0 app1 pg1 sql="" peak out
  urls="$(list_lines "${lists[@]}")"
  if [ "$urls" = 0 ]; then NOTES+=("$name: no such URLs in this catalogue, not run."); return; fi
  settle
  busy="$(others_running)"; xacts="$(others_xacts)"
  if [ "$COUNT_SQL" = 1 ]; then sql_reset; fi
  reset_peak
  app0="$(proc_ticks "$SERVER" 0)"; pg0="$(pg_ticks)"
  run_wrk "$DURATION" "$(mix_of "$@")"
  app1="$(proc_ticks "$SERVER" 0)"; pg1="$(pg_ticks)"
  if [ "$COUNT_SQL" = 1 ]; then sql="$(sql_calls)"; fi
  peak="$(peak_kb)"
  busy=$((busy + $(others_running)))
  if [ "$xacts" != "$(others_xacts)" ]; then busy=$((busy + 1)); fi
  if [ "$peak" -gt "$PEAK_MAX" ]; then PEAK_MAX="$peak"; fi
  out="$(grep '^BENCH ' "$WORK/wrk.out")" || { cat "$WORK/wrk.out" >&2; die "wrk printed no figures"; }
  # shellcheck disable=SC2086 # key=value words
  set -- $out
  local requests duration_us p50_us p99_us timeouts connect read write statuses kv
  for kv in "${@:2}"; do local "$kv"; done
  local figures
  figures="$(awk -v r="$requests" -v d="$duration_us" -v p50="$p50_us" -v p99="$p99_us" -v app=$((app1 - app0)) \
    -v pg=$((pg1 - pg0)) -v hz="$CLK_TCK" -v sql="$sql" -v peak="$peak" -v st="$statuses" '
    # Without a completed request there is nothing to divide by.
    function per(x, format) { return r > 0 ? sprintf(format, x / r) : "n/a" }
    function ms(us) { return r == 0 ? "n/a" : us >= 1000000 ? sprintf("%.2fs", us / 1e6) : sprintf("%.1fms", us / 1000) }
    BEGIN {
      n = split(st, pairs, ","); bad = 0
      for (i = 1; i <= n; i++) { split(pairs[i], p, ":"); if (p[1] < 200 || p[1] > 299) bad += p[2] }
      printf "%.1f %s %s %d %s %s %s %d", (d > 0 ? r / (d / 1e6) : 0), ms(p50), ms(p99), bad,
        per(app * 1000 / hz, "%.2f"), per(pg * 1000 / hz, "%.2f"), (sql == "" ? "n/a" : per(sql, "%.1f")), peak / 1024
    }')"
  local rps p50 p99 bad app_ms pg_ms sql_req rss
  read -r rps p50 p99 bad app_ms pg_ms sql_req rss <<<"$figures"
  local mark=""
  if [ "$busy" -gt 0 ]; then mark="*"; BUSY_SEEN=1; fi
  # The work on requests still in flight when wrk stops (one per connection) is in the CPU
  # and SQL figures but not in the count: negligible over thousands of requests, not over few.
  local label="$name"
  if [ "$requests" -lt $((20 * CONNECTIONS)) ]; then label="$name ~"; FEW_SEEN=1; fi
  # shellcheck disable=SC2059 # the row format is shared
  printf "$ROW" "$label" "$urls" "$rps" "$p50" "$p99" "$bad" "$timeouts" "$app_ms" "$pg_ms$mark" "$sql_req" "$rss" | tee -a "$REPORT"
  if [ "$bad" -gt 0 ]; then STATUS_NOTES+=("$name: ${statuses//,/ } (status:count)"); fi
  if [ $((connect + read + write)) -gt 0 ]; then STATUS_NOTES+=("$name: socket errors connect $connect, read $read, write $write"); fi
}

LOAD="$(cut -d' ' -f1-3 /proc/loadavg)"
MIX=(50:products 15:categories 7:filters 3:deep 10:search 10:home 5:cart)
WARMUP=$((DURATION < 5 ? DURATION : 5))
log "warming up: ${WARMUP}s of mixed traffic (not counted)"
run_wrk "$WARMUP" "$(mix_of "${MIX[@]}")"

say
say "Larkspur storefront benchmark — $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$ROOT" rev-parse --short HEAD)$(git -C "$ROOT" diff --quiet HEAD -- src migrations Cargo.toml 2>/dev/null || echo '+changes')"
say "machine: $(nproc) cores ($(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)), $(free -g | awk '/Mem:/ { print $2 }') GiB, load $LOAD before the run, $(uname -sr), PostgreSQL $(admin 'show server_version' | cut -d' ' -f1), wrk $(wrk -v 2>&1 | awk 'NR == 1 { print $2 }')"
say "server: $BUILD; $(bench_sql "select count(*) from products where is_live") live products in $BENCH_DB; DATABASE_MAX_CONNECTIONS=$DATABASE_MAX_CONNECTIONS; per-client write and search ceilings raised to $LIMITS_RAISED a minute (one address sends every request)"
say "load: wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --timeout ${TIMEOUT}s on loopback, server, PostgreSQL, Redis and wrk on the same cores; pages fetched without cookies (a first visit), with Accept-Encoding: br, gzip"
say
# shellcheck disable=SC2059
printf "$ROW" "line" "URLs" "req/s" "p50" "p99" "non-2xx" "timeouts" "app ms" "PG ms" "SQL" "RSS MB" | tee -a "$REPORT"
line "home" 1:home
line "category, page 1" 1:categories
line "category, deep" 1:deep
line "filtered listing" 1:filters
line "product page" 1:products
line "search" 1:search
line "add to cart" 1:cart
line "mixed" "${MIX[@]}"
say
say "app ms, PG ms: CPU milliseconds per request (utime+stime from /proc) of the server process and of all PostgreSQL processes; SQL: statements per request (pg_stat_statements, this database); RSS MB: the server's peak resident memory during the line."
say "URLs: category, deep = page 50 and the last page of each category; filtered listing = colour, size, price range, in stock and each sort; search = $(cat "$WORK/search-kinds"); add to cart = $(wc -l <"$L/cart") sizes in stock over $CONNECTIONS consented sessions; mixed = ${MIX[*]} (percent: products, listing 25 = first pages, filters, deep pages; search, home, add to cart)."
say "rate limits: none applies to these requests (src/server/limits.rs counts sign-in, checkout and newsletter actions only), so the bench raises none; a 429 would show under non-2xx."
if [ "$PEAK_SINCE_START" = 1 ]; then say "RSS MB is the peak since the server started (its high-water mark could not be reset)."; fi
say "server peak RSS over all lines: $((PEAK_MAX / 1024)) MB"
for note in "${STATUS_NOTES[@]}"; do say "non-2xx or socket errors — $note"; done
if [ "$FEW_SEEN" = 1 ]; then say "~ fewer than $((20 * CONNECTIONS)) requests completed: the CPU and SQL per request overstate, since they include the work on the $CONNECTIONS requests still in flight when the line ended."; fi
if [ "$BUSY_SEEN" = 1 ]; then say "* PostgreSQL was also working for other databases during this line: its CPU figure includes that work."; fi
for note in "${NOTES[@]}"; do say "note: $note"; done

# --- first-load transfer: the page and the CSS, JS and WASM it loads, as sent --------------------
# "status bytes-on-the-wire content-encoding" of one path fetched with Accept-Encoding: br, gzip;
# the decoded body goes to $2.
fetch() { curl -s --compressed -H 'Accept-Encoding: br, gzip' -o "$2" -w '%{http_code} %{size_download} %header{content-encoding}' "$SITE_URL$1"; }
first_load() { # name path
  local status wire encoding asset missing=0 html=0 css=0 js=0 wasm=0 decoded
  read -r status wire encoding <<<"$(fetch "$2" "$WORK/page")"
  html="$wire"; decoded="$(wc -c <"$WORK/page")"
  local page_status=""
  if [ "${status:0:1}" != 2 ]; then page_status=", the page answered $status"; fi
  # The assets the page names (stylesheet, module preload, wasm preload, the hydration
  # import), then the modules those scripts import in turn (wasm-bindgen snippets).
  grep -oE "/pkg/[^\"' )]+" "$WORK/page" | sort -u >"$WORK/queue" || true
  local done_count=0
  while [ "$done_count" -lt "$(wc -l <"$WORK/queue")" ]; do
    done_count=$((done_count + 1))
    asset="$(sed -n "${done_count}p" "$WORK/queue")"
    read -r status wire _ <<<"$(fetch "$asset" "$WORK/asset")"
    if [ "${status:0:1}" != 2 ]; then missing=$((missing + 1)); continue; fi
    decoded=$((decoded + $(wc -c <"$WORK/asset")))
    case "$asset" in *.css) css=$((css + wire)) ;; *.wasm) wasm=$((wasm + wire)) ;; *) js=$((js + wire)) ;; esac
    if [ "${asset##*.}" = js ]; then
      grep -oE "(from|import)[ (]*['\"]\./[^'\"]+['\"]" "$WORK/asset" | grep -oE "\./[^'\"]+" |
        sed "s|^\./|${asset%/*}/|" >"$WORK/imports" || true
      grep -vxFf "$WORK/queue" "$WORK/imports" | sort -u >"$WORK/new" || true
      cat "$WORK/new" >>"$WORK/queue"
    fi
  done
  awk -v name="$1" -v html="$html" -v css="$css" -v js="$js" -v wasm="$wasm" -v decoded="$decoded" \
      -v enc="${encoding:-none}" -v missing="$missing" -v page_status="$page_status" 'BEGIN {
    printf "%-10s %8.1f %8.1f %8.1f %8.1f %9.1f %9.1f  %s%s%s\n", name, html / 1024, css / 1024, js / 1024, wasm / 1024,
      (html + css + js + wasm) / 1024, decoded / 1024, enc, page_status, (missing > 0 ? ", " missing " assets missing" : "")
  }' | tee -a "$REPORT"
}
CATEGORY="/c/$(sort -t'|' -k2,2nr "$WORK/categories" | head -1 | cut -d'|' -f1)"
PRODUCT="$(head -1 "$L/products" | cut -f2)"
SEARCH="$(head -1 "$L/search" | cut -f2)"
say
say "First load (KB on the wire with Accept-Encoding: br, gzip; images and fonts not counted): $CATEGORY, $PRODUCT, $SEARCH"
printf '%-10s %8s %8s %8s %8s %9s %9s  %s\n' "page" "HTML" "CSS" "JS" "WASM" "total" "decoded" "HTML encoding" | tee -a "$REPORT"
first_load home /
first_load category "$CATEGORY"
first_load product "$PRODUCT"
first_load search "$SEARCH"

# --- Lighthouse (npm lighthouse with Debian's Chromium; mobile emulation, its defaults) --------
if [ "${BENCH_LIGHTHOUSE:-1}" != 0 ]; then
  say
  # A tool of the benchmark only: kept out of package.json so the store's own install (and
  # CI's) does not carry it. 12.x is the last line that runs on Node 20.
  LIGHTHOUSE_PREFIX="$HOME/.cache/larkspur/lighthouse"
  [ -x "$LIGHTHOUSE_PREFIX/node_modules/.bin/lighthouse" ] \
    || npm install --prefix "$LIGHTHOUSE_PREFIX" --no-audit --no-fund --loglevel=error lighthouse@12.8.2 >/dev/null || true
  export PATH="$LIGHTHOUSE_PREFIX/node_modules/.bin:$PATH"
  if ! command -v lighthouse >/dev/null; then
    say "Lighthouse not run: npm lighthouse@12.8.2 could not be installed into $LIGHTHOUSE_PREFIX."
  else
    command -v chromium >/dev/null || apt_install chromium
    say "Lighthouse $(lighthouse --version) (mobile emulation, simulated throttling), Chromium $(chromium --version 2>/dev/null | awk '{ print $2 }')"
    printf '%-10s %6s %6s %6s %6s %8s %7s %8s %9s\n' "page" "perf" "a11y" "best" "SEO" "LCP" "CLS" "TBT" "CPU index" | tee -a "$REPORT"
    lighthouse_run() { # url
      CHROME_PATH="$(command -v chromium)" lighthouse "$1" --quiet --output=json --output-path="$WORK/lighthouse.json" \
        --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="--headless --no-sandbox --disable-gpu --disable-dev-shm-usage" >"$WORK/lighthouse.log" 2>&1 &&
        node -e 'process.exit(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).runtimeError ? 1 : 0)' "$WORK/lighthouse.json"
    }
    for entry in "home|/" "category|$CATEGORY" "product|$PRODUCT"; do
      name="${entry%%|*}"
      log "Lighthouse: $name"
      # Once more after a failure: on a busy machine Chromium now and then gives up on a load.
      if lighthouse_run "$SITE_URL${entry#*|}" || lighthouse_run "$SITE_URL${entry#*|}"; then
        node -e '
          const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
          const score = (c) => r.categories[c] && r.categories[c].score !== null ? Math.round(r.categories[c].score * 100) : "n/a";
          const value = (a) => (r.audits[a] || {}).numericValue;
          const ms = (v) => v === undefined ? "n/a" : v >= 1000 ? (v / 1000).toFixed(2) + "s" : Math.round(v) + "ms";
          const cls = value("cumulative-layout-shift");
          console.log([process.argv[2].padEnd(10), ...["performance", "accessibility", "best-practices", "seo"].map((c) => String(score(c)).padStart(6)),
            ms(value("largest-contentful-paint")).padStart(8), (cls === undefined ? "n/a" : cls.toFixed(3)).padStart(7),
            ms(value("total-blocking-time")).padStart(8), String(Math.round(r.environment.benchmarkIndex)).padStart(9)].join(" "));
        ' "$WORK/lighthouse.json" "$name" | tee -a "$REPORT"
      else
        say "$name: Lighthouse failed twice ($(tail -1 "$WORK/lighthouse.log"))"
      fi
    done
    say "CPU index: Lighthouse's benchmarkIndex of this machine at that moment (its scores assume about 1000 or more; lower means the page was measured on a slow or busy CPU)."
  fi
fi

stop_server
say
say "server: $STOPPED"
mkdir -p "$ROOT/bench/results"
RESULT="$ROOT/bench/results/$(date -u +%Y-%m-%dT%H%M%SZ)-$PRODUCTS.txt"
cp "$REPORT" "$RESULT"
echo
echo "figures written to ${RESULT#"$ROOT"/}"
