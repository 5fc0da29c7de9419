#!/usr/bin/env bash
# The whole test suite: installs what the browser and HTML tests need, then lint, types and pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin

need=()
command -v chromium >/dev/null || need+=(chromium)
command -v java >/dev/null || need+=(default-jre-headless)
command -v npm >/dev/null || need+=(npm)
command -v redis-server >/dev/null || need+=(redis-server)
command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || command -v initdb >/dev/null || need+=(postgresql)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "Installing system packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "Missing system packages: ${need[*]} (install them with: sudo apt-get install ${need[*]})" >&2
    exit 1
  fi
fi
if [ ! -f node_modules/vnu-jar/build/dist/vnu.jar ]; then
  npm install --no-audit --no-fund --silent
fi

echo "== ruff"; $BIN/ruff check .
echo "== mypy"; $BIN/mypy
echo "== bandit"; $BIN/bandit -q -c pyproject.toml -r parallax app.py
# Two workers (this machine has two cores): the whole suite, browser and slow tests included, in about 8 minutes.
echo "== pytest"; $BIN/python -m pytest -n 2 "$@"
