// The running test stack (npm test exports its settings) and clients for it: the real
// supabase-js, with the `ws` transport that Node 20 needs for Realtime.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import { readFileSync } from "node:fs";
import WebSocket from "ws";
import { solveChallenge } from "../client/pow";
import { connect } from "./db";

export const env = {
  apiUrl: process.env.API_URL!,
  anonKey: process.env.ANON_KEY!,
  serviceKey: process.env.SERVICE_ROLE_KEY!,
  jwtSecret: process.env.JWT_SECRET!,
};

export function client(key = env.anonKey): SupabaseClient {
  return createClient(env.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
  });
}

/** A client signed in through /auth/v1 as a user of tests.world() (password Password-1). */
export async function signedIn(userId: string): Promise<SupabaseClient> {
  const sql = connect(1);
  const [{ email }] = await sql`select email from auth.users where id = ${userId}`;
  await sql.end();
  const c = client();
  const { error } = await c.auth.signInWithPassword({ email, password: "Password-1" });
  if (error) throw error;
  return c;
}

/** A random Portuguese mobile number (E.164), fresh for each test guest. */
export const randomPhone = () => `+3519${String(Math.floor(Math.random() * 1e8)).padStart(8, "0")}`;

export type World = Record<string, string>;

/** A fresh organization world from the SQL test helpers (supabase/tests/helpers.sql). */
export async function makeWorld(): Promise<World> {
  const sql = connect(1);
  await sql.unsafe(readFileSync("supabase/tests/helpers.sql", "utf8"));
  const [{ v }] = await sql`select tests.world() as v`;
  await sql.end();
  return v;
}

/** Resolves with the first value `probe` returns that is not undefined, polling until `ms`. */
export async function eventually<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`nothing arrived within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/**
 * A registration proof of work for register_and_create_guest_v2's `p_proof` (single use: one
 * per phone), from registration_challenge over HTTP and client/pow.ts, as the guest page does.
 */
export async function proof(): Promise<string> {
  const { data, error } = await client().rpc("registration_challenge");
  if (error) throw error;
  return solveChallenge(data);
}
