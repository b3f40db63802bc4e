#!/usr/bin/env bash
# Installs whatever this machine lacks to build, run and test the store, then exports
# the environment the other scripts need. Idempotent: a second run only checks.
# Sourced by scripts/start and scripts/test (not meant to be run on its own).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

log() { printf '\033[1;34m[bootstrap]\033[0m %s\n' "$*"; }

# Build output lives outside the clone so fresh clones reuse it (CI clones afresh each run).
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/larkspur/target}"
export PATH="$HOME/.cargo/bin:$ROOT/node_modules/.bin:$PATH"
mkdir -p "$CARGO_TARGET_DIR"

SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
APT_UPDATED=""
apt_install() {
  if [ -z "$APT_UPDATED" ]; then $SUDO apt-get update -qq; APT_UPDATED=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# --- PostgreSQL and Redis ----------------------------------------------------------
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  if ! command -v pg_ctlcluster >/dev/null; then log "installing PostgreSQL"; apt_install postgresql; fi
  log "starting PostgreSQL"
  $SUDO pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -h 127.0.0.1 -p 5432 -q && break; sleep 1; done
fi
if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  if ! command -v redis-server >/dev/null; then log "installing Redis"; apt_install redis-server; fi
  log "starting Redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 30); do redis-cli -h 127.0.0.1 ping >/dev/null 2>&1 && break; sleep 1; done
fi

# --- Rust toolchain pieces -----------------------------------------------------------
if ! rustup target list --installed | grep -q wasm32-unknown-unknown; then
  log "adding the wasm32 target"; rustup target add wasm32-unknown-unknown
fi

if [ "$(cargo leptos --version 2>/dev/null)" != "cargo-leptos 0.3.10" ]; then
  # 0.3.11 needs a newer rustc. A debug build of the tool is enough (it only orchestrates)
  # and costs minutes instead of the ~50 of its own LTO release profile.
  log "installing cargo-leptos 0.3.10 (one-off, several minutes)"
  CARGO_PROFILE_DEV_DEBUG=0 CARGO_TARGET_DIR="$HOME/.cache/larkspur/tools-target" \
    cargo install cargo-leptos --locked --version 0.3.10 --debug
fi

WB_VERSION="$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/version = |"/,""); print; exit}' Cargo.lock)"
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WB_VERSION" ]; then
  # cargo-leptos runs the wasm-bindgen on PATH without checking its version, and the CLI
  # must match the library exactly. Its published lock pins a webpki-roots this registry
  # lacks, so build from a copy of the crate with that one entry moved back.
  log "installing wasm-bindgen-cli $WB_VERSION (one-off, several minutes)"
  SRC="$(mktemp -d)"
  (cd "$SRC" && cargo init -q --name wbfetch && cargo add -q "wasm-bindgen-cli@=$WB_VERSION" && cargo fetch -q) || true
  CRATE_DIR="$(ls -d "$HOME"/.cargo/registry/src/*/wasm-bindgen-cli-"$WB_VERSION" | head -1)"
  cp -r "$CRATE_DIR" "$SRC/cli"
  (cd "$SRC/cli" && (cargo update -q -p webpki-roots --precise 1.0.10 || true) \
    && CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 CARGO_PROFILE_RELEASE_OPT_LEVEL=2 \
       CARGO_TARGET_DIR="$HOME/.cache/larkspur/tools-target" cargo install --path . --locked --force)
  rm -rf "$SRC"
fi

# --- Node tools (Tailwind, Playwright, binaryen, test stand-ins) --------------------------
if ! command -v node >/dev/null; then log "installing Node.js"; apt_install nodejs npm; fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  # `npm install` with the committed lock (it leaves the lock unchanged): `npm ci` refuses
  # this lock because the registry here has no entries for Tailwind's other-platform
  # optional binaries, which npm then leaves out of the lock.
  log "installing npm packages"; npm install --no-audit --no-fund --loglevel=error
fi

# --- moto: a local S3-compatible server the media store's tests run against --------------
MOTO_VENV="$HOME/.cache/larkspur/venv"
if [ ! -x "$MOTO_VENV/bin/moto_server" ]; then
  log "installing moto[server] into $MOTO_VENV"
  if ! command -v python3 >/dev/null; then apt_install python3 python3-venv; fi
  # Debian's python3 makes venvs only with python3-venv (ensurepip) installed.
  if ! python3 -m venv "$MOTO_VENV" >/dev/null 2>&1; then
    rm -rf "$MOTO_VENV"; apt_install python3-venv; python3 -m venv "$MOTO_VENV"
  fi
  "$MOTO_VENV/bin/pip" install -q 'moto[server]>=5,<6'
fi
export PATH="$MOTO_VENV/bin:$PATH"

export DATABASE_URL="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/larkspur}"
export REDIS_URL="${REDIS_URL:-redis://127.0.0.1:6379}"
# A per-machine secret for local runs, made once; production sets its own.
if [ -z "${AUTH_SECRET:-}" ]; then
  SECRET_FILE="$HOME/.cache/larkspur/dev-auth-secret"
  [ -s "$SECRET_FILE" ] || (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$SECRET_FILE")
  AUTH_SECRET="$(cat "$SECRET_FILE")"
  export AUTH_SECRET
fi
