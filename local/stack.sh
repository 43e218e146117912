#!/usr/bin/env bash
# The whole local stack: Postgres (migrated and seeded), the mail catcher and the API gateway (Deno).
#   local/stack.sh up       start in the background (idempotent)
#   local/stack.sh down     stop (idempotent)
#   local/stack.sh start    start in the foreground, print URLs and keys, stop on Ctrl-C
#   local/stack.sh status   print API_URL, DB_URL, MAILPIT_URL, ANON_KEY, SERVICE_ROLE_KEY, JWT_SECRET
source "$(dirname "$0")/lib.sh"
DB="$ROOT/local/db.sh"
DENO="$ROOT/node_modules/.bin/deno"
GW_PID="$STATE_DIR/gateway.pid"
GW_LOG="$STATE_DIR/gateway.log"
MAIL_PID="$STATE_DIR/mail.pid"
MAIL_LOG="$STATE_DIR/mail.log"

mail_running() { [ -f "$MAIL_PID" ] && kill -0 "$(cat "$MAIL_PID")" 2>/dev/null; }

# The mail catcher (local/mail/main.ts), as `supabase start` runs Mailpit: the local Auth and the
# product's email provider calls deliver to it.
mail_up() {
  mail_running && return 0
  [ -x "$DENO" ] || die "node_modules/.bin/deno is missing: run npm install first"
  if port_open "$MAIL_PORT"; then
    die "port $MAIL_PORT is in use by another program ($(port_owner "$MAIL_PORT" || echo unknown)); stop it or set ${STACK^^}_MAIL_PORT"
  fi
  say "starting the mail catcher on $MAIL_URL"
  mkdir -p "$STATE_DIR"
  MAIL_PORT=$MAIL_PORT nohup "$DENO" run --allow-net --allow-env --config "$ROOT/deno.json" "$ROOT/local/mail/main.ts" \
    >"$MAIL_LOG" 2>&1 </dev/null &
  echo $! >"$MAIL_PID"
  for _ in $(seq 1 60); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$MAIL_URL/livez"; then
      return 0
    fi
    mail_running || { tail -20 "$MAIL_LOG" >&2; die "the mail catcher did not start; see $MAIL_LOG"; }
    sleep 0.5
  done
  die "the mail catcher did not answer within 30 s; see $MAIL_LOG"
}

mail_down() {
  mail_running || { rm -f "$MAIL_PID"; return 0; }
  say "stopping the mail catcher"
  kill "$(cat "$MAIL_PID")" 2>/dev/null || true
  for _ in $(seq 1 20); do mail_running || break; sleep 0.2; done
  mail_running && kill -9 "$(cat "$MAIL_PID")" 2>/dev/null
  rm -f "$MAIL_PID"
}

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
  # MAIL_URL: where the local Auth delivers its emails (GoTrue's SMTP server on Supabase).
  # RESEND_API_URL, RESEND_API_KEY: the edge functions' email provider secrets, as `supabase
  # secrets set` gives them on a project, pointing at the catcher, which answers the provider's
  # send call; so the functions run their production path here.
  DB_PORT=$DB_PORT FUNCTIONS_DIR="$ROOT/supabase/functions" SUPABASE_CONFIG="$ROOT/supabase/config.toml" \
    PAGES_DIR="$STATE_DIR/pages" MAIL_URL="$MAIL_URL" \
    RESEND_API_URL="${RESEND_API_URL:-$MAIL_URL}" RESEND_API_KEY="${RESEND_API_KEY:-re_local_mail_catcher}" nohup "$DENO" run --allow-all --config "$ROOT/deno.json" "$ROOT/local/gateway/main.ts" \
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
  mail_up
  gateway_up
}

down() {
  gateway_down
  mail_down
  "$DB" down
}

status() { node "$ROOT/local/keys.mjs"; }

start() {
  trap 'echo; down; exit 0' INT TERM
  up
  say "local stack is up"
  status
  say "sent emails: $MAIL_URL"
  say "press Ctrl-C to stop"
  while "$DB" status >/dev/null && gateway_running && mail_running; do sleep 2; done
  down
  die "the stack stopped unexpectedly; see $PG_LOG, $GW_LOG and $MAIL_LOG"
}

case "${1:-}" in
  up|down|start|status) "$1" ;;
  *) die "usage: local/stack.sh up|down|start|status" ;;
esac
