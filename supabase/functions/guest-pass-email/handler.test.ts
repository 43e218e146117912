// guest-pass-email's own checks and the e-mail it renders, without a database. The whole path
// (request_pass_email, outbox, provider call, mail catcher) runs in tests/mail.test.ts.
import assert from "node:assert/strict";
import { passEmail } from "../_shared/mail.ts";
import { handler } from "./handler.ts";

Deno.env.set("SUPABASE_ANON_KEY", "anon");
const body = JSON.stringify({ session_token: "s", guest_id: "00000000-0000-4000-8000-000000000001" });
const post = (b: string, auth = "Bearer anon") =>
  new Request("http://local/guest-pass-email", { method: "POST", headers: { authorization: auth }, body: b });

Deno.test("refuses any token but the project's keys", async () => {
  const res = await handler(post(body, "Bearer forged.jwt.token"));
  assert.equal(res.status, 401);
  assert.equal((await res.json()).message, "not_authenticated");
});

Deno.test("refuses a body without a session and a pass id", async () => {
  const res = await handler(post(JSON.stringify({ guest_id: "x" })));
  assert.equal(res.status, 400);
  assert.equal((await res.json()).message, "invalid_body");
});

Deno.test("without a provider key it fails with email_not_configured before asking the database, and says nothing of the pass", async () => {
  const saved = Deno.env.get("RESEND_API_KEY");
  Deno.env.delete("RESEND_API_KEY");
  Deno.env.set("SUPABASE_URL", "http://127.0.0.1:9");
  const logged: unknown[] = [];
  const error = console.error;
  console.error = (...a: unknown[]) => logged.push(...a);
  try {
    const res = await handler(post(body));
    assert.equal(res.status, 500);
    assert.equal((await res.json()).message, "email_not_configured");
    assert.doesNotMatch(JSON.stringify(logged), /session|00000000/);
  } finally {
    console.error = error;
    if (saved !== undefined) Deno.env.set("RESEND_API_KEY", saved);
  }
});

Deno.test("the e-mail: the QR as a CID-inline GIF, the short code when there is one, the night and venue in both languages", () => {
  const m = { id: 1, kind: "guest_pass" as const, to_email: "a@b.pt", payload: {
    first_name: "Ana", event_name: "Noite <Branca>", venue: "Lux", starts_at: "2026-12-05T22:00:00Z", qr_token: "tok", short_code: "K7P2Q",
  } };
  const email = passEmail(m);
  assert.match(email.html!, /<img src="cid:pass-qr"/);
  assert.match(email.html!, /Noite &#60;Branca&#62;/);
  assert.equal(email.attachments![0].content_id, "pass-qr");
  assert.equal(atob(email.attachments![0].content).slice(0, 6), "GIF87a");
  assert.match(email.text, /Código: K7P2Q/);
  assert.match(email.text, /Code: K7P2Q/);
  assert.match(email.text, /Noite <Branca> · Lux/);
  assert.doesNotMatch(email.text + email.html, /tok(?!en)/);
  const none = passEmail({ ...m, payload: { ...m.payload, short_code: null, venue: null } });
  assert.doesNotMatch(none.text, /Code:|null/);
});
