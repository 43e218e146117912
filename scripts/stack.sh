#!/usr/bin/env bash
# The whole local stack: Postgres (migrated and seeded) and, once it exists, the API gateway.
#   scripts/stack.sh up       start in the background (idempotent)
#   scripts/stack.sh down     stop (idempotent)
#   scripts/stack.sh start    start in the foreground, print URLs and keys, stop on Ctrl-C
#   scripts/stack.sh status   print API_URL, DB_URL, ANON_KEY, SERVICE_ROLE_KEY, JWT_SECRET
source "$(dirname "$0")/lib.sh"
DB="$ROOT/scripts/db.sh"

up() {
  "$DB" up
  local fresh
  fresh=$(psql_db -d postgres -Atc "select to_regclass('supabase_migrations.schema_migrations') is null")
  "$DB" bootstrap
  "$DB" migrate
  if [ "$fresh" = t ]; then "$DB" seed; fi
}

down() {
  "$DB" down
}

status() { node "$ROOT/scripts/keys.mjs"; }

start() {
  trap 'echo; down; exit 0' INT TERM
  up
  say "local stack is up"
  status
  say "press Ctrl-C to stop"
  while "$DB" status >/dev/null; do sleep 2; done
  die "Postgres stopped unexpectedly; see $PG_LOG"
}

case "${1:-}" in
  up|down|start|status) "$1" ;;
  *) die "usage: scripts/stack.sh up|down|start|status" ;;
esac
