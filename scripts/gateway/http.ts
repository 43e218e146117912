// HTTP helpers shared by the gateway's services: CORS and JSON answers as the edge functions
// send them, and PostgREST-shaped errors.

import { corsHeaders, json } from "../../supabase/functions/_shared/http.ts";

export { json };

/** PostgREST's error body: {code, details, hint, message}. */
export function pgrstError(
  status: number,
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
  headers: Record<string, string> = {},
): Response {
  return json(status, { code, details, hint, message }, headers);
}

export function preflight(): Response {
  return new Response("ok", { status: 200, headers: corsHeaders });
}

/** The bearer token of a request, if any. */
export function bearer(req: Request): string | null {
  const header = req.headers.get("authorization") ?? "";
  const m = header.match(/^Bearer\s+(.+)$/i);
  return m ? m[1].trim() : null;
}
