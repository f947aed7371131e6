#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server from Debian's packages for the hub's tests and prints its
# URL on stdout (everything else goes to stderr):
#     url=$(bash .ci/postgres.sh)
#     FIELDKIT_TEST_POSTGRES_URL="$url" .venv/bin/pytest -m postgres
# Installs the `postgresql` package if missing (as root), then runs its own cluster in
# $FIELDKIT_PG_DIR (default /tmp/fieldkit-postgres) on a free port, owned by the `postgres` user
# when run as root. Running it again reuses the cluster (starting it if it stopped).
set -euo pipefail

DATA=${FIELDKIT_PG_DIR:-/tmp/fieldkit-postgres}
DB_USER=fieldkit
DB_NAME=fieldkit_test
DB_PASSWORD=fieldkit-ci

log() { echo "postgres.sh: $*" >&2; }

find_bin() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

BIN=$(find_bin)
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
        log "PostgreSQL is not installed and this is not root: apt-get install postgresql"
        exit 1
    fi
    log "installing PostgreSQL from Debian's packages"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
    BIN=$(find_bin)
fi

# Run a command as the cluster's owner: `postgres` when we are root (initdb refuses root).
if [ "$(id -u)" = 0 ]; then
    OWNER=postgres
    as_owner() { runuser -u "$OWNER" -- "$@"; }
else
    OWNER=$(id -un)
    as_owner() { "$@"; }
fi

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

if [ ! -f "$DATA/PG_VERSION" ]; then
    log "creating a cluster in $DATA"
    mkdir -p "$DATA"
    chown "$OWNER" "$DATA"
    chmod 700 "$DATA"
    pwfile=$(mktemp)
    echo "$DB_PASSWORD" >"$pwfile"
    chown "$OWNER" "$pwfile"
    as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
        --pwfile="$pwfile" -E UTF8 --locale=C.UTF-8 >&2
    rm -f "$pwfile"
fi

if ! as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
    free_port >"$DATA/fieldkit-port"
    PORT=$(cat "$DATA/fieldkit-port")
    log "starting PostgreSQL on 127.0.0.1:$PORT"
    as_owner "$BIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w -t 60 \
        -o "-p $PORT -c listen_addresses=127.0.0.1 -k $DATA" start >&2
fi
PORT=$(cat "$DATA/fieldkit-port")

psql_admin() {
    as_owner "$BIN/psql" -h "$DATA" -p "$PORT" -U postgres -d postgres -v ON_ERROR_STOP=1 -qtA "$@"
}
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" ]; then
    psql_admin -c "CREATE ROLE $DB_USER LOGIN PASSWORD '$DB_PASSWORD'" >&2
fi
if [ -z "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" ]; then
    psql_admin -c "CREATE DATABASE $DB_NAME OWNER $DB_USER" >&2
fi

echo "postgresql://$DB_USER:$DB_PASSWORD@127.0.0.1:$PORT/$DB_NAME"
