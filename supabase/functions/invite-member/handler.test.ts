// invite-member's own checks, before any database or Auth call.
import assert from "node:assert/strict";
import { handler } from "./handler.ts";

const post = (body: string, auth = "Bearer token") =>
  new Request("http://local/invite-member", { method: "POST", headers: { authorization: auth }, body });

Deno.test("needs a bearer token", async () => {
  const res = await handler(post("{}", ""));
  assert.equal(res.status, 401);
  assert.equal((await res.json()).message, "not_authenticated");
});

Deno.test("refuses an unknown role or a malformed organisation id", async () => {
  const res = await handler(post(JSON.stringify({ organization_id: "x", email: "a@b.pt", role: "boss" })));
  const body = await res.json();
  assert.equal(res.status, 400);
  assert.equal(body.message, "invalid_body");
  assert.match(body.details, /organization_id/);
  assert.match(body.details, /role/);
});
