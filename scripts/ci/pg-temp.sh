#!/usr/bin/env bash
# Starts a throwaway PostgreSQL cluster on 127.0.0.1, on a free port, with its data in a temporary folder.
#   scripts/ci/pg-temp.sh start DIR   -> prints the postgresql:// URL on stdout
#   scripts/ci/pg-temp.sh stop DIR
# Needs Debian's postgresql (its binaries under /usr/lib/postgresql/<major>/bin). Runs as root by
# handing the cluster to the unprivileged 'postgres' user (or 'nobody' when that user is missing).
set -euo pipefail
cmd=${1:?start|stop}; dir=${2:?data folder}
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
[ -n "$bindir" ] || { echo "pg-temp: PostgreSQL binaries not found (apt-get install postgresql)" >&2; exit 1; }
owner=postgres; id -u postgres >/dev/null 2>&1 || owner=nobody
as_owner() { if [ "$(id -u)" = 0 ]; then runuser -u "$owner" -- "$@"; else "$@"; fi; }
case "$cmd" in
  start)
    mkdir -p "$dir"; [ "$(id -u)" = 0 ] && chown "$owner" "$dir"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c max_connections=300 -c shared_buffers=128MB" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    [ -d "$dir/data" ] && as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    ;;
  *) echo "usage: $0 start|stop DIR" >&2; exit 2 ;;
esac
