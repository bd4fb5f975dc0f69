#!/usr/bin/env bash
# A throw-away PostgreSQL server for the tests: Debian's `postgresql` package (its server binaries
# are not on PATH: `pg_config --bindir` names their folder), a cluster initdb'd into a fresh
# temporary directory, listening on 127.0.0.1 only and on a Unix socket inside that directory,
# trust authentication (nothing but this machine's loopback can reach it, and it lives for one test
# run), stopped and removed at the end.
#
#   scripts/postgres.sh run -- <command...>   start a server, run the command with
#                                             COUNTERSIGN_TEST_DATABASE_URL and COUNTERSIGN_TEST_PG_DIR
#                                             set, stop the server and remove its directory whatever
#                                             the command's outcome (trap), exit with the command's status
#   scripts/postgres.sh start                 start one; prints the directory (stop it with `stop <dir>`)
#   scripts/postgres.sh stop <dir>            stop the server of <dir> and remove <dir>
#   scripts/postgres.sh restart <dir>         restart it (the fault tests use this: a server restart mid-run)
#
# With COUNTERSIGN_TEST_DATABASE_URL already set, `run` starts nothing and points the command at
# that server (the user's own). Not DATABASE_URL: the tests create and drop tables, and a variable
# that common is often set for an application's real database.
#
# PostgreSQL refuses to run as root. As root (this machine, CI containers), the server runs as the
# `postgres` user the Debian package created (runuser); as anyone else, as that user.
set -euo pipefail

PG_START_TIMEOUT_S=30

die() { printf '[postgres] %s\n' "$*" >&2; exit 1; }

bindir() {
  command -v pg_config >/dev/null || die "pg_config not found: install Debian's postgresql (scripts/bootstrap.sh does)"
  local dir
  dir=$(pg_config --bindir)
  [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ] || die "no initdb/pg_ctl in $dir: install Debian's postgresql (the server, not only the client)"
  printf '%s\n' "$dir"
}

# Runs a server binary as the user the server runs as.
as_server_user() {
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root and there is no 'postgres' user to run the server as"
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# A TCP port nobody listens on now (the kernel picks it).
free_port() {
  node -e 'const s = require("node:net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

start() {
  local bin dir port
  bin=$(bindir)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/countersign-pg.XXXXXX")
  chmod 0700 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
  as_server_user "$bin/initdb" --pgdata="$dir/data" --username=postgres --auth=trust --encoding=UTF8 \
    --no-locale --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  port=$(free_port)
  # fsync and synchronous_commit stay on (the defaults): the fault tests restart this server and
  # check that every acknowledged write survived.
  as_server_user "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --wait --timeout="$PG_START_TIMEOUT_S" \
    -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$dir -c max_connections=50" \
    start >/dev/null || { cat "$dir/server.log" >&2 || true; rm -rf "$dir"; die "the server did not start"; }
  printf 'postgres://postgres@127.0.0.1:%s/postgres\n' "$port" >"$dir/url"
  printf '%s\n' "$dir"
}

stop() {
  local dir=$1 bin
  [ -n "$dir" ] && [ -f "$dir/url" ] || die "stop: $dir is not a directory made by '$0 start'"
  bin=$(bindir)
  as_server_user "$bin/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null 2>&1 \
    || as_server_user "$bin/pg_ctl" --pgdata="$dir/data" --mode=immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}

restart() {
  local dir=$1 bin
  [ -n "$dir" ] && [ -f "$dir/url" ] || die "restart: $dir is not a directory made by '$0 start'"
  bin=$(bindir)
  as_server_user "$bin/pg_ctl" --pgdata="$dir/data" --log="$dir/server.log" --mode=fast --wait \
    --timeout="$PG_START_TIMEOUT_S" restart >/dev/null
}

run() {
  [ "${1:-}" = "--" ] && shift
  [ "$#" -gt 0 ] || die "run: no command given"
  if [ -n "${COUNTERSIGN_TEST_DATABASE_URL:-}" ]; then
    printf '[postgres] using COUNTERSIGN_TEST_DATABASE_URL (no server started)\n' >&2
    "$@"
    return
  fi
  local status=0
  # Global: the EXIT trap runs after this function has returned.
  RUN_DIR=$(start)
  # Stopped and removed also when the command fails or the run is interrupted.
  trap 'stop "$RUN_DIR"' EXIT
  trap 'exit 130' INT TERM
  printf '[postgres] test server %s in %s\n' "$(cat "$RUN_DIR/url")" "$RUN_DIR" >&2
  COUNTERSIGN_TEST_DATABASE_URL=$(cat "$RUN_DIR/url") COUNTERSIGN_TEST_PG_DIR=$RUN_DIR "$@" || status=$?
  return "$status"
}

case "${1:-}" in
  run) shift; run "$@" ;;
  start) start ;;
  stop) stop "${2:-}" ;;
  restart) restart "${2:-}" ;;
  *) die "usage: $0 run -- <command...> | start | stop <dir> | restart <dir>" ;;
esac
