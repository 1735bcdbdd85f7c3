#!/usr/bin/env bash
# Builds and starts Switchboard with its embedded defaults: a SQLite file under ./data and the
# web app on http://127.0.0.1:8080. The first start creates an organization and an admin and
# prints the admin's one-time password. Settings: switchboard.toml or SWITCHBOARD_* variables.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v cc >/dev/null; then
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq build-essential >/dev/null
fi
# The words queues say to waiting callers (espeak-ng; kept when already there).
scripts/prompts.sh "${SWITCHBOARD_DATA_DIR:-data}/prompts"
exec cargo run --locked --release -p switchboard -- serve "$@"
