// HTTP helpers shared by the gateway's services: CORS and JSON answers as Supabase's API
// gateway sends them, and PostgREST-shaped errors. The stand-in imports nothing from the product.
import { corsHeaders as sdkCorsHeaders } from "@supabase/supabase-js/cors";

/**
 * CORS on every answer: supabase-js's own list (`@supabase/supabase-js/cors`, the headers its
 * clients send), plus the headers a browser may read (Retry-After, so a page can honour it).
 */
export const corsHeaders: Record<string, string> = {
  ...sdkCorsHeaders,
  "Access-Control-Expose-Headers": "Content-Range, Retry-After, X-Total-Count, X-Supabase-Api-Version",
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

/**
 * The answer to a CORS preflight. As PostgREST (Cors.hs: `corsRequestHeaders = "Authorization" :
 * <the requested headers>`) and Kong's cors plugin without a `headers` setting do, the headers the
 * browser asks for are allowed (supabase-js's auth and PostgREST clients send more than the SDK's
 * list: `x-supabase-api-version`, `prefer`, `accept-profile`…); without a request, the SDK's list.
 */
export function preflight(req: Request): Response {
  const requested = req.headers.get("access-control-request-headers");
  return new Response("ok", {
    status: 200,
    headers: requested ? { ...corsHeaders, "Access-Control-Allow-Headers": `authorization, ${requested}` } : corsHeaders,
  });
}

/** The bearer token of a request, if any. */
export function bearer(req: Request): string | null {
  const header = req.headers.get("authorization") ?? "";
  const m = header.match(/^Bearer\s+(.+)$/i);
  return m ? m[1].trim() : null;
}
