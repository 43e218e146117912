// Calls a database function through the project's REST API with the caller's own JWT, so the
// database decides who may do what, and hands its answer back unchanged (status, body,
// Retry-After).
import { corsHeaders } from "./http.ts";

export type RpcResult = { ok: boolean; status: number; body: unknown; retryAfter: string | null };

export function rpc(req: Request, fn: string, args: Record<string, unknown>): Promise<RpcResult> {
  return post(fn, args, { apikey: Deno.env.get("SUPABASE_ANON_KEY") ?? "", authorization: req.headers.get("authorization") ?? "" });
}

async function post(fn: string, args: Record<string, unknown>, headers: Record<string, string>): Promise<RpcResult> {
  const res = await fetch(`${Deno.env.get("SUPABASE_URL")}/rest/v1/rpc/${fn}`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  const text = await res.text();
  return { ok: res.ok, status: res.status, body: text ? JSON.parse(text) : null, retryAfter: res.headers.get("retry-after") };
}

/** The RPC's answer as this function's answer. */
export function forward(r: RpcResult): Response {
  return new Response(JSON.stringify(r.body), {
    status: r.status,
    headers: {
      ...corsHeaders,
      "Content-Type": "application/json; charset=utf-8",
      ...(r.retryAfter ? { "Retry-After": r.retryAfter } : {}),
    },
  });
}

/**
 * Calls a database function with the service role on behalf of the guest who sent `req`: the
 * address header the function received goes along as `x-client-address`, which the database
 * believes from the service role only (private.client_ip), so that the guest's rate limits count
 * on the guest's address and not on the function's, which every guest shares.
 */
export function serviceRpcFor(req: Request, fn: string, args: Record<string, unknown>): Promise<RpcResult> {
  const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? "";
  return post(fn, args, { apikey: key, authorization: `Bearer ${key}`, "x-client-address": req.headers.get("x-forwarded-for") ?? "unknown" });
}
