// Sign-in for the management tests: each file from a loopback address of its own (Auth limits
// /token per client address, as GoTrue does), once per user, handed to a real supabase-js client.
import { request } from "node:http";
import type { SupabaseClient } from "@supabase/supabase-js";
import { connect } from "./db";
import { client, env } from "./env";

/** A supabase-js client signed in with email and password, the /token request sent from `localAddress`. */
export async function signInFrom(localAddress: string, email: string, password: string): Promise<SupabaseClient> {
  const url = new URL(`${env.apiUrl}/auth/v1/token?grant_type=password`);
  const body = JSON.stringify({ email, password });
  const session = await new Promise<{ access_token: string; refresh_token: string }>((resolve, reject) => {
    const req = request({
      host: url.hostname, port: url.port, path: `${url.pathname}${url.search}`, method: "POST", localAddress,
      headers: { apikey: env.anonKey, "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    }, (res) => {
      let text = "";
      res.on("data", (c) => (text += c));
      res.on("end", () => (res.statusCode === 200 ? resolve(JSON.parse(text)) : reject(new Error(`sign-in: ${res.statusCode} ${text}`))));
    });
    req.on("error", reject);
    req.end(body);
  });
  const c = client();
  const { error } = await c.auth.setSession(session);
  if (error) throw error;
  return c;
}

/** Signs in users of tests.world() (password Password-1) from `localAddress`, once per user. */
export function signer(localAddress: string) {
  const cache = new Map<string, Promise<SupabaseClient>>();
  return (userId: string): Promise<SupabaseClient> => {
    if (!cache.has(userId)) {
      cache.set(userId, (async () => {
        const sql = connect(1);
        const [{ email }] = await sql`select email from auth.users where id = ${userId}`;
        await sql.end();
        return signInFrom(localAddress, email, "Password-1");
      })());
    }
    return cache.get(userId)!;
  };
}
