// Where PostgREST is strict and the local stand-in must be too (read from PostgREST's source:
// ApiRequest.hs getSchema, Plan.hs findProc, Plan/Negotiate.hs, Error.hs): schema profiles,
// overloaded functions, and the media types of `Accept`. Fixtures of the test's own
// (`public.local_test_*`), never product functions.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { env } from "../../tests/env";

const sql = connect(1);
const NAMES = ["local_test_over(int)", "local_test_over(text)", "local_test_over_default()", "local_test_over_default(int)", "local_test_plain()"];

beforeAll(async () => {
  await sql.unsafe(`drop function if exists ${NAMES.map((n) => `public.${n}`).join(", ")}`);
  await sql.unsafe(`
    create function public.local_test_over(p_a int) returns text language sql stable as $$ select 'int' $$;
    create function public.local_test_over(p_a text) returns text language sql stable as $$ select 'text' $$;
    create function public.local_test_over_default() returns text language sql stable as $$ select 'none' $$;
    create function public.local_test_over_default(p_x int default 1) returns text language sql stable as $$ select 'default' $$;
    create function public.local_test_plain() returns jsonb language sql stable as $$ select '{"ok": true}'::jsonb $$;`);
  await sql.unsafe(`grant execute on function ${NAMES.map((n) => `public.${n}`).join(", ")} to anon, authenticated, service_role`);
});
afterAll(async () => {
  await sql.unsafe(`drop function if exists ${NAMES.map((n) => `public.${n}`).join(", ")}`);
  await sql.end();
});

const call = async (fn: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}) => {
  const res = await fetch(`${env.apiUrl}/rest/v1/rpc/${fn}`, {
    method: init.method ?? "POST",
    headers: { apikey: env.anonKey, "content-type": "application/json", ...init.headers },
    body: init.method === "GET" ? undefined : JSON.stringify(init.body ?? {}),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
};

describe("PostgREST strictness", () => {
  it("a profile naming a schema that is not exposed is 406 PGRST106; an exposed one is echoed in Content-Profile", async () => {
    const post = await call("local_test_plain", { headers: { "content-profile": "private" } });
    expect(post.status).toBe(406);
    expect(post.body).toEqual({ code: "PGRST106", message: "Invalid schema: private", details: null, hint: "Only the following schemas are exposed: public" });
    const get = await call("local_test_plain", { method: "GET", headers: { "accept-profile": "auth" } });
    expect(get.status).toBe(406);
    expect(get.body.message).toBe("Invalid schema: auth");
    // Each method reads its own header: GET ignores Content-Profile, POST ignores Accept-Profile.
    expect((await call("local_test_plain", { method: "GET", headers: { "content-profile": "private" } })).status).toBe(200);
    expect((await call("local_test_plain", { headers: { "accept-profile": "private" } })).status).toBe(200);
    const ok = await call("local_test_plain", { headers: { "content-profile": "public" } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("content-profile")).toBe("public");
    expect((await call("local_test_plain")).headers.get("content-profile")).toBeNull();
  });

  it("overloads that all match the arguments are 300 PGRST203", async () => {
    const res = await call("local_test_over", { body: { p_a: 1 } });
    expect(res.status).toBe(300);
    expect(res.body.code).toBe("PGRST203");
    expect(res.body.message).toMatch(/^Could not choose the best candidate function between: public\.local_test_over\(p_a => (integer|text)\), public\.local_test_over\(p_a => (integer|text)\)$/);
    expect(res.body.message).toContain("p_a => integer");
    expect(res.body.message).toContain("p_a => text");
    expect(res.body.hint).toBe("Try renaming the parameters or the function itself in the database so function overloading can be resolved");
    // No arguments: both the no-argument function and the one whose argument has a default match.
    expect((await call("local_test_over_default")).body.code).toBe("PGRST203");
    // An argument only one overload has picks it.
    expect(await call("local_test_over_default", { body: { p_x: 2 } })).toMatchObject({ status: 200, body: "default" });
  });

  it("an Accept the API cannot produce is 406 PGRST107; JSON and */* are answered", async () => {
    const res = await call("local_test_plain", { headers: { accept: "text/html, application/xml;q=0.9" } });
    expect(res.status).toBe(406);
    expect(res.body).toEqual({ code: "PGRST107", message: "None of these media types are available: text/html, application/xml", details: null, hint: null });
    expect((await call("local_test_plain", { headers: { accept: "application/*" } })).body.code).toBe("PGRST107");
    for (const accept of ["application/json", "*/*", "text/html, */*;q=0.1", "application/json; charset=utf-8"]) {
      expect(await call("local_test_plain", { headers: { accept } })).toMatchObject({ status: 200, body: { ok: true } });
    }
    // The function is looked up first: an unknown one is 404 whatever the Accept.
    expect((await call("local_test_missing", { headers: { accept: "text/html" } })).body.code).toBe("PGRST202");
  });
});
