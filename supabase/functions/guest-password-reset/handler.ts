// guest-password-reset: a guest who forgot the password asks for a link. POST {phone} with the
// project's anon key. The database decides and writes the email to its outbox
// (request_password_reset: same answer for every number, limited per address, then per phone and
// address; the function asks with the service role and the guest's address, serviceRpcFor); this function then
// sends what the outbox holds, with the service role (claim_outbox / complete_outbox), through the
// email provider: Resend's POST /emails at RESEND_API_URL (default https://api.resend.com; the
// local stack points it at its mail catcher, which takes the same call), key RESEND_API_KEY,
// sender EMAIL_FROM. Without a key the function answers 500 `email_not_configured` before doing
// anything, for every caller alike: nothing is queued, marked as sent or logged.
// POST {} with the service role only sends what is waiting (for a scheduled retry).
import { z } from "zod";
import { apiError, guard, json, parseBody } from "../_shared/http.ts";
import { forward, serviceRpcFor } from "../_shared/rpc.ts";

export const ResetRequest = z.object({ phone: z.string().min(1).max(32).optional() });

type OutboxMessage = { id: number; kind: string; to_email: string; payload: { first_name: string; token: string; expires_at: string } };

export function resetEmail(m: OutboxMessage, site: string) {
  const link = `${site}/me#reset=${encodeURIComponent(m.payload.token)}`;
  return {
    link,
    subject: "Nova palavra-passe / New password",
    text: `Olá ${m.payload.first_name},\n\nPara escolher uma nova palavra-passe abre este link (válido uma vez, durante uma hora):\n${link}\n\n` +
      `Hi ${m.payload.first_name},\n\nTo choose a new password open this link (it works once, for an hour):\n${link}\n\n` +
      "Se não pediste isto, ignora este email. / If you did not ask for this, ignore this email.\n",
  };
}

async function serviceRpc(fn: string, args: Record<string, unknown>): Promise<unknown> {
  const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? "";
  const res = await fetch(`${Deno.env.get("SUPABASE_URL")}/rest/v1/rpc/${fn}`, {
    method: "POST",
    headers: { apikey: key, authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  if (!res.ok) throw new Error(`${fn}: HTTP ${res.status} ${await res.text()}`);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

type Provider = { url: string; key: string; from: string };

/** The email provider's settings, or null when the project has no provider key. */
export function provider(): Provider | null {
  const key = Deno.env.get("RESEND_API_KEY");
  if (!key) return null;
  return {
    url: (Deno.env.get("RESEND_API_URL") || "https://api.resend.com").replace(/\/+$/, ""),
    key,
    from: Deno.env.get("EMAIL_FROM") ?? "no-reply@example.com",
  };
}

async function deliver(p: Provider, to: string, email: { subject: string; text: string }): Promise<void> {
  const res = await fetch(`${p.url}/emails`, {
    method: "POST",
    headers: { authorization: `Bearer ${p.key}`, "content-type": "application/json" },
    body: JSON.stringify({ from: p.from, to: [to], subject: email.subject, text: email.text }),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`provider answered HTTP ${res.status}`);
}

/** Sends every email the outbox holds; each outcome is recorded, so a failure is retried later. */
export async function drainOutbox(p: Provider): Promise<number> {
  const site = Deno.env.get("SITE_URL") ?? Deno.env.get("SUPABASE_URL") ?? "";
  const messages = await serviceRpc("claim_outbox", { p_limit: 20 }) as OutboxMessage[];
  for (const m of messages) {
    let error: string | null = null;
    try {
      await deliver(p, m.to_email, resetEmail(m, site));
    } catch (e) {
      error = (e as Error).message;
    }
    await serviceRpc("complete_outbox", { p_id: m.id, p_error: error });
  }
  return messages.length;
}

export async function handler(req: Request): Promise<Response> {
  const refused = guard(req, ["POST"]);
  if (refused) return refused;
  const input = await parseBody(req, ResetRequest);
  if (input instanceof Response) return input;
  const caller = req.headers.get("authorization");
  if (caller !== `Bearer ${Deno.env.get("SUPABASE_ANON_KEY")}` && caller !== `Bearer ${Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")}`) {
    return apiError(401, "not_authenticated", "Call this endpoint with the project's anon key.", "Send Authorization: Bearer <anon key>.");
  }
  if (input.phone === undefined && caller !== `Bearer ${Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")}`) {
    return apiError(400, "invalid_body", "Send the phone number of the account.", null);
  }
  const p = provider();
  if (!p) {
    console.error("guest-password-reset: no email provider configured (set the secret RESEND_API_KEY)");
    return apiError(500, "email_not_configured", "Password reset emails cannot be sent: this project has no email provider.",
      "Set the RESEND_API_KEY secret (and EMAIL_FROM) on the project.");
  }

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
