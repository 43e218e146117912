// Runs `supabase db advisors` at every level and fails on any finding, except `unused_index`:
// on a database created minutes ago no index has been used yet, so that lint says nothing
// about the schema (and dropping the indexes would trade it for `unindexed_foreign_keys`).
import { spawnSync } from "node:child_process";

const run = spawnSync("node_modules/.bin/supabase",
  ["db", "advisors", "--db-url", process.env.CLI_DB_URL, "--type", "all", "--level", "info", "--fail-on", "none"],
  { encoding: "utf8" });
process.stderr.write(run.stderr);
if (run.status !== 0) process.exit(run.status ?? 1);
const findings = run.stdout.trim() ? JSON.parse(run.stdout) : [];
const counted = findings.filter((f) => f.name !== "unused_index");
for (const f of counted) console.log(`${f.level} ${f.name}: ${f.detail}`);
console.log(`advisors: ${counted.length} finding(s), ${findings.length - counted.length} unused_index ignored`);
process.exit(counted.length ? 1 : 0);
