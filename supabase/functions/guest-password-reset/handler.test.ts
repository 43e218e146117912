// guest-password-reset's own checks, its provider settings and the email it writes, without a
// database. The whole path (outbox, provider call, mail catcher) runs against the local stack in
// tests/manage-guest-data.test.ts.
import assert from "node:assert/strict";
import { handler, provider, resetEmail } from "./handler.ts";

Deno.env.set("SUPABASE_ANON_KEY", "anon");

const post = (body: string, auth = "Bearer anon") =>
  new Request("http://local/guest-password-reset", { method: "POST", headers: { authorization: auth }, body });

Deno.test("without a phone only the service role may ask it to send the outbox", async () => {
  const res = await handler(post("{}"));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).message, "invalid_body");
});

Deno.test("refuses any token but the project's keys: the database is asked with the service role", async () => {
  const res = await handler(post(JSON.stringify({ phone: "912345678" }), "Bearer forged.jwt.token"));
  assert.equal(res.status, 401);
  assert.equal((await res.json()).message, "not_authenticated");
});

Deno.test("refuses a phone that is not a short string", async () => {
  const res = await handler(post(JSON.stringify({ phone: "9".repeat(40) })));
  assert.equal(res.status, 400);
  assert.match((await res.json()).details, /phone/);
});

Deno.test("the email carries the one-time link in the fragment, in Portuguese and English", () => {
  const email = resetEmail({ id: 1, kind: "guest_password_reset", to_email: "a@b.pt",
    payload: { first_name: "Ana", token: "tok-en_1", expires_at: "" } }, "https://guests.example");
  assert.equal(email.link, "https://guests.example/me#reset=tok-en_1");
  assert.match(email.text, /Olá Ana/);
  assert.match(email.text, /Hi Ana/);
  assert.ok(email.text.includes(email.link));
});

/** Runs `f` with the given environment variables set (undefined: removed), then restores them. */
async function withEnv(vars: Record<string, string | undefined>, f: () => unknown) {
  const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, Deno.env.get(k)]));
  const apply = (v: Record<string, string | undefined>) =>
    Object.entries(v).forEach(([k, x]) => (x === undefined ? Deno.env.delete(k) : Deno.env.set(k, x)));
  apply(vars);
  try {
    await f();
  } finally {
    apply(saved);
  }
}

Deno.test("without a provider key it fails with email_not_configured before queueing anything, and logs no link", async () => {
  await withEnv({ RESEND_API_KEY: undefined, SUPABASE_URL: "http://127.0.0.1:9" }, async () => {
    const logged: unknown[] = [];
    const [log, error] = [console.log, console.error];
    console.log = console.error = (...a: unknown[]) => logged.push(...a);
    let res: Response;
    try {
      res = await handler(post(JSON.stringify({ phone: "912000001" })));
    } finally {
      [console.log, console.error] = [log, error];
    }
    const body = await res.json();
    assert.equal(res.status, 500);
    assert.equal(body.message, "email_not_configured");
    assert.doesNotMatch(JSON.stringify(logged), /reset=|#reset|token/i);
  });
});

Deno.test("the provider is Resend's API unless RESEND_API_URL points elsewhere (the local stack's mail catcher)", async () => {
  await withEnv({ RESEND_API_KEY: "re_test", RESEND_API_URL: undefined, EMAIL_FROM: undefined }, () => {
    assert.deepEqual(provider(), { url: "https://api.resend.com", key: "re_test", from: "no-reply@example.com" });
  });
  await withEnv({ RESEND_API_KEY: "re_test", RESEND_API_URL: "http://127.0.0.1:54324/", EMAIL_FROM: "Noite <n@x.pt>" }, () => {
    assert.deepEqual(provider(), { url: "http://127.0.0.1:54324", key: "re_test", from: "Noite <n@x.pt>" });
  });
  await withEnv({ RESEND_API_KEY: undefined }, () => assert.equal(provider(), null));
});
