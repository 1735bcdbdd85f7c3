#!/usr/bin/env bash
# Runs every test of Switchboard on a fresh machine: installs what the tests need (Debian
# packages, among them an SMTP server; npm packages), starts a throw-away PostgreSQL, checks the
# formatting and clippy's lints, runs the Rust tests (store tests on SQLite and PostgreSQL), then
# the browser tests in headless chromium.
set -euo pipefail
cd "$(dirname "$0")/.."

SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null || missing+=(chromium)
command -v sipp >/dev/null || missing+=(sip-tester)
command -v sox >/dev/null || missing+=(sox)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v tcpdump >/dev/null || missing+=(tcpdump)
command -v ss >/dev/null || missing+=(iproute2)
command -v npm >/dev/null || missing+=(nodejs npm)
[ -x /usr/bin/python3 ] || missing+=(python3)
/usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null || missing+=(python3-aiosmtpd)
command -v cc >/dev/null || missing+=(build-essential)
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}"
eval "$(scripts/pg-start.sh)"
trap 'scripts/pg-stop.sh "$SWITCHBOARD_TEST_PG_DIR"' EXIT
echo "PostgreSQL for tests: $SWITCHBOARD_TEST_PG_URL"

for c in fmt clippy; do
  cargo $c --version >/dev/null 2>&1 || { echo "cargo $c is missing: rustup component add rustfmt clippy"; exit 1; }
done
cargo fmt --all --check
cargo clippy --locked --workspace --all-targets -- -D warnings
cargo build --locked --workspace --all-targets
cargo test --locked --workspace

(cd e2e && npm ci --no-audit --no-fund --loglevel=error && SWITCHBOARD_BIN="$CARGO_TARGET_DIR/debug/switchboard" npm test --silent)
