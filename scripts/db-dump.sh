#!/usr/bin/env bash
# npm run db:dump [-- --db-url <url>] [--out <dir>]
# A logical backup with the Supabase CLI's `db dump`: schema.sql (the schemas the product owns),
# data.sql (their rows, Auth's users and pg_cron's jobs), history.sql (the migration history, so
# that `db push` after a restore applies only what is new) and platform-policies.sql (the
# product's policies on realtime.messages). From the linked project
# unless --db-url is given; into backups/<UTC time>/ (git-ignored; it holds personal data: keep it
# private). It needs pg_dump (Debian: postgresql-client) of at least the server's major version.
# Restore: scripts/db-restore.sh (docs/operations.md, "Backups and recovery").
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
target=(--linked)
out="$ROOT/backups/$(date -u +%Y%m%dT%H%M%SZ)"
while [ $# -gt 0 ]; do
  case "$1" in
    --db-url) target=(--db-url "$2"); shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: npm run db:dump [-- --db-url <url>] [--out <dir>]" >&2; exit 2 ;;
  esac
done
mkdir -p "$out" && chmod 700 "$out"

# The CLI's own pg_dump script (`--dry-run` prints it), run with this machine's pg_dump: the CLI
# would run the same script in Docker. Its schema-only script leaves a list of schemas unquoted
# (`--schema=public|private`, a shell pipe), so that one argument is quoted first.
dump() {
  local file=$1; shift
  "$ROOT/node_modules/.bin/supabase" db dump "${target[@]}" "$@" --dry-run 2>/dev/null \
    | sed -E 's/--schema=([^ "]+) /--schema="\1" /' | bash > "$out/$file"
  [ -s "$out/$file" ] || { echo "db:dump: $file is empty" >&2; exit 1; }
}
# The product's schemas: public and every schema the migrations create (found, not listed). Only
# those: the platform's own schemas are the new project's, whatever a given platform names them.
schemas=$(sed -n -E 's/^create schema (if not exists )?([a-z_]+).*/\2/ip' "$ROOT"/supabase/migrations/*.sql | sort -u | paste -sd, -)
schemas="public${schemas:+,$schemas}"
dump schema.sql --schema "$schemas"
# Rows: the product's, Auth's users and identities, and pg_cron's jobs (the migrations scheduled them).
dump data.sql --data-only --use-copy --schema "$schemas,auth,cron"
dump history.sql --data-only --schema supabase_migrations
# The product's policies on a platform table (realtime.messages: who receives which broadcasts),
# created by migrations but living in a schema the platform owns: only the CREATE POLICY
# statements of that schema's dump.
dump realtime-schema.sql --schema realtime
awk '/^CREATE POLICY /{p=1} p{print} p&&/;$/{p=0; print ""}' "$out/realtime-schema.sql" > "$out/platform-policies.sql"
rm "$out/realtime-schema.sql"
echo "db:dump: $out" >&2
