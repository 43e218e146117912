#!/usr/bin/env bash
# npm test: every test layer against the project's own test stack (separate cluster and ports,
# so a running `npm start` is left alone). Starts the stack from a freshly reset database,
# runs each layer, reports which failed, stops what it started, exits non-zero on any failure.
# `bash scripts/test.sh pgtap vitest` runs only the layers named (migrations mutations-list lint advisors deno tsc pgtap
# vitest restore), on the same freshly reset stack.
export STACK=test
source "$(dirname "$0")/../local/lib.sh"
cd "$ROOT"

only=("$@")
failed=()
layer() {
  local id=$1 name=$2; shift 2
  if [ ${#only[@]} -gt 0 ] && [[ " ${only[*]} " != *" $id "* ]]; then return 0; fi
  printf '\n\033[1m== %s\033[0m\n' "$name"
  if "$@"; then return 0; fi
  failed+=("$name")
}

# A layer that ran nothing proved nothing: an emptied folder, or a glob that matches no file,
# fails the run instead of passing it (pg_prove with no files, and `deno test` with test modules
# that hold no test, both exit 0). at_least_one <what> <count>
at_least_one() {
  if [[ "${2:-}" =~ ^[0-9]+$ ]] && [ "$2" -gt 0 ]; then return 0; fi
  printf '\033[31mno %s ran: a test layer with nothing in it fails\033[0m\n' "$1" >&2
  return 1
}

stop_stack() { local/stack.sh down >/dev/null 2>&1 || true; }
trap stop_stack EXIT

# The migration history is frozen (supabase/migrations.sha256): an edited, removed, unlisted or
# out-of-order migration fails the run first.
layer migrations "migrations frozen (scripts/check-migrations.mjs)" node scripts/check-migrations.mjs
# The mutation list still fits the migrations (each pattern once, in a function's last definition),
# so a stale mutation is found here rather than at the end of the mutation run.
layer mutations-list "mutation patterns current (npm run test:mutations -- --check)" node scripts/mutations/run.mjs --check

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
rm -f "$STATE_DIR/pg_prove.out" "$STATE_DIR/deno-test.out" "$STATE_DIR/vitest.json"

pgtap() {
  local out=${1:-$STATE_DIR/pg_prove.out}
  local/db.sh extension pgtap
  psql_db -d postgres -f supabase/tests/helpers.sql
  PGPASSWORD=postgres pg_prove -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres \
    --ext .sql -r supabase/tests/database | tee "$out"
  local rc=${PIPESTATUS[0]}
  # pg_prove's last lines: "Files=27, Tests=812, …".
  at_least_one "pgTAP file" "$(sed -n 's/^Files=\([0-9]*\),.*/\1/p' "$out")" || return 1
  at_least_one "pgTAP assertion" "$(sed -n 's/^Files=[0-9]*, Tests=\([0-9]*\),.*/\1/p' "$out")" || return 1
  return "$rc"
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
  "$deno" check supabase/functions/*/index.ts local/gateway/main.ts local/mail/main.ts scripts/bench/main.ts && "$deno" lint || return 1
  # `deno test` fails when it finds no test module, but passes modules that hold no test. Its
  # last line: "ok | 25 passed (3 steps) | 0 failed (2s)" (or "FAILED | …").
  NO_COLOR=1 "$deno" test --allow-all 2>&1 | tee "$STATE_DIR/deno-test.out"
  local rc=${PIPESTATUS[0]}
  at_least_one "deno test" "$(sed -n 's/^\(ok\|FAILED\) | \([0-9]*\) passed.*/\2/p' "$STATE_DIR/deno-test.out" | tail -1)" || return 1
  return "$rc"
}
vitest_all() {
  npx vitest run --reporter=default --reporter=json --outputFile.json="$STATE_DIR/vitest.json"
  local rc=$?
  # vitest itself fails when no file matches; a run whose files hold no test, or only skipped
  # ones, fails here.
  at_least_one "vitest test" "$(node -p 'try { const v = require(process.argv[1]); v.numPassedTests + v.numFailedTests } catch { 0 }' "$STATE_DIR/vitest.json")" || return 1
  return "$rc"
}

layer lint "supabase db lint" lint
layer advisors "supabase db advisors" advisors
layer deno "deno check, lint, test (gateway, edge functions)" deno_all
layer tsc "tsc (client and tests)" npx tsc -p .
layer pgtap "pgTAP (pg_prove)" pgtap
# The browser tests (tests/browser, inside vitest) drive Debian's Chromium.
layer vitest "chromium install" bash scripts/chromium.sh
layer vitest "vitest" vitest_all
layer restore "restore drill (db:dump, fresh database, restore, pgTAP)" restore_drill

# One closing line that counts the tests of the two largest layers (pgTAP assertions and vitest
# tests): failures are pg_prove's failed assertions plus vitest's failed tests. A layer that
# left no report (not selected, or stopped early, and then named below) adds nothing.
node -e '
  const fs = require("node:fs");
  const [prove, vitest] = process.argv.slice(1);
  let passed = 0, failed = 0;
  if (fs.existsSync(prove)) {
    const out = fs.readFileSync(prove, "utf8");
    const total = Number((out.match(/Tests=(\d+)/) ?? [0, 0])[1]);
    const bad = [...out.matchAll(/Failed (\d+)\/\d+ subtests/g)].reduce((n, m) => n + Number(m[1]), 0);
    passed += total - bad; failed += bad;
  }
  if (fs.existsSync(vitest)) {
    try {
      const v = JSON.parse(fs.readFileSync(vitest, "utf8"));
      passed += v.numPassedTests; failed += v.numFailedTests;
    } catch { failed += 1; }
  }
  console.log(`\ntests: ${passed} passed, ${failed} failed`);
' "$STATE_DIR/pg_prove.out" "$STATE_DIR/vitest.json"

if [ ${#failed[@]} -gt 0 ]; then
  printf '\n\033[31mfailed layers: %s\033[0m\n' "${failed[*]}" >&2
  exit 1
fi
