// The deployment scripts: `npm run deploy -- --dry-run` (every function and every secret the
// functions read is in the plan and in docs/deploy.md, a missing required secret stops it) and
// `npm run deploy:check` against the running test stack, once per client-address setting.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { documentedSecrets, functionNames, secretsRead } from "../scripts/deploy-lib.mjs";
import { connect } from "./db";
import { env } from "./env";

const production = {
  SITE_URL: "https://guests.example.test", RESEND_API_KEY: "re_test", EMAIL_FROM: "noite@example.test",
  SMTP_HOST: "smtp.example.test", SMTP_PORT: "587", SMTP_USER: "mailer", SMTP_PASS: "smtp-secret-value",
  SMTP_ADMIN_EMAIL: "noite@example.test", SUPABASE_ANON_KEY: "anon-key-of-the-project",
};

function deployDryRun(extra: Record<string, string | undefined>) {
  const out = mkdtempSync(join(tmpdir(), "guestlist-deploy-"));
  const childEnv: Record<string, string | undefined> = { ...process.env, ...extra };
  for (const k of Object.keys(childEnv)) if (childEnv[k] === undefined) delete childEnv[k];
  // Not the local stack's URL: the dry run must point the pages at the project it names.
  delete childEnv.SUPABASE_URL;
  const run = spawnSync("node", ["scripts/deploy.mjs", "--dry-run", "--project-ref", "abcdefghijklmnopqrst", "--out", out],
    { encoding: "utf8", env: childEnv as NodeJS.ProcessEnv });
  const config = run.status === 0 ? readFileSync(join(out, "config.js"), "utf8") : "";
  rmSync(out, { recursive: true, force: true });
  return { status: run.status, output: run.stdout + run.stderr, config };
}

describe("npm run deploy -- --dry-run", () => {
  const docs = readFileSync("docs/deploy.md", "utf8");
  const plan = deployDryRun(production);

  it("passes its checks and plans every step, changing nothing remote", () => {
    expect(plan.output).toContain("dry run: every check passed");
    expect(plan.status).toBe(0);
    for (const cmd of ["supabase db push --linked", "supabase secrets set", "supabase functions deploy", "supabase config push",
      "scripts/build-pages.mjs"]) expect(plan.output).toContain(cmd);
    expect(plan.output).not.toContain("--include-seed");
  });

  it("deploys every function under supabase/functions (found, _shared excluded), each named in docs/deploy.md", () => {
    const names = functionNames();
    expect(names).toContain("guest-password-reset");
    expect(names).not.toContain("_shared");
    const deployLine = plan.output.split("\n").find((l) => l.includes("supabase functions deploy"))!;
    for (const name of names) {
      expect(deployLine).toContain(` ${name} `);
      expect(docs).toContain(`\`${name}\``);
    }
  });

  it("sets or documents every secret the functions read, and prints no secret's value", () => {
    const read = secretsRead();
    const documented = documentedSecrets(docs);
    expect([...read.keys()]).toContain("SITE_URL");
    for (const name of read.keys()) {
      expect(documented.has(name), `${name} in docs/deploy.md's secrets table`).toBe(true);
      expect(plan.output).toMatch(new RegExp(`^\\s+${name}\\s+(set by Supabase|set from the environment|not set: default)`, "m"));
    }
    expect(plan.output).toMatch(/secrets: .*SITE_URL/);
    for (const value of [production.RESEND_API_KEY, production.SMTP_PASS, production.SUPABASE_ANON_KEY]) {
      expect(plan.output).not.toContain(value);
    }
  });

  it("builds the pages with config.js pointing at the project", () => {
    expect(plan.config).toContain('"supabaseUrl": "https://abcdefghijklmnopqrst.supabase.co"');
    expect(plan.config).toContain(production.SUPABASE_ANON_KEY);
  });

  it("stops, naming it, when a required secret or Auth setting is missing", () => {
    const missing = deployDryRun({ ...production, SITE_URL: undefined, RESEND_API_KEY: undefined });
    expect(missing.status).toBe(1);
    expect(missing.output).toContain("secret SITE_URL is required and not set");
    expect(missing.output).toContain("secret RESEND_API_KEY is required and not set");
    expect(missing.output).toContain("Auth setting SITE_URL is not set");
    expect(missing.output).not.toContain("supabase db push");
  });
});

describe("npm run deploy:check against the test stack", () => {
  const sql = connect(2);
  const setting = (key: string, value: unknown) =>
    sql`update private.settings set value = ${sql.json(value as never)} where key = ${key}`;
  afterAll(async () => {
    await setting("client_ip_header", "x-forwarded-for");
    await setting("client_ip_trusted_hops", 0);
    await sql.end();
  });
  const check = () => {
    const run = spawnSync("node", ["scripts/deploy-check.mjs"], {
      encoding: "utf8",
      env: { ...process.env, API_URL: env.apiUrl, ANON_KEY: env.anonKey, SERVICE_ROLE_KEY: env.serviceKey, CRON_WAIT_SECONDS: "120" },
      timeout: 170_000,
    });
    return { status: run.status, output: run.stdout + run.stderr };
  };

  it("passes with the gateway as the one trusted hop: functions, hook, cron, pages, e-mail, each caller's own address", async () => {
    await setting("client_ip_trusted_hops", 1);
    const { status, output } = check();
    expect(output).toContain("deploy:check: every check passed");
    for (const name of functionNames()) expect(output).toContain(`ok    function ${name} answers`);
    expect(output).toContain("ok    pre-request hook installed");
    expect(output).toMatch(/ok {4}cron job purge-rate-limit-counters \(\* \* \* \* \*\) ran/);
    expect(output).toContain("ok    pages' config.js points at");
    expect(output).toContain("ok    /ops answers");
    expect(output).toContain("ok    client address: two callers are two addresses (127.0.0.1, 127.0.0.2)");
    expect(status).toBe(0);
  }, 180_000);

  it("fails with the default (first value) behind this gateway: a caller chooses its address, and says which hops to set", async () => {
    await setting("client_ip_trusted_hops", 0);
    const { status, output } = check();
    expect(output).toContain("FAIL  client address: a caller chose its own address by sending x-forwarded-for");
    expect(output).toContain("set client_ip_trusted_hops = 1");
    expect(status).not.toBe(0);
  }, 180_000);

  it("fails when the header is not one the proxy sets: every caller looks the same", async () => {
    await setting("client_ip_header", "x-real-ip");
    const { status, output } = check();
    expect(output).toContain("FAIL  client address: the database sees unknown, this machine is 127.0.0.1");
    expect(output).toContain("FAIL  client address: two callers (127.0.0.1, 127.0.0.2) are both seen as unknown");
    expect(status).not.toBe(0);
  }, 180_000);
});
