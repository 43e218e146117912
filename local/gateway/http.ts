// HTTP helpers shared by the gateway's services: CORS and JSON answers as Supabase's API
// gateway sends them, and PostgREST-shaped errors. The stand-in imports nothing from the product.

export const corsHeaders: Record<string, string> = {
  "Access-Control-Allow-Origin": "*",
  "Access-Control-Allow-Headers":
    "authorization, x-client-info, apikey, content-type, prefer, accept-profile, content-profile, x-supabase-api-version, x-region, range",
  "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS",
  "Access-Control-Expose-Headers": "Content-Range, Retry-After, X-Total-Count",
  "Access-Control-Max-Age": "3600",
};

export function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(body === undefined ? null : JSON.stringify(body), {
    status,
    headers: { ...corsHeaders, "Content-Type": "application/json; charset=utf-8", ...headers },
  });
}

/** Longest piece of an error body the gateway writes: errors never echo unbounded input back. */
export const MAX_ECHO = 1000;

/** `s` cut to MAX_ECHO characters (null stays null). */
export function truncate(s: string | null): string | null {
  return s === null || s.length <= MAX_ECHO ? s : `${s.slice(0, MAX_ECHO)}… (${s.length - MAX_ECHO} more characters)`;
}

/** PostgREST's error body: {code, details, hint, message}, each cut to MAX_ECHO characters. */
export function pgrstError(
  status: number,
  code: string,
  message: string,
  details: string | null = null,
  hint: string | null = null,
  headers: Record<string, string> = {},
): Response {
  return json(status, { code, details: truncate(details), hint: truncate(hint), message: truncate(message) }, headers);
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
