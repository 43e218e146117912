// The local Auth's error answers per `X-Supabase-Api-Version`, as GoTrue's HandleResponseError
// (supabase/auth internal/api/errors.go, apiversions.go): from 2024-01-01 (what supabase-js sends)
// `{code: <error code>, message}` with the version echoed; without it, or before that date, or
// malformed, `{code: <status>, error_code, msg}`; `x-sb-error-code` in both.
import { afterAll, describe, expect, it } from "vitest";
import { connect } from "../../tests/db";
import { env, rawClient } from "../../tests/env";

const sql = connect(1);
afterAll(() => sql.end());

const auth = (path: string, init: { method?: string; version?: string; token?: string; body?: unknown } = {}) =>
  fetch(`${env.apiUrl}/auth/v1/${path}`, {
    method: init.method ?? "POST",
    headers: {
      apikey: env.anonKey, "content-type": "application/json",
      ...(init.version ? { "x-supabase-api-version": init.version } : {}),
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });

async function newUser() {
  const email = `versions-${crypto.randomUUID()}@auth.test`;
  await sql`select tests.create_user(${email})`;
  return email;
}

const answer = async (res: Response) => ({
  status: res.status, body: await res.json(),
  version: res.headers.get("x-supabase-api-version"), code: res.headers.get("x-sb-error-code"),
});

describe("Auth error shapes per X-Supabase-Api-Version", () => {
  it("wrong credentials: the initial shape without the header, 2024-01-01's with it", async () => {
    const email = await newUser();
    const wrong = (version?: string) => auth("token?grant_type=password", { version, body: { email, password: "Wrong-password-1" } });
    expect(await answer(await wrong())).toEqual({
      status: 400, body: { code: 400, error_code: "invalid_credentials", msg: "Invalid login credentials" }, version: null, code: "invalid_credentials",
    });
    expect(await answer(await wrong("2024-01-01"))).toEqual({
      status: 400, body: { code: "invalid_credentials", message: "Invalid login credentials" }, version: "2024-01-01", code: "invalid_credentials",
    });
  });

  it("a later date is 2024-01-01; an earlier or malformed one is the initial version", async () => {
    const missing = (version: string) => auth("no-such-endpoint", { method: "GET", version });
    expect(await answer(await missing("2026-12-04"))).toMatchObject({ status: 404, body: { code: "not_found" }, version: "2024-01-01" });
    for (const version of ["2023-12-31", "2024-13-01", "yesterday"]) {
      const a = await answer(await missing(version));
      expect(a).toMatchObject({ status: 404, body: { code: 404, error_code: "not_found" }, version: null });
      expect(a.body.msg).toEqual(expect.any(String));
    }
  });

  it("a weak password: reasons in both shapes, x-sb-error-code only in the initial one", async () => {
    const email = await newUser();
    const signedIn = await (await auth("token?grant_type=password", { body: { email, password: "Password-1" } })).json();
    const put = (version?: string) => auth("user", { method: "PUT", version, token: signedIn.access_token, body: { password: "Ab1" } });
    const old = await answer(await put());
    expect(old).toMatchObject({ status: 422, body: { code: 422, error_code: "weak_password", weak_password: { reasons: ["length"] } }, code: "weak_password" });
    const now = await answer(await put("2024-01-01"));
    expect(now).toMatchObject({ status: 422, body: { code: "weak_password", weak_password: { reasons: ["length"] } }, version: "2024-01-01", code: null });
    expect(Object.keys(now.body).sort()).toEqual(["code", "message", "weak_password"]);
  });

  it("supabase-js (which sends 2024-01-01) reads the code and status", async () => {
    const email = await newUser();
    const { error } = await rawClient().auth.signInWithPassword({ email, password: "Wrong-password-1" });
    expect(error).toMatchObject({ status: 400, code: "invalid_credentials", message: "Invalid login credentials" });
  });
});
