// door-checkin's own checks, before any database call.
import assert from "node:assert/strict";
import { handler, Scan } from "./handler.ts";

const post = (body: string, auth = "Bearer token") =>
  new Request("http://local/door-checkin", { method: "POST", headers: { authorization: auth }, body });

Deno.test("answers the CORS preflight", async () => {
  const res = await handler(new Request("http://local/door-checkin", { method: "OPTIONS" }));
  assert.equal(res.status, 200);
  assert.equal(res.headers.get("access-control-allow-origin"), "*");
});

Deno.test("refuses GET with 405 and an Allow header", async () => {
  const res = await handler(new Request("http://local/door-checkin", { headers: { authorization: "Bearer t" } }));
  assert.equal(res.status, 405);
  assert.equal(res.headers.get("allow"), "POST, OPTIONS");
});

Deno.test("needs a bearer token", async () => {
  const res = await handler(post("{}", ""));
  assert.equal(res.status, 401);
  assert.equal((await res.json()).message, "not_authenticated");
});

Deno.test("refuses a body that is not JSON", async () => {
  const res = await handler(post("{oops"));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).message, "invalid_json");
});

Deno.test("refuses a scan without a proper nonce or event id", async () => {
  const res = await handler(post(JSON.stringify({ event_id: "x", qr_token: "abc", nonce: "short" })));
  const body = await res.json();
  assert.equal(res.status, 400);
  assert.equal(body.message, "invalid_body");
  assert.match(body.details, /event_id/);
  assert.match(body.details, /nonce/);
});

Deno.test("the scan schema accepts what the scanner sends", () => {
  assert.ok(Scan.safeParse({ event_id: crypto.randomUUID(), qr_token: "abcDEF_123-xyz", nonce: crypto.randomUUID() }).success);
  assert.ok(!Scan.safeParse({ event_id: crypto.randomUUID(), qr_token: "x".repeat(65), nonce: crypto.randomUUID() }).success);
});
