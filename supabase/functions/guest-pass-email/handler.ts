// guest-pass-email: a guest asks for their pass by e-mail (the pass screen's button). POST
// {session_token, guest_id} with the project's anon key. The database decides and queues the
// e-mail to the account's own address (request_pass_email: the guest's session, limited per
// client address and per pass; asked with the service role and the guest's address,
// serviceRpcFor); this function then sends what the outbox holds (_shared/mail.ts): the QR as an
// inline image, the short code, the night. Without a provider it answers 500
// `email_not_configured` before queueing anything.
import { z } from "zod";
import { apiError, emailNotConfigured, guard, parseBody, projectKey } from "../_shared/http.ts";
import { drainOutbox, provider } from "../_shared/mail.ts";
import { forward, serviceRpcFor } from "../_shared/rpc.ts";

export const PassEmailRequest = z.object({ session_token: z.string().min(1).max(100), guest_id: z.uuid() });

export async function handler(req: Request): Promise<Response> {
  const refused = guard(req, ["POST"]);
  if (refused) return refused;
  const input = await parseBody(req, PassEmailRequest);
  if (input instanceof Response) return input;
  if (!projectKey(req)) {
    return apiError(401, "not_authenticated", "Call this endpoint with the project's anon key.", "Send Authorization: Bearer <anon key>.");
  }
  const p = provider();
  if (!p) return emailNotConfigured("guest-pass-email");
  const r = await serviceRpcFor(req, "request_pass_email", { p_session_token: input.session_token, p_guest_id: input.guest_id });
  if (r.ok) {
    try {
      await drainOutbox(p);
    } catch (e) {
      // Queued either way: the scheduled sender (send-outbox) tries again.
      console.error("guest-pass-email: the outbox could not be sent:", (e as Error).message);
    }
  }
  return forward(r);
}
