#!/usr/bin/env bash
# The whole local stack: Postgres (migrated and seeded), the mail catcher and the API gateway (Deno).
#   local/stack.sh up       start in the background (idempotent)
#   local/stack.sh down     stop (idempotent)
#   local/stack.sh start    start in the foreground, print URLs and keys, stop on Ctrl-C
#   local/stack.sh status   print API_URL, DB_URL, MAILPIT_URL, ANON_KEY, SERVICE_ROLE_KEY, PUBLISHABLE_KEY, SECRET_KEY, JWT_SECRET
source "$(dirname "$0")/lib.sh"
DB="$ROOT/local/db.sh"
DENO="$ROOT/node_modules/.bin/deno"
GW_PID="$STATE_DIR/gateway.pid"
GW_LOG="$STATE_DIR/gateway.log"
MAIL_PID="$STATE_DIR/mail.pid"
MAIL_LOG="$STATE_DIR/mail.log"

mail_running() { running "$MAIL_PID"; }

# The mail catcher (local/mail/main.ts), as `supabase start` runs Mailpit: the local Auth and the
# product's email provider calls deliver to it.
mail_up() {
  mail_running && return 0
  before_start "$MAIL_PORT" MAIL_PORT
  say "starting the mail catcher on $MAIL_URL"
  mkdir -p "$STATE_DIR"
  MAIL_PORT=$MAIL_PORT nohup "$DENO" run --allow-net --allow-env --config "$ROOT/deno.json" "$ROOT/local/mail/main.ts" \
    >"$MAIL_LOG" 2>&1 </dev/null &
  echo $! >"$MAIL_PID"
  wait_ready "$MAIL_URL/livez" "$MAIL_PID" "$MAIL_LOG" "the mail catcher" 60
}

mail_down() { stop_process "$MAIL_PID" "the mail catcher"; }

# A background process of the stack, by its pid file: alive?, can it start (deno, a free port),
# stop it, wait until it answers.
running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

before_start() {
  [ -x "$DENO" ] || die "node_modules/.bin/deno is missing: run npm install first"
  if port_open "$1"; then
    die "port $1 is in use by another program ($(port_owner "$1" || echo unknown)); stop it or set ${STACK^^}_$2"
  fi
}

stop_process() {
  local pidfile=$1 label=$2
  running "$pidfile" || { rm -f "$pidfile"; return 0; }
  say "stopping $label"
  kill "$(cat "$pidfile")" 2>/dev/null || true
  for _ in $(seq 1 20); do running "$pidfile" || break; sleep 0.2; done
  running "$pidfile" && kill -9 "$(cat "$pidfile")" 2>/dev/null
  rm -f "$pidfile"
}

wait_ready() {
  local url=$1 pidfile=$2 log=$3 label=$4 tries=$5
  for _ in $(seq 1 "$tries"); do
    if node -e 'fetch(process.argv[1]).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' "$url"; then
      return 0
    fi
    running "$pidfile" || { tail -20 "$log" >&2; die "$label did not start; see $log"; }
    sleep 0.5
  done
  die "$label did not answer within $((tries / 2)) s; see $log"
}

gateway_running() { running "$GW_PID"; }

gateway_up() {
  gateway_running && return 0
  before_start "$API_PORT" API_PORT
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
    RESEND_API_URL="${RESEND_API_URL:-$MAIL_URL}" RESEND_API_KEY="${RESEND_API_KEY:-re_local_mail_catcher}" \
    nohup "$DENO" run --allow-all --config "$ROOT/deno.json" "$ROOT/local/gateway/main.ts" \
    >"$GW_LOG" 2>&1 </dev/null &
  echo $! >"$GW_PID"
  wait_ready "$API_URL/health" "$GW_PID" "$GW_LOG" "the gateway" 120
}

gateway_down() { stop_process "$GW_PID" "the API gateway"; }

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
