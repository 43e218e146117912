// What a deployment consists of, found from the repository rather than listed by hand: the edge
// functions, the secrets their code reads, the pg_cron jobs the migrations schedule, and the
// secrets table of docs/deploy.md (which says, for each secret, whether it is required or what
// its default is). Used by scripts/deploy.mjs, scripts/deploy-check.mjs and their test.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const functionsDir = join(root, "supabase/functions");

/** Secrets every edge function has on Supabase without being set (the platform's defaults). */
export const PLATFORM_SECRETS = new Set(["SUPABASE_URL", "SUPABASE_ANON_KEY", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_DB_URL"]);

/** Every folder of supabase/functions with an index.ts; `_shared` and dot folders are not functions. */
export function functionNames() {
  return readdirSync(functionsDir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("_") && !e.name.startsWith("."))
    .filter((e) => existsSync(join(functionsDir, e.name, "index.ts")))
    .map((e) => e.name)
    .sort();
}

function sourceFiles(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return /\.(ts|js|mjs)$/.test(e.name) && !/\.test\.(ts|js|mjs)$/.test(e.name) ? [p] : [];
  });
}

/** Each environment variable the functions' code reads (`Deno.env.get("NAME")`), with the files. */
export function secretsRead() {
  const found = new Map();
  for (const file of sourceFiles(functionsDir)) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/Deno\.env\.get\(\s*["'`]([A-Z0-9_]+)["'`]\s*\)/g)) {
      const files = found.get(m[1]) ?? new Set();
      files.add(file.slice(root.length + 1));
      found.set(m[1], files);
    }
    // A name the scan cannot read is a name nobody can document: refuse it.
    if (/Deno\.env\.get\(\s*[^"'`\s]/.test(text)) {
      throw new Error(`${file.slice(root.length + 1)}: Deno.env.get with a computed name; use a literal so deploy can find it`);
    }
  }
  return new Map([...found].sort(([a], [b]) => a.localeCompare(b)));
}

/** The pg_cron jobs the migrations schedule: name → schedule and command, in migration order. */
export function cronJobs() {
  const dir = join(root, "supabase/migrations");
  const jobs = new Map();
  for (const f of readdirSync(dir).filter((f) => f.endsWith(".sql")).sort()) {
    const text = readFileSync(join(dir, f), "utf8");
    for (const m of text.matchAll(/cron\.schedule\(\s*'([^']+)'\s*,\s*'([^']+)'\s*,\s*'((?:[^']|'')*)'\s*\)/g)) {
      jobs.set(m[1], { schedule: m[2], command: m[3].replaceAll("''", "'") });
    }
    for (const m of text.matchAll(/cron\.unschedule\(\s*'([^']+)'\s*\)/g)) jobs.delete(m[1]);
  }
  return jobs;
}

const literal = (v) => `'${v.replaceAll("'", "''")}'`;

/** SQL that schedules every job of the migrations again (after a logical restore, which has none). */
export function cronScheduleSql() {
  return [...cronJobs()].map(([name, j]) => `select cron.schedule(${literal(name)}, ${literal(j.schedule)}, ${literal(j.command)});`).join("\n") + "\n";
}

/**
 * The rows of docs/deploy.md's secrets table: `| \`NAME\` | required / default … / set by Supabase | … |`,
 * as name → { required, note }.
 */
export function documentedSecrets(docs = readFileSync(join(root, "docs/deploy.md"), "utf8")) {
  const rows = new Map();
  const section = docs.split(/^## /m).find((s) => s.startsWith("Secrets")) ?? "";
  for (const m of section.matchAll(/^\|\s*`([A-Z0-9_]+)`\s*\|\s*([^|]+?)\s*\|/gm)) {
    rows.set(m[1], { required: /^required/i.test(m[2]), platform: /^set by Supabase/i.test(m[2]), note: m[2] });
  }
  return rows;
}

/** Minimal .env parsing (NAME=value lines, optional quotes, # comments). */
export function parseEnvFile(text) {
  const env = {};
  for (const line of text.split("\n")) {
    const m = line.match(/^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/);
    if (!m) continue;
    env[m[1]] = m[2].replace(/^(["'])(.*)\1$/, "$2");
  }
  return env;
}

// `node scripts/deploy-lib.mjs cron-sql`: the SQL of cronScheduleSql (used by scripts/db-restore.sh).
if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === "cron-sql") process.stdout.write(cronScheduleSql());
