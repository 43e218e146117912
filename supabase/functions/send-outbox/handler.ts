// send-outbox: sends what the outbox holds (alerts, passes, reset links: _shared/mail.ts) with the
// service role. Called every minute by pg_cron through pg_net while e-mail waits
// (private.send_outbox, the setting outbox_sender_url), the way Supabase documents scheduled edge
// functions; POST {} with the project's anon or service role key. It only sends what the database
// has already queued, so the public anon key is enough to ask. Answers {sent: n}; 500
// `email_not_configured` without a provider; 502 `outbox_unavailable` when the database cannot be
// reached (the mail stays queued).
import { apiError, emailNotConfigured, guard, json, projectKey } from "../_shared/http.ts";
import { drainOutbox, provider } from "../_shared/mail.ts";

export async function handler(req: Request): Promise<Response> {
  const refused = guard(req, ["POST"]);
  if (refused) return refused;
  await req.body?.cancel();
  if (!projectKey(req)) {
    return apiError(401, "not_authenticated", "Call this endpoint with the project's anon key.", "Send Authorization: Bearer <anon key>.");
  }
  const p = provider();
  if (!p) return emailNotConfigured("send-outbox");
  try {
    return json(200, { sent: await drainOutbox(p) });
  } catch (e) {
    console.error("send-outbox: the outbox could not be sent:", (e as Error).message);
    return apiError(502, "outbox_unavailable", "The outbox could not be read.", "Try again later.");
  }
}
