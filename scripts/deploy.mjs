// npm run deploy [-- --dry-run] [--project-ref <ref>] [--env-file <file>] [--out <dir>]
//
// Deploys the product to a Supabase project with the Supabase CLI (docs/deploy.md):
//   1. checks (offline): every function, every secret the functions read (set, set by Supabase,
//      or with a documented default), the Auth settings' values, docs/deploy.md names them all;
//   2. `supabase db push` (the migrations; never the seed);
//   3. `supabase secrets set` (the secrets found in the functions' code, from the environment or
//      --env-file; values are never printed);
//   4. `supabase functions deploy <every function>` (bundled by the API, no Docker);
//   5. `supabase config push` of the Auth settings (site URL, redirect allow-list, SMTP) from a
//      production copy of supabase/config.toml (SMTP password as env(SMTP_PASS), never on disk);
//   6. the pages built for a static host, with config.js pointing at the project.
// --dry-run prints every step with its command, runs the checks and builds the pages (offline),
// and changes nothing remote. Exit status non-zero when a check fails.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { documentedSecrets, functionNames, parseEnvFile, PLATFORM_SECRETS, root, secretsRead } from "./deploy-lib.mjs";

const { values: args } = parseArgs({
  options: {
    "dry-run": { type: "boolean", default: false },
    "project-ref": { type: "string" },
    "env-file": { type: "string" },
    out: { type: "string", default: "dist/pages" },
  },
});
const dry = args["dry-run"];
const env = { ...(args["env-file"] ? parseEnvFile(readFileSync(args["env-file"], "utf8")) : {}), ...process.env };

/** Settings of Auth the deploy pushes, read from the environment (docs/deploy.md, "Auth settings"). */
const AUTH_ENV = ["SITE_URL", "SMTP_HOST", "SMTP_PORT", "SMTP_USER", "SMTP_PASS", "SMTP_ADMIN_EMAIL"];

const problems = [];
const problem = (text) => problems.push(text);
const say = (text) => console.log(text);
const step = (n, title) => say(`\n== ${n}. ${title}`);

function linkedRef() {
  try {
    return readFileSync(join(root, "supabase/.temp/project-ref"), "utf8").trim();
  } catch {
    return "";
  }
}

const ref = args["project-ref"] ?? linkedRef();
if (!ref) (dry ? say : problem)("no project: run `npx supabase link --project-ref <ref>` or pass --project-ref");
const projectRef = ref || "<project-ref>";
const projectUrl = env.SUPABASE_URL || `https://${projectRef}.supabase.co`;
const refArgs = ref ? ["--project-ref", ref] : [];
const cli = (cmdArgs) => ["npx", "supabase", ...cmdArgs];
const show = (cmd) => cmd.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(" ");

function run(cmd, options = {}) {
  say(`$ ${show(cmd)}`);
  if (dry) return;
  const r = spawnSync(cmd[0], cmd.slice(1), { cwd: root, stdio: "inherit", env: { ...process.env, ...env }, ...options });
  if (r.status !== 0) {
    console.error(`deploy: \`${show(cmd)}\` failed (exit ${r.status}); nothing after it ran`);
    process.exit(1);
  }
}

// ---- 1. checks ------------------------------------------------------------------------------
step(1, "checks");
const docsText = readFileSync(join(root, "docs/deploy.md"), "utf8");
const functions = functionNames();
say(`functions (supabase/functions): ${functions.join(", ")}`);
for (const f of functions) {
  if (!docsText.includes(`\`${f}\``)) problem(`function ${f} is not named in docs/deploy.md`);
}

const read = secretsRead();
const documented = documentedSecrets(docsText);
const toSet = [];
say("secrets the functions read:");
for (const [name, files] of read) {
  const doc = documented.get(name);
  let state;
  if (!doc) {
    state = "NOT DOCUMENTED";
    problem(`secret ${name} (read in ${[...files].join(", ")}) is not in docs/deploy.md's secrets table`);
  } else if (PLATFORM_SECRETS.has(name)) {
    state = "set by Supabase";
  } else if (env[name]) {
    state = "set from the environment";
    toSet.push(name);
  } else if (doc.required) {
    state = "MISSING (required)";
    problem(`secret ${name} is required and not set (export it or put it in --env-file)`);
  } else {
    state = `not set: ${doc.note}`;
  }
  say(`  ${name.padEnd(28)} ${state}`);
}
for (const name of documented.keys()) {
  if (!read.has(name)) problem(`docs/deploy.md documents secret ${name}, which no function reads any more`);
}

say("Auth settings:");
for (const name of AUTH_ENV) {
  say(`  ${name.padEnd(28)} ${env[name] ? "set" : "MISSING"}`);
  if (!env[name]) problem(`Auth setting ${name} is not set`);
  if (!docsText.includes(`\`${name}\``)) problem(`Auth setting ${name} is not named in docs/deploy.md`);
}
if (env.SITE_URL && !/^https:\/\/[^/]+/.test(env.SITE_URL) && !/^http:\/\/(127\.0\.0\.1|localhost)[:/]/.test(env.SITE_URL)) {
  problem(`SITE_URL must be the https:// origin the pages are served from (is ${env.SITE_URL})`);
}
if (!dry && !env.SUPABASE_ANON_KEY) problem("SUPABASE_ANON_KEY (the project's anon or publishable key, for the pages' config.js) is not set");

if (problems.length) {
  console.error(`\ndeploy: ${problems.length} check(s) failed:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
  process.exit(1);
}

// ---- 2. migrations --------------------------------------------------------------------------
step(2, "database migrations (never the seed: it holds development passwords)");
run(cli(["db", "push", "--linked", "--yes"]));

// ---- 3. secrets -----------------------------------------------------------------------------
step(3, `secrets: ${toSet.join(", ") || "none to set"}`);
if (toSet.length) {
  const dir = mkdtempSync(join(tmpdir(), "guestlist-secrets-"));
  const file = join(dir, "secrets.env");
  writeFileSync(file, toSet.map((n) => `${n}=${JSON.stringify(env[n])}`).join("\n") + "\n", { mode: 0o600 });
  try {
    run(cli(["secrets", "set", "--env-file", dry ? "<temporary file with the values>" : file, ...refArgs]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ---- 4. functions ---------------------------------------------------------------------------
step(4, `edge functions: ${functions.join(", ")} (verify_jwt from supabase/config.toml)`);
run(cli(["functions", "deploy", ...functions, "--use-api", ...refArgs]));

// ---- 5. Auth settings -----------------------------------------------------------------------
step(5, "Auth settings (supabase config push of a production copy of supabase/config.toml)");
const production = productionConfig(readFileSync(join(root, "supabase/config.toml"), "utf8"), env);
const workdir = mkdtempSync(join(tmpdir(), "guestlist-config-"));
mkdirSync(join(workdir, "supabase"));
writeFileSync(join(workdir, "supabase/config.toml"), production);
say(`production config: site_url ${env.SITE_URL}, redirects ${env.SITE_URL}/**, SMTP ${env.SMTP_HOST}:${env.SMTP_PORT} as ${env.SMTP_USER}, email_sent 30/h`);
try {
  run(cli(["config", "push", "--workdir", dry ? "<temporary folder>" : workdir, ...refArgs, "--yes"]));
} finally {
  rmSync(workdir, { recursive: true, force: true });
}

// ---- 6. pages -------------------------------------------------------------------------------
step(6, `pages for a static host at ${env.SITE_URL} (config.js: ${projectUrl})`);
const out = resolve(root, args.out);
const anonKey = env.SUPABASE_ANON_KEY || "<anon key>";
const build = ["node", "scripts/build-pages.mjs", "--out", out, "--url", projectUrl, "--anon-key", anonKey];
say(`$ ${show(build.map((a) => (a === anonKey && env.SUPABASE_ANON_KEY ? "$SUPABASE_ANON_KEY" : a)))}`);
// Built in the dry run too: it is offline, and a page that does not build fails here.
const built = spawnSync(build[0], build.slice(1), { cwd: root, stdio: "inherit" });
if (built.status !== 0) {
  console.error("deploy: building the pages failed");
  process.exit(1);
}
const config = readFileSync(join(out, "config.js"), "utf8");
if (!config.includes(JSON.stringify(projectUrl))) {
  console.error(`deploy: ${out}/config.js does not point at ${projectUrl}`);
  process.exit(1);
}
say(`upload ${out} to the static host at ${env.SITE_URL} (routes: docs/deploy.md, "Pages")`);

// ---- 7. settings the database reads ----------------------------------------------------------
step(7, "once per project, in the SQL editor: the scheduled sender and who gets alerts by e-mail (docs/operations.md)");
say(`update private.settings set value = '"${projectUrl}/functions/v1/send-outbox"' where key = 'outbox_sender_url';`);
say(`update private.settings set value = '"<anon key>"' where key = 'outbox_sender_key';`);
say(`update private.settings set value = '["<on-call address>"]' where key = 'alert_emails';`);
say(dry ? "\ndry run: every check passed; nothing remote was changed" : "\ndeployed; now run `npm run deploy:check` (docs/deploy.md)");

/**
 * supabase/config.toml with the production Auth settings: the site URL and redirect allow-list
 * (invitations and resets land on the pages), custom SMTP (the SMTP password stays an env()
 * reference, resolved by the CLI from the environment), and the e-mail rate Supabase allows with
 * custom SMTP (the local 2 an hour would stop invitations).
 */
function productionConfig(toml, e) {
  const site = e.SITE_URL ?? "";
  let out = toml.replace(/^site_url\s*=.*$/m,
    `site_url = ${JSON.stringify(site)}\nadditional_redirect_urls = [${JSON.stringify(`${site}/**`)}]`);
  out = out.replace(/^email_sent\s*=.*$/m, "email_sent = 30");
  out += `
[auth.email.smtp]
enabled = true
host = ${JSON.stringify(e.SMTP_HOST ?? "")}
port = ${Number(e.SMTP_PORT) || 587}
user = ${JSON.stringify(e.SMTP_USER ?? "")}
pass = "env(SMTP_PASS)"
admin_email = ${JSON.stringify(e.SMTP_ADMIN_EMAIL ?? "")}
sender_name = ${JSON.stringify(e.SMTP_SENDER_NAME ?? "Guest list")}
`;
  return out;
}
