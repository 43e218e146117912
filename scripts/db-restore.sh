#!/usr/bin/env bash
# scripts/db-restore.sh <dump folder> <database url>
# Restores a backup of npm run db:dump into a fresh Supabase database (a new project, or the
# local stack after `local/db.sh empty`): the extensions, the migrations' default privileges, the
# schema, the product's policies on platform tables and role settings, the rows (triggers off, as the dump asks),
# pg_cron's jobs, and the migration history (`supabase migration repair`). Runs as postgres, as
# on a project. Stops at the first error.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
[ $# -eq 2 ] || { echo "usage: scripts/db-restore.sh <dump folder> <database url>" >&2; exit 2; }
dir=$1 url=$2
run() { PGOPTIONS="-c client_min_messages=warning" psql "$url" -X -q -v ON_ERROR_STOP=1 -f "$1" >/dev/null; }
# The extensions the migrations enable (a new project has pgcrypto; pg_cron and pg_net are
# enabled here, pg_net only where no `net` schema exists, as the migration does).
PGOPTIONS="-c client_min_messages=warning" psql "$url" -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL'
create extension if not exists pgcrypto with schema extensions;
create extension if not exists pg_cron with schema pg_catalog;
do $$ begin
  if not exists (select from pg_namespace where nspname = 'net') then create extension pg_net with schema extensions; end if;
end $$;
SQL
# The default privileges the migrations set (no grants to the API roles on new objects), before
# any object exists: a dump says only how each object's privileges differ from the built-in
# default, so the project's own defaults would otherwise add grants the original never had.
grep -h -i '^alter default privileges' "$ROOT"/supabase/migrations/*.sql \
  | PGOPTIONS="-c client_min_messages=warning" psql "$url" -X -q -v ON_ERROR_STOP=1 >/dev/null
run "$dir/schema.sql"
run "$dir/platform-policies.sql"
# Role settings the migrations make (PostgREST's pre-request hook on authenticator) belong to the
# cluster, not to any dump: applied again, and PostgREST told.
{ grep -h -i '^alter role .* set ' "$ROOT"/supabase/migrations/*.sql; echo "notify pgrst, 'reload config';"; } \
  | PGOPTIONS="-c client_min_messages=warning" psql "$url" -X -q -v ON_ERROR_STOP=1 >/dev/null
run "$dir/data.sql"
# pg_cron's jobs are not in a logical dump (they belong to the extension): scheduled again as the
# migrations schedule them.
node "$ROOT/scripts/deploy-lib.mjs" cron-sql | PGOPTIONS="-c client_min_messages=warning" psql "$url" -X -q -v ON_ERROR_STOP=1 >/dev/null
# The history's rows, one per line of the dump's INSERT: ("version", "statements", "name").
mapfile -t versions < <(sed -n -E "s/^[[:space:]]*\('([0-9]{14})', .*/\1/p" "$dir/history.sql")
if [ ${#versions[@]} -gt 0 ]; then
  "$ROOT/node_modules/.bin/supabase" migration repair --status applied "${versions[@]}" --db-url "$url" >/dev/null 2>&1 \
    || { echo "db-restore: migration repair failed" >&2; exit 1; }
fi
echo "db-restore: restored $dir (${#versions[@]} migrations in the history)" >&2
