// The migration history is frozen: supabase/migrations.sha256 lists every migration with its
// sha256, in order. `supabase db push` never runs a migration again once a database has it, so an
// edited or removed migration would leave deployed databases silently different from a fresh one
// (Flyway validates applied migrations the same way).
//
//   node scripts/check-migrations.mjs            fails when a listed migration changed or
//                                                disappeared, when a migration is not listed, or
//                                                when a new one sorts before the last listed one
//   node scripts/check-migrations.mjs --freeze   (npm run migrations:freeze) appends the new
//                                                migrations to the manifest, after the same checks
//   --root <dir>                                 a checkout other than this one (the tests use a copy)
//
// New work only adds files: `npx supabase migration new <topic>`, write it, test it, freeze it.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, writeFileSync, appendFileSync } from "node:fs";
import { join, resolve } from "node:path";

const args = process.argv.slice(2);
const freeze = args.includes("--freeze");
const rootArg = args.indexOf("--root");
const root = rootArg >= 0 ? resolve(args[rootArg + 1]) : resolve(import.meta.dirname, "..");
const dir = join(root, "supabase/migrations");
const manifestPath = join(root, "supabase/migrations.sha256");

const sha256 = (file) => createHash("sha256").update(readFileSync(join(dir, file))).digest("hex");
const files = readdirSync(dir).filter((f) => f.endsWith(".sql")).sort();
const listed = existsSync(manifestPath)
  ? readFileSync(manifestPath, "utf8").split("\n").filter((l) => l.trim() && !l.startsWith("#")).map((l) => {
      const m = l.match(/^([0-9a-f]{64}) {2}(\S+)$/);
      if (!m) throw new Error(`supabase/migrations.sha256: malformed line: ${l}`);
      return { hash: m[1], file: m[2] };
    })
  : [];

const errors = [];
const names = new Set(listed.map((l) => l.file));
for (const [i, l] of listed.entries()) {
  if (i > 0 && l.file <= listed[i - 1].file) errors.push(`${l.file}: listed out of order in supabase/migrations.sha256`);
  if (!files.includes(l.file)) errors.push(`${l.file}: a frozen migration was removed or renamed; restore it`);
  else if (sha256(l.file) !== l.hash) {
    errors.push(`${l.file}: a frozen migration was changed; restore it and put the change in a new migration`);
  }
}
const last = listed.at(-1)?.file ?? "";
const fresh = files.filter((f) => !names.has(f));
for (const f of fresh) {
  if (!/^\d{14}_[a-z0-9_]+\.sql$/.test(f)) {
    errors.push(`${f}: not named <timestamp>_<topic>.sql; create migrations with \`npx supabase migration new <topic>\``);
  } else if (f <= last) {
    errors.push(`${f}: sorts before the last frozen migration (${last}); give it a new timestamp with \`npx supabase migration new\``);
  } else if (!freeze) {
    errors.push(`${f}: not in supabase/migrations.sha256; run \`npm run migrations:freeze\` once it is final`);
  }
}

if (errors.length) {
  for (const e of errors) console.error(`migrations: ${e}`);
  process.exit(1);
}
if (freeze && fresh.length) {
  if (!existsSync(manifestPath)) {
    writeFileSync(manifestPath, "# sha256 of every migration, in order: frozen (scripts/check-migrations.mjs, docs/testing.md)\n");
  }
  appendFileSync(manifestPath, fresh.map((f) => `${sha256(f)}  ${f}\n`).join(""));
  console.log(`migrations: froze ${fresh.join(", ")}`);
} else {
  console.log(`migrations: ${files.length} frozen, unchanged`);
}
