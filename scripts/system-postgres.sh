#!/usr/bin/env bash
# Start a throwaway cluster of the machine's own PostgreSQL (Debian's, e.g. 15) on a local port,
# so the conformance tests prove "any PostgreSQL >= 15" on a second version.
# Prints the admin URL on stdout; `scripts/system-postgres.sh stop DIR` stops it.
set -euo pipefail

if [[ "${1:-}" == "stop" ]]; then
    dir="$2"
    bin=$(cat "$dir/.bindir")
    runuser -u postgres -- "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$dir"
    exit 0
fi

bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
if [[ -z "$bindir" || ! -x "$bindir/postgres" ]]; then
    echo "no system PostgreSQL found" >&2
    exit 3
fi
port="${SYSTEM_PG_PORT:-54329}"
dir=$(mktemp -d /tmp/fanlens-syspg.XXXXXX)
echo "$bindir" > "$dir/.bindir"
chown -R postgres "$dir" 2>/dev/null || true
as_pg() { if [[ $(id -u) == 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
as_pg "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 >/dev/null
as_pg "$bindir/pg_ctl" -D "$dir/data" -l "$dir/log" -w \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1" start >/dev/null
echo "postgresql://postgres@127.0.0.1:$port/postgres DIR=$dir"
