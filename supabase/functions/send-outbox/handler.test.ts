// send-outbox's own checks, without a database; the scheduled call (pg_cron → pg_net → this
// function → the mail catcher) runs in tests/mail.test.ts.
import assert from "node:assert/strict";
import { alertEmail } from "../_shared/mail.ts";
import { handler } from "./handler.ts";

Deno.env.set("SUPABASE_ANON_KEY", "anon");
const post = (auth: string) => new Request("http://local/send-outbox", { method: "POST", headers: { authorization: auth }, body: "{}" });

Deno.test("refuses any token but the project's keys", async () => {
  const res = await handler(post("Bearer forged"));
  assert.equal(res.status, 401);
});

Deno.test("without a provider key: 500 email_not_configured, never a silent 'sent'", async () => {
  const saved = Deno.env.get("RESEND_API_KEY");
  Deno.env.delete("RESEND_API_KEY");
  const error = console.error;
  console.error = () => {};
  try {
    const res = await handler(post("Bearer anon"));
    assert.equal(res.status, 500);
    const body = await res.json();
    assert.equal(body.message, "email_not_configured");
    assert.equal(body.sent, undefined);
  } finally {
    console.error = error;
    if (saved !== undefined) Deno.env.set("RESEND_API_KEY", saved);
  }
});

Deno.test("an alert e-mail says which, whether it started or ended, and the numbers", () => {
  const m = { id: 1, kind: "alert" as const, to_email: "ops@x.pt", payload: { alert: "cron_failed", firing: false, detail: "no failed job", threshold: 0, at: "t" } };
  const email = alertEmail(m);
  assert.equal(email.subject, "[RESOLVED] cron_failed");
  assert.match(email.text, /no failed job \(threshold 0\)/);
});
