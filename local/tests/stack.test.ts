import { execFileSync } from "node:child_process";
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
    expect(Object.keys(vars)).toEqual(["API_URL", "DB_URL", "ANON_KEY", "SERVICE_ROLE_KEY", "JWT_SECRET"]);
    expect(vars.DB_URL).toBe(env.DB_URL);
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
    const out = execFileSync("bash", ["local/db.sh", "migrate"], {
      encoding: "utf8", env: { ...process.env, VERBOSE: "1" }, stdio: ["ignore", "pipe", "pipe"],
    });
    expect(out).not.toMatch(/Applying migration/);
  });

  it("has the platform roles the API switches to", async () => {
    const rows = await sql`select rolname from pg_roles
      where rolname in ('anon', 'authenticated', 'service_role', 'authenticator') order by 1`;
    expect(rows.map((r) => r.rolname)).toEqual(["anon", "authenticated", "authenticator", "service_role"]);
  });
});
