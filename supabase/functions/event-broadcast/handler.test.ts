// event-broadcast's own checks, before any database call.
import assert from "node:assert/strict";
import { Announcement, handler } from "./handler.ts";

const post = (body: string, auth = "Bearer token") =>
  new Request("http://local/event-broadcast", { method: "POST", headers: { authorization: auth }, body });

Deno.test("answers the CORS preflight", async () => {
  const res = await handler(new Request("http://local/event-broadcast", { method: "OPTIONS" }));
  assert.equal(res.status, 200);
  assert.match(res.headers.get("access-control-allow-headers") ?? "", /apikey/);
});

Deno.test("refuses PUT with 405", async () => {
  const res = await handler(new Request("http://local/event-broadcast", { method: "PUT", headers: { authorization: "Bearer t" } }));
  assert.equal(res.status, 405);
});

Deno.test("needs a bearer token", async () => {
  assert.equal((await handler(post("{}", "Basic abc"))).status, 401);
});

Deno.test("refuses a body that is not JSON", async () => {
  const res = await handler(post("not json"));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).message, "invalid_json");
});

Deno.test("refuses an unknown kind or an empty message", async () => {
  const res = await handler(post(JSON.stringify({ event_id: crypto.randomUUID(), kind: "party", message: "   " })));
  const body = await res.json();
  assert.equal(res.status, 400);
  assert.match(body.details, /kind/);
  assert.match(body.details, /message/);
});

Deno.test("the announcement schema trims and bounds the message", () => {
  const ok = Announcement.parse({ event_id: crypto.randomUUID(), kind: "closing_soon", message: "  15 minutes left  " });
  assert.equal(ok.message, "15 minutes left");
  assert.ok(!Announcement.safeParse({ event_id: crypto.randomUUID(), kind: "message", message: "x".repeat(281) }).success);
});
