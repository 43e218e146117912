// pg-safeupdate, as hosted has it: Supabase sets `session_preload_libraries = 'safeupdate'` on the
// `authenticator` role, so in every session PostgREST opens, an UPDATE or DELETE without a WHERE
// clause (also one inside a function, or a trigger it fires) fails with 21000 "DELETE requires a
// WHERE clause", which PostgREST answers 400. The library cannot be built or loaded here (no
// server headers, and the cluster's library folder is the machine's), so it is emulated where it
// can be decided: every statement the API can run is inside a function of the product (the API is
// RPC only), and a check over those bodies refuses an UPDATE or DELETE without WHERE before a
// deploy finds it. The stand-in maps the error as PostgREST does.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { env } from "../../tests/env";

const sql = connect(1);

/**
 * The UPDATE and DELETE statements of a function body that have no WHERE clause, as safeupdate
 * refuses them (`INSERT … ON CONFLICT DO UPDATE` is an insert, and passes). Comments, string
 * literals and quoted identifiers are ignored; dollar-quoted bodies of nested code are read as code.
 */
function unguardedWrites(body: string): string[] {
  const code = body
    .replace(/--[^\n]*/g, " ")
    .replace(/\/\*[\s\S]*?\*\//g, " ")
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, "x")
    .replace(/\$[A-Za-z_]*\$/g, ";")
    .toLowerCase();
  const found: string[] = [];
  for (const statement of code.split(";")) {
    const dml = /\b(delete\s+from|update(?!\s+set\b)(?=\s+[\w.]+(?:\s+(?:as\s+)?\w+)?\s+set\b))/.exec(statement);
    if (!dml) continue;
    const rest = statement.slice(dml.index);
    if (/^update/.test(rest) && /\bdo\s+$/.test(statement.slice(0, dml.index))) continue;
    if (!/\bwhere\b/.test(rest)) found.push(rest.replace(/\s+/g, " ").trim().slice(0, 80));
  }
  return found;
}

beforeAll(async () => {
  await sql.unsafe(`create or replace function public.local_test_where_error() returns void language plpgsql
    as $$ begin raise exception 'DELETE requires a WHERE clause' using errcode = '21000'; end $$`);
  await sql.unsafe(`grant execute on function public.local_test_where_error() to anon`);
});
afterAll(async () => {
  await sql.unsafe(`drop function if exists public.local_test_where_error()`);
  await sql.end();
});

describe("pg-safeupdate (emulated)", () => {
  it("the check finds an UPDATE or DELETE without WHERE, and only those", () => {
    expect(unguardedWrites("begin delete from public.guests; end")).toEqual(["delete from public.guests"]);
    expect(unguardedWrites("update private.rate_limits set hits = 0;")).toEqual(["update private.rate_limits set hits = 0"]);
    expect(unguardedWrites("update t as x set a = 1")).toHaveLength(1);
    expect(unguardedWrites("delete from t where id = p_id; update t set a = 1 where b")).toEqual([]);
    expect(unguardedWrites("insert into t values (1) on conflict (id) do update set n = t.n + 1")).toEqual([]);
    expect(unguardedWrites("with d as (delete from t where at < now() returning 1) select count(*) from d")).toEqual([]);
    expect(unguardedWrites("-- delete from t;\n select 'update t set a = 1'")).toEqual([]);
    expect(unguardedWrites("execute 'x'; delete from t")).toEqual(["delete from t"]);
  });

  it("no function of the product updates or deletes without WHERE (hosted's API would refuse it)", async () => {
    const rows = await sql<{ fn: string; body: string }[]>`
      select p.oid::regprocedure::text as fn, pg_get_functiondef(p.oid) as body
      from pg_proc p join pg_namespace n on n.oid = p.pronamespace
      where n.nspname in ('public', 'private') and p.prolang in (select oid from pg_language where lanname in ('sql', 'plpgsql'))
        and not exists (select 1 from pg_depend d where d.objid = p.oid and d.deptype = 'e')`;
    expect(rows.length).toBeGreaterThan(10);
    const offending = rows.map((r) => ({ fn: r.fn, statements: unguardedWrites(r.body) })).filter((r) => r.statements.length > 0);
    expect(offending).toEqual([]);
  });

  it("the stand-in answers safeupdate's error as PostgREST does: 400 with 21000", async () => {
    const res = await fetch(`${env.apiUrl}/rest/v1/rpc/local_test_where_error`, {
      method: "POST", headers: { apikey: env.anonKey, "content-type": "application/json" }, body: "{}",
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ code: "21000", message: "DELETE requires a WHERE clause" });
  });
});
