// The typed client of the public API over supabase-js: one function per public RPC and edge
// function. Inputs are checked with the zod schemas of client/schemas.ts before they leave the
// device, answers are parsed with them, and every failure is an ApiError with the stable code.
// Overload is handled by the one retry rule (client/retry.ts): the fair line's `busy`, platform
// overload and network failures are repeated (reporting the wait through `onWait`), nothing else.
import type { SupabaseClient } from "@supabase/supabase-js";
import type { z } from "zod";
import { ApiError, fromBody } from "./errors.ts";
import { registrationProof } from "./proof.ts";
import { type Failure, type QueueInfo, queueInfo, retryDelay } from "./retry.ts";
import * as S from "./schemas.ts";

export type Options = {
  /** Told before each wait for a retry: the fair line's position/wait, or null for a plain back-off. */
  onWait?: (info: QueueInfo | null, delayMs: number) => void;
  /** Cancels the retries (the call then fails with the last error). */
  signal?: AbortSignal;
  /** Narrows the retry rule: false stops retrying this failure (the door queues instead). */
  retry?: (failure: Failure, attempt: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
};

type Raw = { data: unknown; error: unknown; status: number };

/** Validates an input with a schema; a failure is an ApiError with the server's code. */
export function check<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const issue = r.error.issues[0];
  const code = /^[a-z_]+$/.test(issue.message) ? issue.message : "unexpected";
  return (() => { throw new ApiError(code, 400, null, null, issue.path.map(String).join(".") || null); })();
}

function parseAnswer<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  const r = schema.safeParse(data);
  if (!r.success) throw new ApiError("unexpected", 200, `Unexpected answer: ${r.error.issues[0]?.message}`);
  return r.data;
}

/** The body and status of a failed edge-function call (supabase-js FunctionsHttpError etc.). */
async function functionFailure(error: unknown): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const ctx = (error as { context?: unknown }).context;
  if (ctx instanceof Response) {
    let body: Record<string, unknown> | null = null;
    try { body = await ctx.clone().json(); } catch { /* not JSON */ }
    return { status: ctx.status, body };
  }
  return { status: 0, body: { message: String((error as Error)?.message ?? error) } };
}

export function createApi(supabase: SupabaseClient, options: Options = {}) {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function withRetry(send: () => Promise<{ status: number; body: Record<string, unknown> | null; data?: unknown }>): Promise<unknown> {
    for (let attempt = 0; ; attempt++) {
      const r = await send();
      if (r.status >= 200 && r.status < 300 && r.body === null) return r.data;
      const failure = { status: r.status, body: r.body };
      const delay = retryDelay(failure, attempt);
      if (delay === null || options.signal?.aborted || options.retry?.(failure, attempt) === false) {
        throw fromBody(r.status, r.body);
      }
      options.onWait?.(queueInfo(failure), delay);
      await sleep(delay);
    }
  }

  const rpc = (fn: string, args: Record<string, unknown>, get = false) =>
    withRetry(async () => {
      const { data, error, status } = (await supabase.rpc(fn, args, get ? { get: true } : undefined)) as Raw;
      return error ? { status, body: error as Record<string, unknown> } : { status, body: null, data };
    });

  const invoke = (fn: string, body: Record<string, unknown>) =>
    withRetry(async () => {
      const { data, error } = await supabase.functions.invoke(fn, { body });
      return error ? await functionFailure(error) : { status: 200, body: null, data };
    });

  // The registration's proof of work, started ahead (when the form shows) and used once.
  let proof: Promise<Record<string, unknown>> | null = null;
  const takeProof = () => {
    const p = proof ?? registrationProof(() => rpc("registration_challenge", {}), options.signal);
    proof = null;
    return p;
  };

  const linkArgs = (l: S.Link) => ({ p_event_id: l.eventId, p_promoter_id: l.promoterId, p_team_id: l.teamId });

  return {
    /** resolve_promoter_link: the event and promoter card of a guest link, or `event_not_found`. */
    async resolvePromoterLink(promoterSlug: string, eventSlug: string): Promise<S.LinkCard> {
      const args = { p_promoter_slug: check(S.Slug, promoterSlug), p_event_slug: check(S.Slug, eventSlug) };
      return parseAnswer(S.LinkCard, await rpc("resolve_promoter_link", args, true));
    },
    /** check_phone_with_cache: whether the number has an account (and its E.164 form). */
    async checkPhone(phone: string): Promise<{ exists: boolean; phone: string }> {
      return parseAnswer(S.PhoneCheck, await rpc("check_phone_with_cache", { p_phone: check(S.Phone, phone) }));
    },
    /** authenticate_and_create_guest_v2: a returning guest's pass for the link's event. */
    async authenticate(phone: string, password: string, link: S.Link): Promise<S.Pass> {
      const args = { p_phone: check(S.Phone, phone), p_password: check(S.Password, password), ...linkArgs(check(S.Link, link)) };
      return parseAnswer(S.Pass, await rpc("authenticate_and_create_guest_v2", args));
    },
    /** Starts the registration's proof of work early, so that registering does not wait for it. */
    prepareRegistration(): void {
      proof ??= registrationProof(() => rpc("registration_challenge", {}), options.signal);
      proof.catch(() => (proof = null));
    },
    /** register_and_create_guest_v2 (with the proof of work): a new guest's pass. */
    async register(input: S.RegistrationInput, link: S.Link): Promise<S.Pass> {
      const g = check(S.Registration, input);
      const l = check(S.Link, link);
      const proof = await takeProof();
      return parseAnswer(S.Pass, await rpc("register_and_create_guest_v2", {
        p_phone: g.phone, p_first_name: g.firstName, p_last_name: g.lastName, p_email: g.email, p_password: g.password,
        ...linkArgs(l), ...proof,
      }));
    },
    /** join_event_with_session: a guest with a remembered session joins another night, no password. */
    async joinWithSession(sessionToken: string, link: S.Link): Promise<S.Pass> {
      const args = { p_session_token: check(S.SessionToken, sessionToken), ...linkArgs(check(S.Link, link)) };
      return parseAnswer(S.Pass, await rpc("join_event_with_session", args));
    },
    /** check_in_guest, directly (staff). The door uses checkInAtDoor (the edge function). */
    async checkInGuest(eventId: string, qrToken: string, nonce: string): Promise<S.CheckIn> {
      const args = { p_event_id: check(S.Uuid, eventId), p_qr_token: check(S.QrToken, qrToken), p_nonce: check(S.Nonce, nonce) };
      return parseAnswer(S.CheckIn, await rpc("check_in_guest", args));
    },
    /** Edge function door-checkin: one scan, idempotent per nonce (send the same nonce to retry). */
    async checkInAtDoor(eventId: string, qrToken: string, nonce: string): Promise<S.CheckIn> {
      const body = { event_id: check(S.Uuid, eventId), qr_token: check(S.QrToken, qrToken), nonce: check(S.Nonce, nonce) };
      return parseAnswer(S.CheckIn, await invoke("door-checkin", body));
    },
    /** event_dashboard: the night at a glance (members of the event's organization). */
    async eventDashboard(eventId: string): Promise<S.Dashboard> {
      return parseAnswer(S.Dashboard, await rpc("event_dashboard", { p_event_id: check(S.Uuid, eventId) }));
    },
    /** my_events: the events of the signed-in user's organizations, newest first. */
    async myEvents(): Promise<S.MyEvent[]> {
      return parseAnswer(S.MyEvents, await rpc("my_events", {}));
    },
    /** authorize_event_broadcast: whether the caller may announce to the event (owner/admin). */
    async authorizeEventBroadcast(eventId: string): Promise<{ topic: string }> {
      const data = await rpc("authorize_event_broadcast", { p_event_id: check(S.Uuid, eventId) });
      return data as { topic: string };
    },
    /** Edge function event-broadcast: an announcement to the door team. */
    async announce(eventId: string, kind: "closing_soon" | "capacity_reached" | "message", message: string): Promise<unknown> {
      return await invoke("event-broadcast", { event_id: check(S.Uuid, eventId), kind, message });
    },
  };
}

export type Api = ReturnType<typeof createApi>;

/** A fresh random nonce for one scan (128 bits, URL-safe). */
export function newNonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
