#!/usr/bin/env bash
# Start a throwaway PostgreSQL cluster on 127.0.0.1 for the storage tests and print its URL on stdout
# (everything else goes to stderr), e.g.
#
#   export TUNELAB_TEST_POSTGRES_URL="$(scripts/start-test-postgres.sh)"
#   pytest -m postgres tests/contract/test_storage_contract.py
#   scripts/start-test-postgres.sh stop
#
# or, to run one command with a server that is stopped and removed when the command ends (however it ends),
# unless the server was already running before (then it is left as it was):
#
#   scripts/start-test-postgres.sh run bash scripts/test.sh
#
# `run` exports TUNELAB_TEST_POSTGRES_URL to the command, runs the command without PostgreSQL (with a note)
# when no server can be started, and exits with the command's status.
# The cluster is for tests only: trust authentication, fsync off, bound to 127.0.0.1. If no PostgreSQL
# binaries are found, the Debian `postgresql` package is installed with apt-get (needs root or sudo).
# Settings: TUNELAB_PG_PORT (54329), TUNELAB_PG_DIR (/tmp/tunelab-pg-<port>), TUNELAB_PG_DB (tunelab_test).
set -euo pipefail

PORT="${TUNELAB_PG_PORT:-54329}"
DATA="${TUNELAB_PG_DIR:-/tmp/tunelab-pg-$PORT}"
DB="${TUNELAB_PG_DB:-tunelab_test}"
URL="postgresql://postgres@127.0.0.1:$PORT/$DB"

log() { echo "start-test-postgres: $*" >&2; }

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

find_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [ -z "$dir" ] && command -v pg_ctl >/dev/null 2>&1; then
        dir="$(dirname "$(command -v pg_ctl)")"
    fi
    echo "$dir"
}

if [ "${1:-start}" = "run" ]; then
    shift
    [ "$#" -gt 0 ] || { log "run: give the command to run"; exit 2; }
    # Something already listening on the port is a server this command did not start: leave it running.
    if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then started_here=0; else started_here=1; fi
    if [ "$started_here" -eq 1 ]; then
        # The trap holds because the command runs as this shell's child (an exec would drop it).
        trap 'bash "$0" stop >/dev/null 2>&1 || true' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    fi
    if url="$(bash "$0" start)"; then
        export TUNELAB_TEST_POSTGRES_URL="$url"
    else
        log "note: PostgreSQL could not be started; PostgreSQL tests will be skipped"
    fi
    set +e
    "$@"
    status=$?
    set -e
    exit "$status"
fi

BIN="$(find_bin)"
if [ -z "$BIN" ] || [ ! -x "$BIN/initdb" ]; then
    log "no PostgreSQL binaries found; installing the Debian postgresql package"
    as_root apt-get update -qq >&2
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
    BIN="$(find_bin)"
    if [ -z "$BIN" ]; then
        log "PostgreSQL is still missing after apt-get install postgresql"
        exit 1
    fi
fi

# initdb and the server refuse to run as root: run them as the postgres user when we are root.
RUN_AS=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    RUN_AS=(runuser -u postgres --)
fi
pg() { "${RUN_AS[@]}" "$BIN/$1" "${@:2}"; }

if [ "${1:-start}" = "stop" ]; then
    if [ -f "$DATA/postmaster.pid" ]; then
        pg pg_ctl -D "$DATA" -m fast -w stop >&2
    fi
    rm -rf "$DATA"
    log "stopped and removed $DATA"
    exit 0
fi

if "$BIN/pg_isready" -q -h 127.0.0.1 -p "$PORT"; then
    log "a server already answers on 127.0.0.1:$PORT; reusing it"
else
    if [ ! -f "$DATA/PG_VERSION" ]; then
        mkdir -p "$DATA"
        [ "${#RUN_AS[@]}" -eq 0 ] || chown postgres "$DATA"
        chmod 700 "$DATA"
        pg initdb -D "$DATA" -U postgres -A trust -E UTF8 --locale=C --no-sync >&2
    fi
    pg pg_ctl -D "$DATA" -l "$DATA/server.log" -w -t 60 start -o \
        "-c listen_addresses=127.0.0.1 -p $PORT -c unix_socket_directories=$DATA -c fsync=off \
         -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" >&2
fi

if ! "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = '$DB'" | grep -q 1; then
    "$BIN/createdb" -h 127.0.0.1 -p "$PORT" -U postgres "$DB"
fi
echo "$URL"
