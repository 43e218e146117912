// guest-password-reset: a guest who forgot the password asks for a link. POST {phone} with the
// project's anon key. The database decides and writes the email to its outbox
// (request_password_reset: same answer for every number, limited per address, then per phone and
// address; the function asks with the service role and the guest's address, serviceRpcFor); this function then
// sends what the outbox holds (every kind: _shared/mail.ts), with the service role, through the
// email provider: Resend's POST /emails at RESEND_API_URL (default https://api.resend.com; the
// local stack points it at its mail catcher, which takes the same call), key RESEND_API_KEY,
// sender EMAIL_FROM. Without a key the function answers 500 `email_not_configured` before doing
// anything, for every caller alike: nothing is queued, marked as sent or logged.
// POST {} with the service role only sends what is waiting (for a scheduled retry).
import { z } from "zod";
import { apiError, emailNotConfigured, guard, json, parseBody, projectKey } from "../_shared/http.ts";
import { drainOutbox, provider, resetEmail } from "../_shared/mail.ts";
import { forward, serviceRpcFor } from "../_shared/rpc.ts";

export const ResetRequest = z.object({ phone: z.string().min(1).max(32).optional() });

export { provider, resetEmail };

export async function handler(req: Request): Promise<Response> {
  const refused = guard(req, ["POST"]);
  if (refused) return refused;
  const input = await parseBody(req, ResetRequest);
  if (input instanceof Response) return input;
  const caller = projectKey(req);
  if (!caller) {
    return apiError(401, "not_authenticated", "Call this endpoint with the project's anon key.", "Send Authorization: Bearer <anon key>.");
  }
  if (input.phone === undefined && caller !== "service") {
    return apiError(400, "invalid_body", "Send the phone number of the account.", null);
  }
  const p = provider();
  if (!p) return emailNotConfigured("guest-password-reset");

  let answer: Response | null = null;
  if (input.phone !== undefined) {
    const r = await serviceRpcFor(req, "request_password_reset", { p_phone: input.phone });
    answer = forward(r);
    if (!r.ok) return answer;
  }
  try {
    const sent = await drainOutbox(p);
    return answer ?? json(200, { sent });
  } catch (e) {
    console.error("guest-password-reset: the outbox could not be sent:", e);
    // The request is saved in the outbox either way; the guest's answer does not depend on delivery.
    return answer ?? apiError(502, "outbox_unavailable", "The outbox could not be read.", "Try again later.");
  }
}
