// The local PostgREST (local/gateway/rest.ts) against what hosted PostgREST does, read from its
// source: JWT handling, body parsing, transaction mode by volatility, the impersonated role's
// settings, error statuses, Retry-After on 503, Server-Timing, and the headers the edge sets.
// Fixtures of the test's own (functions `public.local_test_*`, created here and dropped after),
// never product functions, so the emulator is checked apart from the product.
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { env } from "../../tests/env";

const sql = connect(1);

const FIXTURES = `
  create function public.local_test_echo(p_text text, p_n int default 0) returns jsonb language sql stable
    as $$ select jsonb_build_object('text', p_text, 'n', p_n) $$;
  create function public.local_test_read_only() returns text language sql stable
    as $$ select current_setting('transaction_read_only') $$;
  create function public.local_test_read_only_volatile() returns text language sql volatile
    as $$ select current_setting('transaction_read_only') $$;
  create function public.local_test_write() returns void language sql volatile
    as $$ create temp table local_test_scratch (x int) on commit drop $$;
  create function public.local_test_sleep(p_seconds float8) returns void language sql volatile
    as $$ select pg_sleep(p_seconds) $$;
  create function public.local_test_settings() returns jsonb language sql stable
    as $$ select jsonb_build_object('role', current_user, 'statement_timeout', current_setting('statement_timeout'),
                                    'headers', current_setting('request.headers', true)::jsonb) $$;
  create function public.local_test_unavailable() returns void language plpgsql volatile
    as $$ begin raise exception 'out of resources' using errcode = '53000'; end $$;
  create function public.local_test_types(p_flag boolean, p_n numeric default null, p_ids int[] default null,
                                          p_day date default null) returns jsonb language sql stable
    as $$ select jsonb_build_object('flag', p_flag, 'n', p_n, 'ids', p_ids, 'day', p_day) $$;
`;
const NAMES = ["local_test_echo(text, int)", "local_test_read_only()", "local_test_read_only_volatile()", "local_test_write()",
  "local_test_sleep(float8)", "local_test_settings()", "local_test_unavailable()",
  "local_test_types(boolean, numeric, int[], date)"];

beforeAll(async () => {
  await sql.unsafe(`drop function if exists ${NAMES.map((n) => `public.${n}`).join(", ")}`);
  await sql.unsafe(FIXTURES);
  await sql.unsafe(`grant execute on function ${NAMES.map((n) => `public.${n}`).join(", ")} to anon, authenticated, service_role`);
});
afterAll(async () => {
  await sql.unsafe(`drop function if exists ${NAMES.map((n) => `public.${n}`).join(", ")}`);
  await sql.end();
});

function jwt(claims: Record<string, unknown>, secret = env.jwtSecret) {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const head = `${b({ alg: "HS256", typ: "JWT" })}.${b(claims)}`;
  return `${head}.${createHmac("sha256", secret).update(head).digest("base64url")}`;
}
const now = Math.floor(Date.now() / 1000);
const authenticatedToken = () =>
  jwt({ role: "authenticated", sub: "00000000-0000-4000-8000-000000000001", aud: "authenticated", exp: now + 3600 });

const rpc = (fn: string, body?: string, headers: Record<string, string> = {}, method = "POST") =>
  fetch(`${env.apiUrl}/rest/v1/rpc/${fn}`, {
    method,
    headers: { apikey: env.anonKey, "content-type": "application/json", ...headers },
    body: method === "GET" ? undefined : body,
    signal: AbortSignal.timeout(20_000),
  });

describe("JWTs", () => {
  it.each([
    ["forged (wrong secret)", jwt({ role: "anon", exp: now + 60 }, "not-the-secret-not-the-secret-not-the-secret"), "PGRST301"],
    ["expired", jwt({ role: "authenticated", sub: "00000000-0000-4000-8000-000000000000", exp: now - 10 }), "PGRST303"],
    ["malformed", "not.a-jwt", "PGRST301"],
  ])("a %s token is 401", async (_name, token, code) => {
    const res = await rpc("local_test_echo", JSON.stringify({ p_text: "x" }), { authorization: `Bearer ${token}` });
    expect(res.status).toBe(401);
    expect((await res.json()).code).toBe(code);
    expect(res.headers.get("www-authenticate")).toMatch(/invalid_token/);
  });

  it("a request without an apikey is refused by the gateway", async () => {
    const res = await fetch(`${env.apiUrl}/rest/v1/rpc/local_test_echo`, { method: "POST", body: "{}" });
    expect(res.status).toBe(401);
    expect((await res.json()).message).toBe("No API key found in request");
  });
});

describe("request bodies (ApiRequest/Payload.hs)", () => {
  it("404 PGRST202 for an unknown function or unknown arguments", async () => {
    const a = await rpc("no_such_function", "{}");
    expect([a.status, (await a.json()).code]).toEqual([404, "PGRST202"]);
    const b = await rpc("local_test_echo", JSON.stringify({ p_nope: 1 }));
    expect([b.status, (await b.json()).code]).toEqual([404, "PGRST202"]);
  });

  it("400 PGRST102 for a body that is not JSON", async () => {
    const res = await rpc("local_test_echo", "{not json");
    expect([res.status, (await res.json()).code]).toEqual([400, "PGRST102"]);
  });

  it.each(["null", "5", '"text"', "[]"])("a %s body is a call without arguments (here: 404 PGRST202, never a 500)", async (body) => {
    const res = await rpc("local_test_echo", body);
    expect([res.status, (await res.json()).code]).toEqual([404, "PGRST202"]);
    const none = await rpc("local_test_read_only", body);
    expect([none.status, await none.json()]).toEqual([200, "on"]);
  });

  it("a NUL character in a JSON string is Postgres' 400 22P05, in a query string its 400 22021", async () => {
    const post = await rpc("local_test_echo", '{"p_text": "a\\u0000b"}');
    expect([post.status, (await post.json()).code]).toEqual([400, "22P05"]);
    const get = await rpc("local_test_echo?p_text=a%00b", undefined, {}, "GET");
    expect([get.status, (await get.json()).code]).toEqual([400, "22021"]);
  });

  it("named arguments take their declared types, defaults apply, and a bad value is 400 22P02", async () => {
    const ok = await rpc("local_test_echo", JSON.stringify({ p_text: "hi", p_n: "7" }));
    expect(await ok.json()).toEqual({ text: "hi", n: 7 });
    const dflt = await rpc("local_test_echo", JSON.stringify({ p_text: "hi" }));
    expect(await dflt.json()).toEqual({ text: "hi", n: 0 });
    const bad = await rpc("local_test_echo", JSON.stringify({ p_text: "hi", p_n: "seven" }));
    expect([bad.status, (await bad.json()).code]).toEqual([400, "22P02"]);
  });
});

describe("query-string arguments (GET): text that Postgres casts to each argument's type", () => {
  it.each([
    ["p_flag=true", { flag: true }],
    ["p_flag=false", { flag: false }],
    ["p_flag=t&p_n=2.50", { flag: true, n: 2.5 }],
    ["p_flag=off&p_ids={1,2}&p_day=2026-12-31", { flag: false, ids: [1, 2], day: "2026-12-31" }],
  ])("?%s", async (query, expected) => {
    const res = await rpc(`local_test_types?${query}`, undefined, {}, "GET");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject(expected);
  });

  it("a value its type does not accept is Postgres' 400 22P02", async () => {
    const res = await rpc("local_test_types?p_flag=maybe", undefined, {}, "GET");
    expect([res.status, (await res.json()).code]).toEqual([400, "22P02"]);
  });
});

describe("transaction mode by volatility (Plan.hs)", () => {
  it("POST to a stable function runs read-only, to a volatile one read-write; GET always read-only", async () => {
    expect(await (await rpc("local_test_read_only", "{}")).json()).toBe("on");
    expect(await (await rpc("local_test_read_only_volatile", "{}")).json()).toBe("off");
    expect(await (await rpc("local_test_read_only", undefined, {}, "GET")).json()).toBe("on");
  });

  it("GET of a function that writes is 405 with 25006; POST of it succeeds", async () => {
    const get = await rpc("local_test_write", undefined, {}, "GET");
    expect([get.status, (await get.json()).code]).toEqual([405, "25006"]);
    const post = await rpc("local_test_write", "{}");
    expect(post.status).toBe(204);
  });
});

describe("statements per call (MainTx.hs, hasql-transaction)", () => {
  it("a call is five statements, each its own round trip: BEGIN, the settings, the db_pre_request hook, the call, COMMIT", async () => {
    const sent = async () => {
      const text = await (await fetch(`${env.apiUrl}/metrics`, { headers: { apikey: env.serviceKey } })).text();
      return Number(text.match(/^gateway_db_statements_total\{pool="rest"\} (\d+)$/m)?.[1]);
    };
    // A first call loads the schema cache and prepares the statements; the count is of the next.
    expect((await rpc("local_test_echo", JSON.stringify({ p_text: "first" }))).status).toBe(200);
    const before = await sent();
    expect((await rpc("local_test_echo", JSON.stringify({ p_text: "second" }))).status).toBe(200);
    expect(await sent() - before).toBe(5);
  });
});

describe("the impersonated role's settings (Query/PreQuery.hs)", () => {
  it("applies anon's statement_timeout (3 s) and authenticated's (8 s) per request", async () => {
    const anon = await (await rpc("local_test_settings", "{}")).json();
    expect([anon.role, anon.statement_timeout]).toEqual(["anon", "3s"]);
    const auth = await (await rpc("local_test_settings", "{}", { authorization: `Bearer ${authenticatedToken()}` })).json();
    expect([auth.role, auth.statement_timeout]).toEqual(["authenticated", "8s"]);
  });

  it("cancels an anonymous call that runs past 3 s with PostgREST's answer: 500, 57014", async () => {
    const anon = await rpc("local_test_sleep", JSON.stringify({ p_seconds: 3.5 }));
    const body = await anon.json();
    expect([anon.status, body.code, body.message]).toEqual([500, "57014", "canceling statement due to statement timeout"]);
    // The same call as a signed-in user is within its 8 s.
    const auth = await rpc("local_test_sleep", JSON.stringify({ p_seconds: 3.5 }), { authorization: `Bearer ${authenticatedToken()}` });
    expect(auth.status).toBe(204);
  });
});

describe("HTTP details (App.hs, Error.hs, Response/Performance.hs)", () => {
  it("a 503 from the database carries Retry-After, as PostgREST adds to every 503", async () => {
    const res = await rpc("local_test_unavailable", "{}");
    expect([res.status, res.headers.get("retry-after"), (await res.json()).code]).toEqual([503, "0", "53000"]);
  });

  it("anon's permission error is 401 with WWW-Authenticate: Bearer; another role's is 403", async () => {
    await sql.unsafe("revoke execute on function public.local_test_read_only() from anon, authenticated");
    try {
      const anon = await rpc("local_test_read_only", "{}");
      expect([anon.status, anon.headers.get("www-authenticate"), (await anon.json()).code]).toEqual([401, "Bearer", "42501"]);
      const auth = await rpc("local_test_read_only", "{}", { authorization: `Bearer ${authenticatedToken()}` });
      expect([auth.status, (await auth.json()).code]).toEqual([403, "42501"]);
    } finally {
      await sql.unsafe("grant execute on function public.local_test_read_only() to anon, authenticated");
    }
  });

  it("a successful answer has Server-Timing with PostgREST's metrics; an error has none", async () => {
    const ok = await rpc("local_test_read_only", "{}");
    expect(ok.headers.get("server-timing")).toMatch(
      /^jwt;dur=\d+\.\d, parse;dur=\d+\.\d, plan;dur=\d+\.\d, transaction;dur=\d+\.\d, response;dur=\d+\.\d$/,
    );
    const err = await rpc("local_test_echo", JSON.stringify({ p_nope: 1 }));
    expect(err.headers.get("server-timing")).toBeNull();
  });

  it("Prefer is ignored safely, and CORS is answered as Supabase does", async () => {
    const res = await rpc("local_test_read_only", "{}", { prefer: "return=minimal, count=exact" });
    expect(res.status).toBe(200);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    const pre = await fetch(`${env.apiUrl}/rest/v1/rpc/local_test_read_only`, {
      method: "OPTIONS",
      headers: { origin: "http://example.test", "access-control-request-method": "POST", "access-control-request-headers": "apikey, content-type, x-supabase-api-version" },
    });
    expect(pre.status).toBe(200);
    // Cors.hs: the requested headers are allowed, beyond supabase-js's own list.
    expect(pre.headers.get("access-control-allow-headers")).toMatch(/apikey, content-type, x-supabase-api-version/);
  });
});

describe("client address (Supabase's edge)", () => {
  it("appends its hop to x-forwarded-for and sends no cf-connecting-ip (a client's is dropped, none invented)", async () => {
    const res = await rpc("local_test_settings", "{}", { "cf-connecting-ip": "203.0.113.9", "x-forwarded-for": "10.1.2.3" });
    const { headers } = await res.json();
    expect(headers["cf-connecting-ip"]).toBeUndefined();
    expect(headers["x-forwarded-for"]).toBe("10.1.2.3, 127.0.0.1");
    const bare = await (await rpc("local_test_settings", "{}")).json();
    expect([bare.headers["cf-connecting-ip"], bare.headers["x-forwarded-for"]]).toEqual([undefined, "127.0.0.1"]);
  });
});
