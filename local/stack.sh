#!/usr/bin/env bash
# The whole local stack: Postgres (migrated and seeded) and the API gateway (Deno).
#   local/stack.sh up       start in the background (idempotent)
#   local/stack.sh down     stop (idempotent)
#   local/stack.sh start    start in the foreground, print URLs and keys, stop on Ctrl-C
#   local/stack.sh status   print API_URL, DB_URL, ANON_KEY, SERVICE_ROLE_KEY, JWT_SECRET
source "$(dirname "$0")/lib.sh"
DB="$ROOT/local/db.sh"
DENO="$ROOT/node_modules/.bin/deno"
GW_PID="$STATE_DIR/gateway.pid"
GW_LOG="$STATE_DIR/gateway.log"

gateway_running() { [ -f "$GW_PID" ] && kill -0 "$(cat "$GW_PID")" 2>/dev/null; }

gateway_up() {
  gateway_running && return 0
  [ -x "$DENO" ] || die "node_modules/.bin/deno is missing: run npm install first"
  if port_open "$API_PORT"; then
    die "port $API_PORT is in use by another program ($(port_owner "$API_PORT" || echo unknown)); stop it or set ${STACK^^}_API_PORT"
  fi
  say "starting the API gateway on $API_URL"
  eval "$(node "$ROOT/local/keys.mjs" | sed 's/^/export /')"
  # The static pages, built for this stack with its URL and anon key in their one config file.
  node "$ROOT/scripts/build-pages.mjs" --out "$STATE_DIR/pages" --url "$API_URL" --anon-key "$ANON_KEY" \
    || die "building the pages (scripts/build-pages.mjs) failed"
  DB_PORT=$DB_PORT FUNCTIONS_DIR="$ROOT/supabase/functions" SUPABASE_CONFIG="$ROOT/supabase/config.toml" \
    PAGES_DIR="$STATE_DIR/pages" nohup "$DENO" run --allow-all --config "$ROOT/deno.json" "$ROOT/local/gateway/main.ts" \
    >"$GW_LOG" 2>&1 </dev/null &
  echo $! >"$GW_PID"
  for _ in $(seq 1 120); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$API_URL/health"; then
      return 0
    fi
    gateway_running || { tail -20 "$GW_LOG" >&2; die "the gateway did not start; see $GW_LOG"; }
    sleep 0.5
  done
  die "the gateway did not answer within 60 s; see $GW_LOG"
}

gateway_down() {
  gateway_running || { rm -f "$GW_PID"; return 0; }
  say "stopping the API gateway"
  kill "$(cat "$GW_PID")" 2>/dev/null || true
  for _ in $(seq 1 20); do gateway_running || break; sleep 0.2; done
  gateway_running && kill -9 "$(cat "$GW_PID")" 2>/dev/null
  rm -f "$GW_PID"
}

up() {
  "$DB" up
  local fresh
  fresh=$(psql_db -d postgres -Atc "select to_regclass('supabase_migrations.schema_migrations') is null")
  "$DB" bootstrap
  "$DB" migrate
  if [ "$fresh" = t ]; then "$DB" seed; fi
  gateway_up
}

down() {
  gateway_down
  "$DB" down
}

status() { node "$ROOT/local/keys.mjs"; }

start() {
  trap 'echo; down; exit 0' INT TERM
  up
  say "local stack is up"
  status
  say "press Ctrl-C to stop"
  while "$DB" status >/dev/null && gateway_running; do sleep 2; done
  down
  die "the stack stopped unexpectedly; see $PG_LOG and $GW_LOG"
}

case "${1:-}" in
  up|down|start|status) "$1" ;;
  *) die "usage: local/stack.sh up|down|start|status" ;;
esac
