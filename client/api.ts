// The one typed client of the public API over supabase-js, for every page: one function per
// guest and staff RPC and edge function, and `call`/`invoke` for the management pages' functions
// (docs/manage.md), all typed by the generated `Database` (client/database.types.ts) and sent
// through one retry rule (client/retry.ts): overload and network failures are repeated
// (reporting the wait through `onWait`), nothing else. Guest inputs are checked with the zod
// schemas of client/schemas.ts before they leave the device, answers are parsed with them, and
// every failure is an ApiError with the stable code.
//
// The phone's two slow steps are options, so that a benchmark can model phones: `hashPassword`
// (bcrypt of the password with the account's salt, client/bcrypt.ts: a Web Worker in a browser)
// and `solveProof` (the registration's proof of work, client/pow.ts: WebCrypto).
import type { SupabaseClient } from "@supabase/supabase-js";
import type { z } from "zod";
import type { Answer, FunctionAnswers } from "./answers.ts";
import { defaultHashPassword, type HashPassword, newSalt } from "./bcrypt.ts";
import type { Database } from "./database.types.ts";
import { ApiError, fromBody } from "./errors.ts";
import { type Challenge, solveChallenge } from "./pow.ts";
import { type Failure, type QueueInfo, queueInfo, retryDelay } from "./retry.ts";
import * as S from "./schemas.ts";

export type { HashPassword } from "./bcrypt.ts";
/** Solves a registration_challenge (client/pow.ts): the text sent as `p_proof`. */
export type SolveProof = (challenge: Challenge, signal?: AbortSignal) => Promise<string>;

export type Options = {
  /** Told before each wait for a retry: the server's position/wait, or null for a plain back-off. */
  onWait?: (info: QueueInfo | null, delayMs: number) => void;
  /** Told when the phone starts (true) and ends (false) its bcrypt, so a page can show it. */
  onHashing?: (hashing: boolean) => void;
  /** Cancels the retries (the call then fails with the last error). */
  signal?: AbortSignal;
  /** Narrows the retry rule: false stops retrying this failure (the door queues instead). */
  retry?: (failure: Failure, attempt: number) => boolean;
  sleep?: (ms: number) => Promise<void>;
  /** bcrypt(password, salt); default: a Web Worker in a browser, this thread elsewhere. */
  hashPassword?: HashPassword;
  /** The registration's proof of work; default: client/pow.ts over WebCrypto. */
  solveProof?: SolveProof;
};

type Functions = Database["public"]["Functions"];
/** The name of a public database function. */
export type Fn = keyof Functions;
/**
 * Its arguments, as the generated types name them; any may be null (JSON null is SQL NULL, and
 * the generator does not say which arguments the function accepts as null: the function checks).
 */
export type Args<F extends Fn> = { [K in keyof Functions[F]["Args"]]: Functions[F]["Args"][K] | null };
/** The client's database type. */
export type Client = SupabaseClient<Database>;
type Sent = { status: number; body: Record<string, unknown> | null; data?: unknown };

/** The ApiError for a failed parse: every issue at once, the first as `code` and `field`. */
function invalid(error: z.ZodError): ApiError {
  const issues = error.issues.map((i) => ({
    field: i.path.map(String).join(".") || null,
    code: /^[a-z_]+$/.test(i.message) ? i.message : "unexpected",
  }));
  return new ApiError(issues[0].code, 400, null, null, issues[0].field, issues);
}

/** Validates an input with a schema; a failure is an ApiError with the server's code. */
export function check<T extends z.ZodType>(schema: T, value: unknown): z.output<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw invalid(r.error);
}

/** check, for a schema with an asynchronous rule (a new password: the common list loads lazily). */
export async function checkAsync<T extends z.ZodType>(schema: T, value: unknown): Promise<z.output<T>> {
  const r = await schema.safeParseAsync(value);
  if (r.success) return r.data;
  throw invalid(r.error);
}

function parseAnswer<T extends z.ZodType>(schema: T, data: unknown): z.output<T> {
  const r = schema.safeParse(data);
  if (!r.success) throw new ApiError("unexpected", 200, `Unexpected answer: ${r.error.issues[0]?.message}`);
  return r.data;
}

/** The body and status of a failed edge-function call (supabase-js FunctionsHttpError etc.). */
async function functionFailure(error: unknown): Promise<Sent> {
  const ctx = (error as { context?: unknown }).context;
  if (ctx instanceof Response) {
    let body: Record<string, unknown> | null = null;
    try { body = await ctx.clone().json(); } catch { /* not JSON */ }
    return { status: ctx.status, body };
  }
  return { status: 0, body: { message: String((error as Error)?.message ?? error) } };
}

const webCryptoProof: SolveProof = (c, signal) => solveChallenge(c, { signal });

export function createApi(supabase: Client, options: Options = {}) {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const hashPassword = options.hashPassword ?? defaultHashPassword;
  const solveProof = options.solveProof ?? webCryptoProof;

  async function withRetry(send: () => Promise<Sent>): Promise<unknown> {
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

  /** A database function through the retry rule; its answer as sent (jsonb → JSON). */
  const rpc = <F extends Fn>(fn: F, args: Args<F>, get = false): Promise<unknown> =>
    withRetry(async () => {
      // supabase-js types .rpc() per function name; the names and arguments are checked above.
      const send = supabase.rpc as unknown as (f: string, a: unknown, o?: { get: true }) => PromiseLike<{ data: unknown; error: unknown; status: number }>;
      const { data, error, status } = await send.call(supabase, fn, args, get ? { get: true } : undefined);
      return error ? { status, body: error as Record<string, unknown> } : { status, body: null, data };
    });

  /** An edge function through the retry rule. */
  const invoke = (fn: string, body: Record<string, unknown>): Promise<unknown> =>
    withRetry(async () => {
      const { data, error } = await supabase.functions.invoke(fn, { body });
      return error ? await functionFailure(error) : { status: 200, body: null, data };
    });

  /** The phone's bcrypt, reported to the page while it runs. */
  async function hash(password: string, salt: string): Promise<string> {
    options.onHashing?.(true);
    try { return await hashPassword(password, salt); } finally { options.onHashing?.(false); }
  }

  // The registration's proof of work, started ahead (when the form shows) and used once.
  const newProof = async () => ({ p_proof: await solveProof((await rpc("registration_challenge", {})) as Challenge, options.signal) });
  let proof: Promise<{ p_proof: string }> | null = null;
  const takeProof = () => {
    const p = proof ?? newProof();
    proof = null;
    return p;
  };

  const linkArgs = (l: S.Link) => ({ p_event_id: l.eventId, p_promoter_id: l.promoterId, p_team_id: l.teamId });
  /** The date of birth a night with a minimum age asked for (`birth_date_needed`); no key without one. */
  const birthArg = (d?: string) => (d ? { p_birth_date: d } : {});

  const api = {
    /** resolve_promoter_link: the event and promoter card of a guest link, or `event_not_found`. */
    async resolvePromoterLink(promoterSlug: string, eventSlug: string): Promise<S.LinkCard> {
      const args = { p_promoter_slug: check(S.Slug, promoterSlug), p_event_slug: check(S.Slug, eventSlug) };
      return parseAnswer(S.LinkCard, await rpc("resolve_promoter_link", args, true));
    },
    /** check_phone_with_cache: whether the number has an account, its E.164 form and its bcrypt salt. */
    async checkPhone(phone: string): Promise<S.PhoneCheck> {
      return parseAnswer(S.PhoneCheck, await rpc("check_phone_with_cache", { p_phone: check(S.Phone, phone) }));
    },
    /**
     * authenticate_and_create_guest_v2: a returning guest's pass for the link's event. The phone
     * sends bcrypt(password, salt) with the salt checkPhone gave (asked here when not given); a
     * number with no account gets a random salt, and the server's `invalid_credentials`.
     * `birthDate` (YYYY-MM-DD) answers `birth_date_needed` (a night with a minimum age, an account
     * with no date of birth).
     */
    async authenticate(phone: string, password: string, link: S.Link, salt?: string | null, birthDate?: string): Promise<S.Pass> {
      const p = check(S.Phone, phone);
      const pw = check(S.Password, password);
      const l = check(S.Link, link);
      const s = salt === undefined ? (await api.checkPhone(p)).salt : salt;
      const args = { p_phone: p, p_password: await hash(pw, s ?? newSalt()), ...linkArgs(l), ...birthArg(birthDate) };
      return parseAnswer(S.Pass, await rpc("authenticate_and_create_guest_v2", args));
    },
    /** Starts the registration's proof of work early, so that registering does not wait for it. */
    prepareRegistration(): void {
      proof ??= newProof();
      proof.catch(() => (proof = null));
    },
    /**
     * register_and_create_guest_v2 (with the proof of work): a new guest's pass, with the answers
     * to the night's questions (`birthDate`, `gender`, `city`) when it asks them. The password is
     * hashed once per call with a new random salt; a retry of the call sends the same string,
     * which the database answers with the same pass.
     */
    async register(input: S.RegistrationInput, link: S.Link): Promise<S.Pass> {
      const g = await checkAsync(S.Registration, input);
      const l = check(S.Link, link);
      const [password, p] = await Promise.all([hash(g.password, newSalt()), takeProof()]);
      return parseAnswer(S.Pass, await rpc("register_and_create_guest_v2", {
        p_phone: g.phone, p_first_name: g.firstName, p_last_name: g.lastName, p_email: g.email, p_password: password,
        ...linkArgs(l), ...p, p_birth_date: g.birthDate ?? null, p_gender: g.gender ?? null, p_city: g.city ?? null,
      }));
    },
    /** link_questions: what the night asks new guests besides their names. */
    async linkQuestions(eventId: string): Promise<S.Questions> {
      return parseAnswer(S.Questions, await rpc("link_questions", { p_event_id: check(S.Uuid, eventId) }, true));
    },
    /**
     * join_event_with_session: a guest with a remembered session joins another night, no password
     * (`birthDate` as for authenticate).
     */
    async joinWithSession(sessionToken: string, link: S.Link, birthDate?: string): Promise<S.Pass> {
      const args = { p_session_token: check(S.SessionToken, sessionToken), ...linkArgs(check(S.Link, link)), ...birthArg(birthDate) };
      return parseAnswer(S.Pass, await rpc("join_event_with_session", args));
    },
    /** reset_guest_password: the new password (the rules of NewPassword), hashed with a new salt. */
    async resetGuestPassword(token: string, password: string): Promise<void> {
      const pw = await checkAsync(S.NewPassword, password);
      await rpc("reset_guest_password", { p_token: check(S.SessionToken, token), p_password: await hash(pw, newSalt()) });
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
    /**
     * Any other public function (the management, promoter and guest-data pages, docs/manage.md),
     * by its generated name and arguments; the answer has the shape client/answers.ts gives it.
     */
    call<F extends Fn>(fn: F, ...args: {} extends Args<F> ? [args?: Args<F>] : [args: Args<F>]): Promise<Answer<F>> {
      return rpc(fn, (args[0] ?? {}) as Args<F>) as Promise<Answer<F>>;
    },
    /** Any other edge function the pages call (invite-member, guest-password-reset, guest-pass-email). */
    invoke<F extends keyof FunctionAnswers>(fn: F, body: Record<string, unknown>): Promise<FunctionAnswers[F]> {
      return invoke(fn, body) as Promise<FunctionAnswers[F]>;
    },
  };
  return api;
}

export type Api = ReturnType<typeof createApi>;

/** A fresh random nonce for one scan (128 bits, URL-safe). */
export function newNonce(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
