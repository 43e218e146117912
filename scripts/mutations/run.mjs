// npm run test:mutations [-- <name filter> | --check]: applies each mutation of scripts/mutations/list.mjs
// to its migration (in place, always put back), resets the test database as `npm test` does
// (`local/db.sh reset`: migrations through the Supabase CLI) and runs pgTAP against it; when
// pgTAP passes, also the mutation's vitest files against the stack. A mutation is killed when a
// test fails. First the unmutated suite must pass (else every mutation would look killed). Reports killed and surviving mutations; exits non-zero when
// a pattern no longer matches its migration, or a mutation survives without an explanation.
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { mutations } from "./list.mjs";

const root = resolve(import.meta.dirname, "../..");
// The test stack by default; MUTATIONS_STACK=dev runs them on the other cluster, leaving the
// test stack free for other work meanwhile.
const env = { ...process.env, STACK: process.env.MUTATIONS_STACK ?? "test" };
const filter = process.argv[2];

function sh(script, { quiet = true } = {}) {
  const r = spawnSync("bash", ["-c", `source local/lib.sh && ${script}`], { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20 });
  if (!quiet) process.stdout.write(r.stdout + r.stderr);
  return { ok: r.status === 0, out: (r.stdout ?? "") + (r.stderr ?? "") };
}
function must(script) {
  const r = sh(script);
  if (!r.ok) { console.error(r.out); throw new Error(`failed: ${script}`); }
  return r.out;
}

// A mutation is applied to the migration in place and always put back: on return, on Ctrl-C,
// and, should the runner be killed outright, at its next start (from the copy kept here).
const saved = join(root, ".stack/mutation-original.json");
function restore() {
  if (!existsSync(saved)) return;
  const { file, text } = JSON.parse(readFileSync(saved, "utf8"));
  writeFileSync(join(root, "supabase/migrations", file), text);
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

// 1. Every pattern must occur exactly once in its migration.
const stale = mutations.filter((m) => {
  const text = active?.file === m.file ? active.text : readFileSync(join(root, "supabase/migrations", m.file), "utf8");
  return text.split(m.find).length - 1 !== 1;
});
if (stale.length) {
  for (const m of stale) console.error(`pattern not found exactly once in ${m.file}: ${m.name}`);
  console.error("update scripts/mutations/list.mjs to the current migrations");
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

/**
 * A fresh database from the migrations as they are now in supabase/ (the mutation applied in
 * place), exactly as `npm test` makes it: `local/db.sh reset` (bootstrap, migrations through the
 * Supabase CLI, seed), then the pgTAP extension and helpers as scripts/test.sh adds them.
 */
function reset() {
  // The gateway (started for a vitest file) goes first; it reconnects to nothing while we reset.
  sh(`if [ -f "$STATE_DIR/gateway.pid" ]; then kill "$(cat "$STATE_DIR/gateway.pid")" 2>/dev/null || true;
        for _ in $(seq 1 50); do kill -0 "$(cat "$STATE_DIR/gateway.pid")" 2>/dev/null || break; sleep 0.1; done;
        rm -f "$STATE_DIR/gateway.pid"; fi`);
  const r = sh("local/db.sh reset");
  if (!r.ok) return { migrated: false, out: r.out };
  sh("local/db.sh extension pgtap"); // where the platform needs its superuser for it; harmless elsewhere
  must("psql_db -d postgres -f supabase/tests/helpers.sql");
  return { migrated: true };
}

/** pgTAP file by file, stopping at the first file that fails (that is enough to kill a mutation). */
function pgtap() {
  const files = readdirSync(join(root, "supabase/tests/database")).filter((f) => f.endsWith(".sql")).sort();
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
  must("local/stack.sh up >/dev/null 2>&1");
  const r = spawnSync("npx", ["vitest", "run", ...files], { cwd: root, env, encoding: "utf8", maxBuffer: 64 << 20 });
  const out = ((r.stdout ?? "") + (r.stderr ?? "")).replace(/\x1b\[[0-9;]*m/g, "");
  if (process.env.MUTATIONS_VERBOSE) console.log(out);
  const failed = [...new Set([...out.matchAll(/FAIL\s+(\S+ > .*)/g)].map((m) => m[1].trim()))];
  return { ok: r.status === 0, failed, out };
}

/** Runs the suite on the migrations as they are now; returns null when it passes, else what failed. */
function suite(vitestFiles) {
  const db = reset();
  if (!db.migrated) return { by: "migration", detail: db.out.split("\n").filter((l) => /ERROR|error/.test(l)).slice(0, 2).join(" ") };
  const t = pgtap();
  if (!t.ok) return { by: `pgTAP ${t.file}`, detail: t.failed.slice(0, 3).join("; ") || t.out.split("\n").filter((l) => /ERROR|Dubious/.test(l)).slice(0, 2).join(" ") };
  if (vitestFiles.length) {
    const v = vitest(vitestFiles);
    if (!v.ok) return { by: "vitest", detail: v.failed.slice(0, 3).join("; ") || "vitest failed" };
  }
  return null;
}

function withMutation(m, fn) {
  const path = join(root, "supabase/migrations", m.file);
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

const started = Date.now();
const allVitest = [...new Set(selected.flatMap((m) => m.vitest ?? []))];
console.log(`baseline: the unmutated suite (pgTAP and ${allVitest.join(", ") || "no vitest files"})`);
const baseline = suite(allVitest);
if (baseline) {
  console.error(`the unmutated suite fails (${baseline.by}: ${baseline.detail}); fix it before mutation testing`);
  sh("local/stack.sh down");
  process.exit(1);
}

const results = [];
for (const [i, m] of selected.entries()) {
  const t0 = Date.now();
  const killed = withMutation(m, () => suite(m.vitest ?? []));
  const r = { name: m.name, file: m.file, killed: !!killed, by: killed?.by ?? "", detail: killed?.detail ?? "", survives: m.survives, s: Math.round((Date.now() - t0) / 1000) };
  results.push(r);
  console.log(`${String(i + 1).padStart(2)}/${selected.length} ${r.killed ? "killed  " : "SURVIVED"} ${m.name}` +
    (r.killed ? `  [${r.by}: ${r.detail.slice(0, 140)}]` : m.survives ? `  (explained: ${m.survives})` : "") + `  ${r.s}s`);
}
sh("local/stack.sh down");

const survivors = results.filter((r) => !r.killed);
const unexplained = survivors.filter((r) => !r.survives);
console.log(`\n${results.length} mutations: ${results.length - survivors.length} killed, ${survivors.length} survived ` +
  `(${unexplained.length} unexplained) in ${Math.round((Date.now() - started) / 1000)} s`);
for (const r of unexplained) console.log(`  unexplained survivor: ${r.name} (${r.file})`);
process.exit(unexplained.length ? 1 : 0);
