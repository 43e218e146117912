import { execFileSync, spawnSync } from "node:child_process";
import { createHmac } from "node:crypto";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

const env = process.env as Record<string, string>;
const sql = postgres(env.DB_URL, { max: 2, onnotice: () => {} });
afterAll(() => sql.end());

function verify(jwt: string, secret: string) {
  const [head, body, sig] = jwt.split(".");
  const expected = createHmac("sha256", secret).update(`${head}.${body}`).digest("base64url");
  return { valid: expected === sig, claims: JSON.parse(Buffer.from(body, "base64url").toString()) };
}

describe("local stack", () => {
  it("prints its settings as KEY=\"value\" lines, like supabase status -o env", () => {
    const out = execFileSync("bash", ["local/stack.sh", "status"], { encoding: "utf8" });
    const vars = Object.fromEntries(out.trim().split("\n").map((l) => {
      const m = l.match(/^([A-Z_]+)="(.*)"$/);
      expect(m, l).not.toBeNull();
      return [m![1], m![2]];
    }));
    expect(Object.keys(vars)).toEqual(["API_URL", "DB_URL", "MAILPIT_URL", "ANON_KEY", "SERVICE_ROLE_KEY", "PUBLISHABLE_KEY", "SECRET_KEY", "JWT_SECRET"]);
    expect(vars.DB_URL).toBe(env.DB_URL);
    expect(vars.MAILPIT_URL).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const [key, role] of [["ANON_KEY", "anon"], ["SERVICE_ROLE_KEY", "service_role"]]) {
      const { valid, claims } = verify(vars[key], vars.JWT_SECRET);
      expect(valid).toBe(true);
      expect(claims.role).toBe(role);
    }
  });

  it("records every migration file as applied by the Supabase CLI", async () => {
    const { readdirSync } = await import("node:fs");
    const files = readdirSync("supabase/migrations").filter((f) => f.endsWith(".sql"))
      .map((f) => f.split("_")[0]).sort();
    const rows = await sql`select version from supabase_migrations.schema_migrations order by version`;
    expect(rows.map((r) => r.version)).toEqual(files);
  });

  it("applies migrations a second time as a no-op", () => {
    // The CLI reports on stderr (db.sh passes it on with VERBOSE), so read both streams.
    const run = spawnSync("bash", ["local/db.sh", "migrate"], {
      encoding: "utf8", env: { ...process.env, VERBOSE: "1" }, stdio: ["ignore", "pipe", "pipe"],
    });
    expect(run.status).toBe(0);
    const out = run.stdout + run.stderr;
    expect(out).toMatch(/Remote database is up to date/);
    expect(out).not.toMatch(/Applying migration/);
  });

  it("has the platform roles the API switches to", async () => {
    const rows = await sql`select rolname from pg_roles
      where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by 1`;
    expect(rows.map((r) => r.rolname)).toEqual(["anon", "authenticated", "authenticator", "service_role"]);
  });

  it("gives postgres the hosted attributes: no superuser, createrole, createdb, replication, bypassrls", async () => {
    const [r] = await sql`select rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls, current_user as me
                          from pg_roles where rolname = current_user`;
    expect(r).toEqual({ rolsuper: false, rolcreaterole: true, rolcreatedb: true, rolreplication: true, rolbypassrls: true, me: "postgres" });
    const granted = await sql`select b.rolname from pg_auth_members m join pg_roles b on b.oid = m.roleid
                              where m.member = 'postgres'::regrole order by 1`;
    expect(granted.map((g) => g.rolname)).toEqual(expect.arrayContaining(
      ["anon", "authenticated", "pg_monitor", "pg_read_all_data", "pg_signal_backend", "service_role"]));
    // Hosted revoked postgres's membership of supabase_auth_admin (2024-25).
    expect(granted.map((g) => g.rolname)).not.toContain("supabase_realtime_admin");
    expect(granted.map((g) => g.rolname)).not.toContain("supabase_auth_admin");
  });

  it("refuses DDL on the auth schema to postgres, as db push does on hosted", async () => {
    const code = await sql`create table auth.probe (id int)`.then(() => null, (e) => (e as { code: string }).code);
    expect(code).toBe("42501");
  });

  it("grants the API roles nothing in public by default, as a project created in 2026", async () => {
    const defaults = await sql`select d.defaclobjtype as kind, array_to_string(d.defaclacl, ',') as acl
      from pg_default_acl d join pg_namespace n on n.oid = d.defaclnamespace where n.nspname = 'public'`;
    for (const d of defaults) expect(d.acl).not.toMatch(/\b(anon|authenticated|service_role)=/);
    await sql.begin(async (tx) => {
      await tx`create table public.local_test_defaults (id int)`;
      const [{ granted }] = await tx`select count(*)::int as granted from information_schema.role_table_grants
        where table_schema = 'public' and table_name = 'local_test_defaults' and grantee in ('anon', 'authenticated', 'service_role')`;
      expect(granted).toBe(0);
      throw new Error("rollback");
    }).catch((e) => expect((e as Error).message).toBe("rollback"));
  });

  it("hands the platform schemas to their hosted owners", async () => {
    const owners = await sql`select n.nspname as schema, n.nspowner::regrole::text as owner,
        (select array_agg(distinct c.relowner::regrole::text) from pg_class c where c.relnamespace = n.oid and c.relkind in ('r', 'p')) as tables,
        (select array_agg(distinct p.proowner::regrole::text) from pg_proc p where p.pronamespace = n.oid) as functions
      from pg_namespace n where n.nspname in ('auth', 'realtime') order by 1`;
    expect(owners).toEqual([
      { schema: "auth", owner: "supabase_auth_admin", tables: ["supabase_auth_admin"], functions: ["supabase_auth_admin"] },
      { schema: "realtime", owner: "supabase_realtime_admin", tables: ["supabase_realtime_admin"], functions: ["supabase_realtime_admin"] },
    ]);
  });

  it("lets postgres write auth.users and manage policies on realtime.messages, and nothing more of that table", async () => {
    const err = (p: Promise<unknown>) => p.then(() => null, (e) => (e as { code: string }).code);
    await sql.begin(async (tx) => {
      await tx`insert into auth.users (id, email) values (gen_random_uuid(), ${`probe-${Date.now()}@stack.test`})`;
      await tx`create policy "probe" on realtime.messages for select to authenticated using (false)`;
      await tx`drop policy "probe" on realtime.messages`;
      const [{ owner }] = await tx`select relowner::regrole::text as owner from pg_class where oid = 'realtime.messages'::regclass`;
      expect(owner).toBe("supabase_realtime_admin");
      await tx`savepoint s`;
      expect(await err(tx`alter table realtime.messages add column probe int`)).toBe("42501");
      await tx`rollback to savepoint s`;
      expect(await err(tx`create extension if not exists pg_buffercache`)).toBe("42501");
      await tx`rollback to savepoint s`;
      throw new Error("rollback");
    }).catch((e) => expect((e as Error).message).toBe("rollback"));
  });

  it("gives the API roles the hosted statement and lock timeouts", async () => {
    const rows = await sql`select r.rolname, s.setconfig from pg_db_role_setting s join pg_roles r on r.oid = s.setrole
                           where s.setdatabase = 0 and r.rolname in ('anon', 'authenticated', 'authenticator') order by 1`;
    const settings = Object.fromEntries(rows.map((r) => [r.rolname, (r.setconfig as string[]).filter((c) => /timeout/.test(c))]));
    expect(settings).toEqual({
      anon: ["statement_timeout=3s"],
      authenticated: ["statement_timeout=8s"],
      authenticator: ["statement_timeout=8s", "lock_timeout=8s"],
    });
  });
});
