#!/usr/bin/env bash
# A private PostgreSQL server from Debian's packages for tests, CI and a laptop: initdb in FOLDER/data, a Unix
# socket in FOLDER/socket (no TCP port), run as the postgres user when called as root.
#   scripts/postgres.sh start FOLDER   # prints the URL: export PARALLAX_TEST_DATABASE_URL="$(scripts/postgres.sh start /tmp/pg)"
#   scripts/postgres.sh stop FOLDER
set -euo pipefail
cd "$(dirname "$0")/.."
exec "${PYTHON:-.venv/bin/python}" -m parallax.store.localpg "$@"
