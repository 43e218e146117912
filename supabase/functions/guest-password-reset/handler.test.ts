// guest-password-reset's own checks and the email it writes, without a database.
import assert from "node:assert/strict";
import { handler, resetEmail } from "./handler.ts";

const post = (body: string, auth = "Bearer anon") =>
  new Request("http://local/guest-password-reset", { method: "POST", headers: { authorization: auth }, body });

Deno.test("without a phone only the service role may ask it to send the outbox", async () => {
  const res = await handler(post("{}"));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).message, "invalid_body");
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
