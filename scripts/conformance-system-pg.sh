#!/usr/bin/env bash
# Run the conformance tests (migrations, views, functions) against the machine's own PostgreSQL.
set -euo pipefail
pytest_bin="$1"
if ! out=$(bash scripts/system-postgres.sh 2>/dev/null); then
    echo "conformance: no system PostgreSQL on this machine; skipped"
    exit 0
fi
url=${out% DIR=*}
dir=${out#* DIR=}
trap 'bash scripts/system-postgres.sh stop "$dir"' EXIT
echo "conformance: running against the system PostgreSQL at $url"
FANLENS_TEST_DATABASE_URL="$url" "$pytest_bin" -q -m conformance -p no:cacheprovider
