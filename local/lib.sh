# Shared settings for the local stack scripts. Sourced, never run.
# STACK=dev (npm start, default) or STACK=test (npm test: its own cluster and ports, so a
# running `npm start` is never touched by the tests).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STACK=${STACK:-dev}
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
PG_PACKAGES=(postgresql-15 postgresql-15-cron postgresql-15-pgtap postgresql-15-plpgsql-check libtap-parser-sourcehandler-pgtap-perl)

if [ "$STACK" = test ]; then
  API_PORT=${TEST_API_PORT:-54331}
  DB_PORT=${TEST_DB_PORT:-54332}
  MAIL_PORT=${TEST_MAIL_PORT:-$((API_PORT + 3))}
else
  API_PORT=${API_PORT:-54321}
  DB_PORT=${DB_PORT:-54322}
  # The mail catcher: API port + 3, which is Mailpit's 54324 beside the default API port.
  MAIL_PORT=${MAIL_PORT:-$((API_PORT + 3))}
fi

# Local development secrets, the same well-known values `supabase start` uses.
JWT_SECRET=${JWT_SECRET:-super-secret-jwt-token-with-at-least-32-characters-long}
DB_PASSWORD=postgres
DB_URL="postgresql://postgres:${DB_PASSWORD}@127.0.0.1:${DB_PORT}/postgres"
API_URL="http://127.0.0.1:${API_PORT}"
MAIL_URL="http://127.0.0.1:${MAIL_PORT}"
# The CLI treats any port but 54322 as a remote project and insists on TLS unless told not to.
CLI_DB_URL="${DB_URL}?sslmode=disable"

# The cluster lives outside the checkout: the postgres OS user must be able to reach it even
# when the checkout sits under a private folder. The folder is keyed by the checkout's path, and
# .stack/ in the checkout (git-ignored) links to it and keeps the logs.
STATE_DIR="$ROOT/.stack/$STACK"
KEY=$(printf '%s' "$ROOT" | sha1sum | cut -c1-12)
CLUSTER_DIR="/var/tmp/guestlist-$KEY/$STACK"
PGDATA="$CLUSTER_DIR/data"
PG_LOG="$STATE_DIR/postgres.log"
CRON_HOST="cron.host = '$CLUSTER_DIR'"

export ROOT STACK API_PORT DB_PORT MAIL_PORT JWT_SECRET DB_URL API_URL MAIL_URL PGDATA

say() { printf '\033[1m[%s]\033[0m %s\n' "$STACK" "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Run a command as the OS user that owns the cluster (postgres when we are root).
as_pg() {
  if is_root; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

port_owner() {
  command -v ss >/dev/null && ss -ltnpH "sport = :$1" 2>/dev/null | sed -n 's/.*users:((\("[^"]*",pid=[0-9]*\).*/\1/p' | head -1
}

# `postgres` is what a project's owner gets on Supabase (not a superuser): migrations, seed, tests.
psql_db() { PGOPTIONS="-c client_min_messages=warning" PGPASSWORD=$DB_PASSWORD "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DB_PORT" -U postgres "$@"; }
# The platform's own superuser, as on Supabase: creates the cluster, the database and the
# platform bootstrap; nothing of the product runs as it.
ADMIN_USER=supabase_admin
psql_admin() { PGOPTIONS="-c client_min_messages=warning" PGPASSWORD=$DB_PASSWORD "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$DB_PORT" -U "$ADMIN_USER" "$@"; }

supabase_cli() { (cd "$ROOT" && "$ROOT/node_modules/.bin/supabase" "$@"); }
