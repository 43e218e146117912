// One guest, through the project's own client library (client/api.ts over supabase-js) as the
// guest page uses it: open the link (resolvePromoterLink), type a phone (checkPhone, which gives a
// returning guest's salt), then log in (authenticate: the phone's bcrypt of the password with
// that salt) or register (register: a registration_challenge solved by the phone, started while
// the guest types, and the phone's bcrypt with a new salt). The client's one retry rule repeats
// what client/retry.ts says is retryable. A returning guest may then join a second night with the
// session token (joinWithSession, no password). The seed's k6 loop is the same calls without the
// link, the typing and the retries (k6Iteration). The phones' slow steps are phone.ts's, given
// to the client as its `hashPassword` and `solveProof` options. Every HTTP request is recorded as
// a step with its status (lib.ts recordedFetch, supabase-js's fetch).
import { createClient } from "@supabase/supabase-js";
import { type Api, type Client, createApi } from "../../client/api.ts";
import { ApiError } from "../../client/errors.ts";
import { ANON_KEY, API_URL, type Call, now, recordedFetch, sleep, THINK } from "./lib.ts";
import { hashPassword, solveProof } from "./phone.ts";

export type Link = { eventId: string; promoterId: string; teamId: string | null; promoterSlug: string; eventSlug: string };

export type Guest = {
  index: number;
  phone: string;
  kind: "new" | "returning";
  password: string;
  /** ms since the scenario's start: link opened, first password call, pass shown */
  opened?: number;
  passwordFirst?: number;
  served?: number;
  outcome?: "pass" | "final" | "unfinished";
  code?: string | null;
  qr?: string;
  guestId?: string;
  session?: string;
  retries: number;
};

export const PASSWORD = "Bench-2026x";

const STEPS: Record<string, string> = {
  resolve_promoter_link: "resolve", check_phone_with_cache: "check_phone", registration_challenge: "challenge",
  authenticate_and_create_guest_v2: "login", register_and_create_guest_v2: "register", join_event_with_session: "join",
};

/** A supabase-js client whose requests are recorded in `calls` (one per scenario: anonymous calls keep no state). */
export function recordingClient(calls: Call[], t0: number): Client {
  const recording = (input: RequestInfo | URL, init?: RequestInit) => {
    const url = input instanceof Request ? input.url : String(input);
    const fn = new URL(url).pathname.split("/").pop() ?? "";
    return recordedFetch(calls, t0, STEPS[fn] ?? fn, url, init ?? {});
  };
  return createClient(API_URL, ANON_KEY, {
    auth: { persistSession: false, autoRefreshToken: false, detectSessionInUrl: false },
    global: { fetch: recording, headers: { "x-client-info": "supabase-js-bench" } },
  }) as unknown as Client;
}

/** The client library for one guest: the phone's steps, retries until `deadline` (none for k6), retries counted. */
function guestApi(client: Client, g: Guest, deadline: number, retry: boolean): { api: Api; expired: () => boolean } {
  const abort = new AbortController();
  const api = createApi(client, {
    hashPassword, solveProof, signal: abort.signal,
    retry: retry ? undefined : () => false,
    onWait: () => g.retries++,
    // A wait past the deadline ends the guest as unfinished (the call fails with its last error).
    sleep: async (ms) => {
      if (now() + ms > deadline) abort.abort();
      else await sleep(ms);
    },
  });
  return { api, expired: () => abort.signal.aborted };
}

/** Runs a guest's steps; a failure is the guest's final answer, or unfinished when the deadline ended it. */
async function attempt(g: Guest, expired: () => boolean, steps: () => Promise<void>) {
  try {
    await steps();
  } catch (e) {
    g.outcome = expired() ? "unfinished" : "final";
    g.code = expired() ? "unfinished" : e instanceof ApiError ? e.code : String(e);
  }
}

/** Check phone, then log in or register; `typing(lo, hi)` waits while the guest types. */
async function checkThenPass(api: Api, t0: number, g: Guest, link: Link, typing: (lo: number, hi: number) => Promise<void>) {
  const check = await api.checkPhone(g.phone);
  let pass;
  if (check.exists) {
    await typing(2, 4); // the password
    g.passwordFirst = now() - t0;
    pass = await api.authenticate(g.phone, g.password, link, check.salt ?? null);
  } else {
    api.prepareRegistration(); // as the page: the proof of work while the guest types
    await typing(4, 8); // name, email and password
    g.passwordFirst = now() - t0;
    pass = await api.register({ phone: g.phone, firstName: "Bea", lastName: "Bench", email: `g${g.index}@bench.example`,
      password: g.password }, link);
  }
  Object.assign(g, { served: now() - t0, qr: pass.qr_token, guestId: pass.guest_id, session: pass.session_token, outcome: "pass", code: null });
}

/**
 * The whole page flow for one guest on `link`: open the link, then check phone and log in or
 * register; `think` multiplies the typing times (0: every step at once). `deadline` (ms,
 * performance.now) bounds the run.
 */
export async function guestFlow(client: Client, t0: number, g: Guest, link: Link, deadline: number, think = THINK) {
  const typing = (lo: number, hi: number) => sleep((lo + Math.random() * (hi - lo)) * 1000 * think);
  const { api, expired } = guestApi(client, g, deadline, true);
  g.opened = now() - t0;
  await attempt(g, expired, async () => {
    await api.resolvePromoterLink(link.promoterSlug, link.eventSlug);
    await typing(1, 3); // the phone number
    await checkThenPass(api, t0, g, link, typing);
  });
}

/**
 * One iteration of the seed's k6 loop: check phone, then log in or register (a registration now
 * takes its challenge first), no retries: any non-2xx is a failure and the loop goes on. The
 * caller sleeps 1 s after it.
 */
export async function k6Iteration(client: Client, t0: number, g: Guest, link: Link, deadline: number) {
  const { api, expired } = guestApi(client, g, deadline, false);
  g.opened = now() - t0;
  await attempt(g, expired, () => checkThenPass(api, t0, g, link, () => Promise.resolve()));
}

/** A returning guest joins another night with the session from the first (no password). */
export async function joinFlow(client: Client, t0: number, g: Guest, link: Link, deadline: number) {
  const { api, expired } = guestApi(client, g, deadline, true);
  g.opened = now() - t0;
  await attempt(g, expired, async () => {
    await api.resolvePromoterLink(link.promoterSlug, link.eventSlug);
    await sleep((0.5 + Math.random()) * 1000 * THINK); // one tap: "join with my account"
    const pass = await api.joinWithSession(g.session!, link);
    Object.assign(g, { served: now() - t0, qr: pass.qr_token, guestId: pass.guest_id, outcome: "pass", code: null });
  });
}
