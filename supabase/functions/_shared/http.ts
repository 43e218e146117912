// HTTP conventions shared by the edge functions: CORS as Supabase documents it, and errors
// shaped like the database's ({code: 'PT<status>', message: machine code, details: a sentence
// for people, hint}) so clients branch on `message` everywhere.
import { corsHeaders as sdkCorsHeaders } from "@supabase/supabase-js/cors";
import type { z } from "zod";

/**
 * CORS as Supabase documents it for edge functions: supabase-js's own list
 * (`@supabase/supabase-js/cors`, kept in step with the headers its clients send), plus
 * Retry-After exposed so that a page can honour it on a 429.
 */
export const corsHeaders: Record<string, string> = { ...sdkCorsHeaders, "Access-Control-Expose-Headers": "Retry-After" };

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

export function apiError(status: number, code: string, details: string, hint: string | null = null,
  headers: Record<string, string> = {}): Response {
  return json(status, { code: `PT${status}`, message: code, details, hint }, headers);
}

/**
 * The checks every function makes before reading the body: answers the CORS preflight, refuses
 * other methods (405 with Allow) and requests without a bearer token (401). Null when the
 * request may proceed.
 */
export function guard(req: Request, methods: string[]): Response | null {
  if (req.method === "OPTIONS") return new Response("ok", { status: 200, headers: corsHeaders });
  if (!methods.includes(req.method)) {
    return apiError(405, "method_not_allowed", `This endpoint accepts ${methods.join(", ")} only.`, null,
      { Allow: [...methods, "OPTIONS"].join(", ") });
  }
  if (!/^Bearer\s+\S+/i.test(req.headers.get("authorization") ?? "")) {
    return apiError(401, "not_authenticated", "Sign in first: this endpoint needs your access token.", "Send Authorization: Bearer <token>.");
  }
  return null;
}

/** Parses the JSON body against `schema`: 400 `invalid_json` or `invalid_body` (with the reasons). */
export async function parseBody<T extends z.ZodType>(req: Request, schema: T): Promise<z.infer<T> | Response> {
  let raw: unknown;
  try {
    raw = await req.json();
  } catch {
    return apiError(400, "invalid_json", "The request body is not valid JSON.", "Send a JSON object.");
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    const reasons = parsed.error.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
    return apiError(400, "invalid_body", `The request body is not what this endpoint takes (${reasons}).`, null);
  }
  return parsed.data;
}

/** Which of the project's own keys the request carries as its bearer token: "anon", "service" or null. */
export function projectKey(req: Request): "anon" | "service" | null {
  const caller = req.headers.get("authorization");
  if (caller === `Bearer ${Deno.env.get("SUPABASE_SERVICE_ROLE_KEY")}`) return "service";
  if (caller === `Bearer ${Deno.env.get("SUPABASE_ANON_KEY")}`) return "anon";
  return null;
}

/** 500 `email_not_configured`: the project has no e-mail provider (RESEND_API_KEY). Logs no message content. */
export function emailNotConfigured(fn: string): Response {
  console.error(`${fn}: no email provider configured (set the secret RESEND_API_KEY)`);
  return apiError(500, "email_not_configured", "E-mails cannot be sent: this project has no email provider.",
    "Set the RESEND_API_KEY secret (and EMAIL_FROM) on the project.");
}
