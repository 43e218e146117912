// The running test stack (npm test exports its settings) and clients for it: the real
// supabase-js, with the `ws` transport that Node 20 needs for Realtime.
import { createClient, type SupabaseClient } from "@supabase/supabase-js";
import type { Database } from "../client/database.types";
import { readFileSync } from "node:fs";
import { request } from "node:http";
import WebSocket from "ws";
import { bcrypt, newSalt } from "../client/bcrypt";
import { solveChallenge } from "../client/pow";
import { connect } from "./db";

export const env = {
  apiUrl: process.env.API_URL!,
  anonKey: process.env.ANON_KEY!,
  serviceKey: process.env.SERVICE_ROLE_KEY!,
  jwtSecret: process.env.JWT_SECRET!,
};

/**
 * A supabase-js client typed with the generated `Database` (client/database.types.ts), as the
 * pages make it: what createApi takes. `fetch` replaces its transport (to record or drop answers).
 */
export function client(key = env.anonKey, fetch?: typeof globalThis.fetch): SupabaseClient<Database> {
  return createClient<Database>(env.apiUrl, key, {
    auth: { persistSession: false, autoRefreshToken: false },
    realtime: { transport: WebSocket as never },
    global: fetch ? { fetch } : undefined,
  });
}

/**
 * The same client without the generated types, for tests of the HTTP surface itself: they send
 * unknown functions and malformed arguments on purpose and read raw answers.
 */
export const rawClient = (key = env.anonKey): SupabaseClient => client(key) as unknown as SupabaseClient;

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
  const c = rawClient();
  const { error } = await c.auth.setSession(session);
  if (error) throw error;
  return c;
}

let signIns = 0;

/**
 * A client signed in through /auth/v1 as a user of tests.world() (password Password-1). Each
 * sign-in comes from a loopback address of its own: Auth limits /token per client address, as
 * GoTrue does, and the suite signs in far more often than one person would.
 */
export async function signedIn(userId: string): Promise<SupabaseClient> {
  const sql = connect(1);
  const [{ email }] = await sql`select email from auth.users where id = ${userId}`;
  await sql.end();
  const n = signIns++;
  return signInFrom(`127.3.${Math.floor(n / 250) % 250}.${1 + (n % 250)}`, email, "Password-1");
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
  const { data, error } = await rawClient().rpc("registration_challenge");
  if (error) throw error;
  return solveChallenge(data);
}

/** A message as the mail catcher's API (Mailpit's shape) answers it. */
export type Mail = {
  ID: string; From: { Name: string; Address: string }; To: { Name: string; Address: string }[]; Subject: string;
  Date: string; Text: string; HTML: string;
};

/** The IDs of the messages the local mail catcher holds for `address`, newest first. */
export async function mailIds(address: string): Promise<string[]> {
  const res = await fetch(`${process.env.MAILPIT_URL}/api/v1/search?query=${encodeURIComponent(`to:"${address}"`)}`);
  if (!res.ok) throw new Error(`mail catcher: HTTP ${res.status}`);
  const { messages } = await res.json() as { messages: { ID: string }[] };
  return messages.map((m) => m.ID);
}

/**
 * The newest message for `address` in the local mail catcher (as a test reads Mailpit under
 * `supabase start`), waiting for one that is not among `seen` (the IDs held before the action).
 */
export async function newestMail(address: string, seen: string[] = []): Promise<Mail> {
  // A message may go database → pg_net → gateway → function → SMTP, on a machine CI shares with
  // the mutation run: up to 15 s (the test's own timeout is 30 s).
  const id = await eventually(async () => (await mailIds(address)).find((i) => !seen.includes(i)), 15_000);
  const res = await fetch(`${process.env.MAILPIT_URL}/api/v1/message/${id}`);
  return await res.json() as Mail;
}

/** The first link in a message's text that matches `pattern` (Auth's /verify link by default). */
export function linkIn(mail: Mail, pattern = /https?:\/\/\S+\/auth\/v1\/verify\?\S+/): string {
  const link = mail.Text.match(pattern)?.[0];
  if (!link) throw new Error(`no link matching ${pattern} in "${mail.Subject}": ${mail.Text}`);
  return link;
}

/**
 * A password as a phone sends it for a new account (client/bcrypt.ts): bcrypt with a new random
 * cost-10 salt. A retried registration sends the same string again, so keep it.
 */
export const phoneHash = (password: string, salt = newSalt()): Promise<string> => bcrypt(password, salt);

/**
 * A password as a phone sends it to log in: bcrypt with the account's salt, which the page reads
 * from check_phone_with_cache first (a random salt for a number with no account).
 */
export async function loginHash(phone: string, password: string): Promise<string> {
  const { data, error } = await client().rpc("check_phone_with_cache", { p_phone: phone });
  if (error) throw error;
  return phoneHash(password, (data as { salt: string | null }).salt ?? newSalt());
}
