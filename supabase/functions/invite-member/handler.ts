// invite-member: an owner or admin invites a person by email. POST {organization_id, email,
// role, promoter_id?} with the inviter's JWT. The database decides (invite_member: who may
// invite whom, and the single-use token, kept as sha256); this function only has Supabase Auth
// email the link, with the service role: POST /auth/v1/invite (a new account), or for a person who
// already has an account POST /auth/v1/otp (a sign-in link by email, no account created). The
// answer says only that it was emailed: a sign-in link belongs to its owner and never appears in
// it, on any stack (locally Auth emails to the stack's mail catcher). The link signs the invitee
// in and lands on /manage?invitation=<token>, where they set a password and accept
// (accept_invitation); until then they are not a member.
import { z } from "zod";
import { apiError, guard, json, parseBody } from "../_shared/http.ts";
import { forward, rpc } from "../_shared/rpc.ts";

export const Invitation = z.object({
  organization_id: z.uuid(),
  email: z.string().min(3).max(254),
  role: z.enum(["owner", "admin", "staff", "promoter"]),
  promoter_id: z.uuid().nullish(),
});

type Invited = { id: string; email: string; role: string; token: string; expires_at: string; organization_name: string };

async function auth(path: string, body: unknown, redirectTo: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? "";
  const res = await fetch(`${Deno.env.get("SUPABASE_URL")}/auth/v1/${path}?redirect_to=${encodeURIComponent(redirectTo)}`, {
    method: "POST",
    headers: { apikey: key, authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: await res.json().catch(() => ({})) };
}

export async function handler(req: Request): Promise<Response> {
  const refused = guard(req, ["POST"]);
  if (refused) return refused;
  const input = await parseBody(req, Invitation);
  if (input instanceof Response) return input;

  const r = await rpc(req, "invite_member", {
    p_organization_id: input.organization_id,
    p_email: input.email,
    p_role: input.role,
    p_promoter_id: input.promoter_id ?? null,
  });
  if (!r.ok) return forward(r);
  const inv = r.body as Invited;

  const site = Deno.env.get("SITE_URL") ?? Deno.env.get("SUPABASE_URL") ?? "";
  const redirectTo = `${site}/manage?invitation=${encodeURIComponent(inv.token)}`;
  const data = { invited_to: inv.organization_name, role: inv.role };
  const answer = { id: inv.id, email: inv.email, role: inv.role, expires_at: inv.expires_at };

  let sent = await auth("invite", { email: inv.email, data }, redirectTo);
  if (sent.status === 422) {
    // Already has an account: a sign-in link by email instead (POST /otp without creating users).
    sent = await auth("otp", { email: inv.email, create_user: false }, redirectTo);
  }
  if (sent.status !== 200) return deliveryFailed(sent.body);
  return json(200, { ...answer, delivered: "email" });
}

function deliveryFailed(body: Record<string, unknown>): Response {
  console.error("invite-member: Auth did not deliver the invitation:", body);
  return apiError(502, "invitation_not_delivered", "The invitation was saved but the email could not be sent.",
    "Try again in a moment; the new invitation replaces this one.");
}
