// npm run test:mutations [-- <name filter> | --check]: applies each mutation of scripts/mutations/list.mjs
// to its migration (in place, always put back), builds the test database from the migrations as
// they then are, and runs the suite against it: pgTAP file by file (the mutation's `kills` file
// first) until one fails, and the mutation's vitest files against the stack (first, when it has
// any). A mutation is killed
// when a test fails (or its migration no longer applies). Reports killed and surviving mutations;
// exits non-zero when a pattern no longer matches its migration, the unmutated suite fails, or a
// mutation survives without an explanation.
//
// Speed without a shortcut: the migrations before the mutated file are the same for every
// mutation, so they are applied once, after the bootstrap, and a copy of the database is kept
// after each file (`create database … template`). A mutation of file N starts
// from the copy taken before N, which becomes `postgres` itself (the gateway, pg_cron's
// cron.database_name and the tests all use that name); N and every later file are applied as
// `supabase db push` applies them (as postgres, in order, one transaction per file, recorded in
// supabase_migrations.schema_migrations, stopping at the first error), with psql, which saves the
// CLI's start-up; then the seed, as `local/db.sh reset` runs it. Before any mutation, an unmutated
// database built this way must have the same `pg_dump --schema-only --create` as one built by
// `local/db.sh reset`, and the whole suite must pass on it.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { mutations } from "./list.mjs";

const root = resolve(import.meta.dirname, "../..");
// The test stack by default; MUTATIONS_STACK=dev runs them on the other cluster, leaving the
// test stack free for other work meanwhile.
const env = { ...process.env, STACK: process.env.MUTATIONS_STACK ?? "test" };
const filter = process.argv[2];
const migrationsDir = join(root, "supabase/migrations");
const migrationFiles = readdirSync(migrationsDir).filter((f) => f.endsWith(".sql")).sort();
const pgtapFiles = readdirSync(join(root, "supabase/tests/database")).filter((f) => f.endsWith(".sql")).sort();

function sh(script, { quiet = true } = {}) {
  const r = spawnSync("bash", ["-c", `source local/lib.sh && ${script}`], { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (!quiet) process.stdout.write(r.stdout + r.stderr);
  return { ok: r.status === 0, out: (r.stdout ?? "") + (r.stderr ?? ""), stdout: r.stdout ?? "" };
}
function must(script) {
  const r = sh(script);
  if (!r.ok) { console.error(r.out); throw new Error(`failed: ${script}`); }
  return r.stdout;
}

// A mutation is applied to the migration in place and always put back: on return, on Ctrl-C,
// and, should the runner be killed outright, at its next start (from the copy kept here).
const saved = join(root, ".stack/mutation-original.json");
function restore() {
  if (!existsSync(saved)) return;
  const { file, text } = JSON.parse(readFileSync(saved, "utf8"));
  writeFileSync(join(migrationsDir, file), text);
  rmSync(saved);
}
/** The run that has a migration mutated right now, if its process is alive. */
function activeRun() {
  if (!existsSync(saved)) return null;
  const run = JSON.parse(readFileSync(saved, "utf8"));
  try {
    process.kill(run.pid, 0);
    return run;
  } catch {
    return null;
  }
}
const active = activeRun();
if (active && filter !== "--check") {
  console.error(`another mutation run (pid ${active.pid}) is in progress; wait for it or stop it`);
  process.exit(2);
}
if (!active && existsSync(saved)) {
  console.log("restoring a migration left mutated by an interrupted run");
  restore();
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) process.on(sig, () => { restore(); process.exit(130); });

// 1. Every pattern must occur exactly once in its migration, and every `kills` file must exist.
const stale = mutations.filter((m) => {
  if (!migrationFiles.includes(m.file)) return true;
  const text = active?.file === m.file ? active.text : readFileSync(join(migrationsDir, m.file), "utf8");
  return text.split(m.find).length - 1 !== 1;
});
for (const m of stale) console.error(`pattern not found exactly once in ${m.file}: ${m.name}`);
const badHints = mutations.filter((m) => m.kills && !pgtapFiles.includes(m.kills));
for (const m of badHints) console.error(`no pgTAP file supabase/tests/database/${m.kills}: ${m.name}`);
// A mutation inside a function must change the definition that runs: the last one in the history.
const superseded = mutations.filter((m) => {
  if (stale.includes(m)) return false;
  const text = readFileSync(join(migrationsDir, m.file), "utf8");
  const at = text.indexOf(m.find);
  const fn = [...text.matchAll(/create\s+(?:or\s+replace\s+)?function\s+([\w.]+)\s*\(/gi)]
    .filter((x) => x.index < at).at(-1);
  if (!fn) return false;
  const bodyEnd = text.indexOf("$$;", text.indexOf("$$", fn.index) + 2);
  if (at > bodyEnd) return false;
  const again = new RegExp(`create\\s+(or\\s+replace\\s+)?function\\s+${fn[1].replace(".", "\\.")}\\s*\\(`, "i");
  const later = migrationFiles.filter((f) => f > m.file && again.test(readFileSync(join(migrationsDir, f), "utf8")));
  if (later.length) console.error(`${m.name}: ${fn[1]} is redefined in ${later.join(", ")}; mutate the last definition`);
  return later.length > 0;
});
if (stale.length || badHints.length || superseded.length) {
  console.error("update scripts/mutations/list.mjs to the current migrations and tests");
  process.exit(2);
}
const names = new Set();
for (const m of mutations) {
  if (names.has(m.name)) { console.error(`duplicate mutation name: ${m.name}`); process.exit(2); }
  names.add(m.name);
}

if (filter === "--check") {
  console.log(`${mutations.length} mutations, every pattern found exactly once`);
  process.exit(0);
}
const selected = mutations.filter((m) => !filter || new RegExp(filter).test(m.name));
const status = Object.fromEntries(must("node local/keys.mjs").trim().split("\n").map((l) => {
  const [, k, v] = l.match(/^([A-Z_]+)="(.*)"$/);
  return [k, v];
}));
Object.assign(env, status);

// ---- databases ---------------------------------------------------------------------------------

/** The gateway (started for a vitest file) goes first: nothing may be connected to `postgres`. */
function stopGateway() {
  sh(`if [ -f "$STATE_DIR/gateway.pid" ]; then kill "$(cat "$STATE_DIR/gateway.pid")" 2>/dev/null || true;
        for _ in $(seq 1 50); do kill -0 "$(cat "$STATE_DIR/gateway.pid")" 2>/dev/null || break; sleep 0.1; done;
        rm -f "$STATE_DIR/gateway.pid"; fi`);
}

/** `postgres` as a schema-only dump with its database-level properties (owner, settings, grants). */
function schemaDump() {
  return must(`PGPASSWORD=$DB_PASSWORD "$PG_BIN/pg_dump" -h 127.0.0.1 -p "$DB_PORT" -U "$ADMIN_USER" -d postgres --schema-only --create`)
    .split("\n").filter((l) => !/^\\(un)?restrict /.test(l)).join("\n");
}
/**
 * What `create database … template` does not copy, because it lives in the cluster's shared
 * catalogs rather than in the database: `alter database postgres set …`, grants and comment on
 * the database. Taken from the dump of the database `local/db.sh reset` built.
 */
function databaseProperties(dump) {
  return dump.split("\n").filter((l) => /^(ALTER DATABASE postgres (SET|RESET|OWNER)|(GRANT|REVOKE) .* ON DATABASE postgres |COMMENT ON DATABASE postgres )/.test(l)).join("\n");
}
const propertiesFile = join(root, `.stack/${env.STACK}/mutations-database.sql`);

/** The kept copy of the database with the first `n` migration files applied (and nothing else). */
const snapshot = (n) => `mutations_base_${String(n).padStart(2, "0")}`;
function dropSnapshots() {
  const names = must(`psql_admin -d template1 -Atc "select datname from pg_database where datname like 'mutations\\_base\\_%'"`).trim();
  for (const name of names ? names.split("\n") : []) must(`psql_admin -d template1 -c 'drop database "${name}"'`);
}

/**
 * Migration files [from, to) as `supabase db push` applies them (supabase/cli, pkg/migration:
 * apply.go, history.go, file.go): on one connection as postgres, first the history table if
 * missing (the CLI's own statements), then file by file in name order, each in one transaction
 * together with its row in supabase_migrations.schema_migrations, with RESET ALL before each,
 * stopping at the first error. psql (ON_ERROR_STOP) sends a file's statements one by one where
 * the CLI pipelines them, and leaves the row's `statements` empty (the CLI keeps its split of the
 * file there, for `supabase migration fetch`); it saves the CLI's start-up per mutation.
 */
function migrate(from, to = migrationFiles.length) {
  const args = ["-c 'create schema if not exists supabase_migrations'",
    "-c 'create table if not exists supabase_migrations.schema_migrations (version text not null primary key)'",
    "-c 'alter table supabase_migrations.schema_migrations add column if not exists statements text[]'",
    "-c 'alter table supabase_migrations.schema_migrations add column if not exists name text'"];
  for (const f of migrationFiles.slice(from, to)) {
    const [, version, name] = f.match(/^([0-9]+)_([A-Za-z0-9_]+)\.sql$/) ?? [];
    if (!version) return { ok: false, out: `ERROR: migration file name not understood: ${f}` };
    args.push(`-c 'reset all' -c begin -f "supabase/migrations/${f}"`,
      `-c "insert into supabase_migrations.schema_migrations (version, name) values ('${version}', '${name}')" -c commit`);
  }
  return sh(`psql_db -d postgres ${args.join(" ")}`);
}

/**
 * After the bootstrap (as `local/db.sh reset` does it), the migrations file by file; after each
 * wanted count n, a copy. The cluster is not restarted after `postgres` is recreated, so pg_cron's
 * scheduler stays away and nothing else is connected to `postgres` while it is copied.
 */
function buildSnapshots(counts) {
  stopGateway();
  dropSnapshots();
  must(`psql_admin -d template1 -c 'drop database if exists postgres with (force)' -c 'create database postgres owner postgres' && local/db.sh bootstrap`);
  let applied = 0;
  for (const n of [...counts].sort((a, b) => a - b)) {
    const r = migrate(applied, n);
    if (!r.ok) { console.error(r.out); throw new Error("the unmutated migrations fail"); }
    applied = n;
    must(`psql_admin -d template1 -c 'create database ${snapshot(n)} template postgres'`);
  }
}

/**
 * `postgres` from the migrations as they are now in supabase/ (the mutation applied in place),
 * starting from the copy taken after the first n files: the copy becomes `postgres` (with the
 * database-level properties it cannot carry), the rest is migrated, and `local/db.sh seed` runs.
 * pg_cron's scheduler left with the dropped database; the cluster restarts for it (as
 * `local/db.sh reset` does) only when the stack starts, since a pgTAP file sees no job's work.
 */
function build(n) {
  stopGateway();
  must(`psql_admin -d template1 -c 'drop database if exists postgres with (force)' -c 'create database postgres owner postgres template ${snapshot(n)}'
        psql_admin -d template1 -f "${propertiesFile}"`);
  const r = migrate(n);
  if (!r.ok) return { migrated: false, out: r.out };
  const seed = sh("local/db.sh seed");
  if (!seed.ok) return { migrated: false, out: seed.out };
  return { migrated: true };
}
function addTestHelpers() {
  sh("local/db.sh extension pgtap"); // where the platform needs its superuser for it; harmless elsewhere
  must("psql_db -d postgres -f supabase/tests/helpers.sql");
}

const seconds = (t0) => Math.round((Date.now() - t0) / 1000);

// ---- tests -------------------------------------------------------------------------------------

/**
 * pgTAP file by file, stopping at the first file that fails (enough to kill): `first` first, then
 * the files that kill the most mutations of the list, then the rest.
 */
const killCount = (f) => mutations.filter((m) => m.kills === f).length;
const byKills = [...pgtapFiles].sort((a, b) => killCount(b) - killCount(a) || a.localeCompare(b));
function pgtap(first, { only = false } = {}) {
  const files = only ? [first] : first ? [first, ...byKills.filter((f) => f !== first)] : byKills;
  for (const f of files) {
    const r = sh(`PGPASSWORD=postgres pg_prove -h 127.0.0.1 -p "$DB_PORT" -U postgres -d postgres supabase/tests/database/${f}`);
    if (!r.ok) {
      const failed = [...r.out.matchAll(/# Failed test \d+: "(.*)"/g)].map((m) => m[1]);
      return { ok: false, file: f, failed, out: r.out };
    }
  }
  return { ok: true };
}

function vitest(files) {
  must(`as_pg "$PG_BIN/pg_ctl" -D "$PGDATA" -l "$CLUSTER_DIR/postgres.log" -m fast -w -t 60 restart >/dev/null && local/stack.sh up >/dev/null 2>&1`);
  const r = spawnSync("npx", ["vitest", "run", ...files], { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20 });
  const out = ((r.stdout ?? "") + (r.stderr ?? "")).replace(/\x1b\[[0-9;]*m/g, "");
  if (process.env.MUTATIONS_VERBOSE) console.log(out);
  const failed = [...new Set([...out.matchAll(/FAIL\s+(\S+ > .*)/g)].map((m) => m[1].trim()))];
  return { ok: r.status === 0, failed, out };
}

let built = 0; // seconds the last build took
/**
 * The suite on the database built from the first n files' copy; null when it passes, else what
 * failed. A mutation written for a vitest file (one that only parallel clients or the stack can see) runs
 * that file right after its `kills` pgTAP file, sparing the whole pgTAP run it would pass; if it
 * survives, the rest of pgTAP runs on a database built again, as clean as for any other mutation.
 */
function suite(n, { vitestFiles = [], kills } = {}) {
  const fresh = () => {
    const t0 = Date.now();
    const db = build(n);
    built = seconds(t0);
    if (!db.migrated) return { by: "migration", detail: db.out.split("\n").filter((l) => /ERROR|error/.test(l)).slice(0, 2).join(" ") };
    addTestHelpers();
    return null;
  };
  const broken = fresh();
  if (broken) return broken;
  const failedPgtap = (t) => ({ by: `pgTAP ${t.file}`, detail: t.failed.slice(0, 3).join("; ") || t.out.split("\n").filter((l) => /ERROR|Dubious/.test(l)).slice(0, 2).join(" ") });
  if (vitestFiles.length) {
    if (kills) {
      const k = pgtap(kills, { only: true });
      if (!k.ok) return failedPgtap(k);
    }
    const v = vitest(vitestFiles);
    if (!v.ok) return { by: "vitest", detail: v.failed.slice(0, 3).join("; ") || "vitest failed" };
    fresh();
  }
  const t = pgtap(kills);
  return t.ok ? null : failedPgtap(t);
}

function withMutation(m, fn) {
  const path = join(migrationsDir, m.file);
  const text = readFileSync(path, "utf8");
  mkdirSync(dirname(saved), { recursive: true });
  writeFileSync(saved, JSON.stringify({ file: m.file, text, pid: process.pid }));
  try {
    writeFileSync(path, text.replace(m.find, () => m.replace));
    return fn();
  } finally {
    restore();
  }
}

// ---- the run -----------------------------------------------------------------------------------

const started = Date.now();
/** How many migration files come before the mutated one: the copy a mutation starts from. */
const before = (m) => migrationFiles.indexOf(m.file);
const counts = new Set(selected.map(before));
const allVitest = [...new Set(selected.flatMap((m) => m.vitest ?? []))];

// 2. The reference: `local/db.sh reset`, as `npm test` builds the database.
console.log("baseline: local/db.sh reset, the migrations applied once per file and kept as copies");
stopGateway();
const reset = sh("local/db.sh reset");
if (!reset.ok) { console.error(reset.out); console.error("local/db.sh reset fails; fix it before mutation testing"); process.exit(1); }
const reference = schemaDump();
mkdirSync(dirname(propertiesFile), { recursive: true });
writeFileSync(propertiesFile, databaseProperties(reference) + "\n");
buildSnapshots(counts);

// 3. The unmutated database built from a copy must be the one `local/db.sh reset` builds, and the
// unmutated suite must pass on it (else every mutation would look killed).
console.log(`baseline: the unmutated suite (pgTAP and ${allVitest.join(", ") || "no vitest files"}) on a copy-built database`);
const first = Math.min(...counts);
const baselineDb = build(first);
if (!baselineDb.migrated) { console.error(baselineDb.out); console.error("the unmutated migrations fail on a copy"); process.exit(1); }
const copied = schemaDump();
if (copied !== reference) {
  const a = reference.split("\n"), b = copied.split("\n");
  const i = a.findIndex((l, k) => l !== b[k]);
  console.error(`a database built from the copy differs from local/db.sh reset's, first at line ${i + 1} of pg_dump:\n- ${a[i]}\n+ ${b[i]}`);
  process.exit(1);
}
addTestHelpers();
const t = pgtap();
const v = t.ok && allVitest.length ? vitest(allVitest) : { ok: true };
if (!t.ok || !v.ok) {
  console.error(`the unmutated suite fails (${!t.ok ? `pgTAP ${t.file}: ${t.failed.join("; ")}` : `vitest: ${v.failed.join("; ")}`}); fix it before mutation testing`);
  sh("local/stack.sh down");
  process.exit(1);
}
console.log(`baseline passed in ${seconds(started)} s`);

const results = [];
for (const [i, m] of selected.entries()) {
  const t0 = Date.now();
  const killed = withMutation(m, () => suite(before(m), { vitestFiles: m.vitest ?? [], kills: m.kills }));
  const r = { name: m.name, file: m.file, killed: !!killed, by: killed?.by ?? "", detail: killed?.detail ?? "", survives: m.survives, s: seconds(t0) };
  results.push(r);
  console.log(`${String(i + 1).padStart(2)}/${selected.length} ${r.killed ? "killed  " : "SURVIVED"} ${m.name}` +
    (r.killed ? `  [${r.by}: ${r.detail.slice(0, 140)}]` : m.survives ? `  (explained: ${m.survives})` : "") + `  ${r.s}s (build ${built}s)`);
}
dropSnapshots();
sh("local/stack.sh down");

const survivors = results.filter((r) => !r.killed);
const unexplained = survivors.filter((r) => !r.survives);
console.log(`\n${results.length} mutations: ${results.length - survivors.length} killed, ${survivors.length} survived ` +
  `(${unexplained.length} unexplained) in ${seconds(started)} s`);
for (const r of unexplained) console.log(`  unexplained survivor: ${r.name} (${r.file})`);
process.exit(unexplained.length ? 1 : 0);
