#!/usr/bin/env bash
# npm test: every test layer against the project's own test stack (separate cluster and ports,
# so a running `npm start` is left alone). Starts the stack from a freshly reset database,
# runs each layer, reports which failed, stops what it started, exits non-zero on any failure.
export STACK=test
source "$(dirname "$0")/../local/lib.sh"
cd "$ROOT"

failed=()
layer() {
  local name=$1; shift
  printf '\n\033[1m== %s\033[0m\n' "$name"
  if "$@"; then return 0; fi
  failed+=("$name")
}

stop_stack() { local/stack.sh down >/dev/null 2>&1 || true; }
trap stop_stack EXIT

# A broken migration or bootstrap stops here, with the CLI's own message.
local/db.sh reset || exit 1
# The restore drill's backup (npm run db:dump of the freshly seeded database), restored last.
rm -rf "$STATE_DIR/backup"
bash scripts/db-dump.sh --db-url "$CLI_DB_URL" --out "$STATE_DIR/backup" || failed+=("db:dump")
# Every test client signs in from 127.0.0.1, like many phones behind one carrier NAT: the run
# raises Auth's /token refill rate for it (burst 30 stays), as tests/setup.ts raises the per-IP
# limit, so the order of the test files cannot exhaust the bucket.
# Exported, so that a test which restarts the gateway (the crash test) keeps the same setting.
export GOTRUE_RATE_LIMIT_TOKEN_REFRESH=${GOTRUE_RATE_LIMIT_TOKEN_REFRESH:-900}
local/stack.sh up
eval "$(local/stack.sh status | sed 's/^/export /')"

pgtap() {
  local out=${1:-$STATE_DIR/pg_prove.out}
  local/db.sh extension pgtap
  psql_db -d postgres -f supabase/tests/helpers.sql
  PGPASSWORD=postgres pg_prove -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres \
    --ext .sql -r supabase/tests/database | tee "$out"
  return "${PIPESTATUS[0]}"
}
# Backups: the dump taken after the reset, restored into a fresh database (platform bootstrapped,
# no migration run), then `db push` finds nothing to apply and the pgTAP suite passes on it.
restore_drill() {
  [ -s "$STATE_DIR/backup/data.sql" ] || { echo "no backup to restore" >&2; return 1; }
  local/db.sh empty && bash scripts/db-restore.sh "$STATE_DIR/backup" "$CLI_DB_URL" || return 1
  local pushed
  pushed=$(supabase_cli db push --db-url "$CLI_DB_URL" --yes 2>&1)
  printf '%s\n' "$pushed"
  grep -q "Remote database is up to date" <<<"$pushed" || { echo "the restored history is incomplete: db push would apply migrations" >&2; return 1; }
  pgtap "$STATE_DIR/pg_prove.restored.out"
}
lint() { supabase_cli db lint --db-url "$CLI_DB_URL" --level warning --fail-on warning; }
advisors() { CLI_DB_URL=$CLI_DB_URL node scripts/advisors.mjs; }
deno_all() {
  local deno="$ROOT/node_modules/.bin/deno"
  "$deno" check supabase/functions/*/index.ts local/gateway/main.ts scripts/bench/main.ts && "$deno" lint && "$deno" test --allow-all
}

layer "supabase db lint" lint
layer "supabase db advisors" advisors
layer "deno check, lint, test (gateway, edge functions)" deno_all
layer "tsc (client and tests)" npx tsc -p .
layer "pgTAP (pg_prove)" pgtap
# The browser tests (tests/browser, inside vitest) drive Debian's Chromium.
bash scripts/chromium.sh || failed+=("chromium install")
layer "vitest" npx vitest run --reporter=default --reporter=json --outputFile.json="$STATE_DIR/vitest.json"
layer "restore drill (db:dump, fresh database, restore, pgTAP)" restore_drill

# One closing line that counts the tests of the two largest layers (pgTAP assertions and vitest
# tests): failures are pg_prove's failed assertions plus vitest's failed tests.
node -e '
  const fs = require("node:fs");
  const [prove, vitest] = process.argv.slice(1);
  let passed = 0, failed = 0;
  try {
    const out = fs.readFileSync(prove, "utf8");
    const total = Number((out.match(/Tests=(\d+)/) ?? [0, 0])[1]);
    const bad = [...out.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((n, m) => n + Number(m[1]), 0);
    passed += total - bad; failed += bad;
  } catch { failed += 1; }
  try {
    const v = JSON.parse(fs.readFileSync(vitest, "utf8"));
    passed += v.numPassedTests; failed += v.numFailedTests;
  } catch { failed += 1; }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
' "$STATE_DIR/pg_prove.out" "$STATE_DIR/vitest.json"

if [ ${#failed[@]} -gt 0 ]; then
  printf '\n\033[31mfailed layers: %s\033[0m\n' "${failed[*]}" >&2
  exit 1
fi
