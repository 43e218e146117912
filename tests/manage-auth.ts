// Sign-in for the management tests. Auth limits /token per client address (burst 30, as GoTrue
// does) and the whole suite signs in from 127.0.0.1, so these tests sign in from a loopback
// address of their own (one per file) and hand the session to a real supabase-js client.
import { request } from "node:http";
import type { SupabaseClient } from "@supabase/supabase-js";
import { connect } from "./db";
import { client, env } from "./env";

type Session = { access_token: string; refresh_token: string };

function token(localAddress: string, email: string, password: string): Promise<Session> {
  const url = new URL(`${env.apiUrl}/auth/v1/token?grant_type=password`);
  const body = JSON.stringify({ email, password });
  return new Promise((resolve, reject) => {
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
}

/** A supabase-js client signed in with email and password from `localAddress`. */
export async function signInFrom(localAddress: string, email: string, password: string): Promise<SupabaseClient> {
  const s = await token(localAddress, email, password);
  const c = client();
  const { error } = await c.auth.setSession({ access_token: s.access_token, refresh_token: s.refresh_token });
  if (error) throw error;
  return c;
}

/** Signs in a user of tests.world() (password Password-1) from `localAddress`, once per user. */
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
