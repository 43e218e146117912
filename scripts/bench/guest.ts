// One guest, speaking HTTP as the guest page does: open the link (GET resolve_promoter_link),
// type a phone (check_phone_with_cache, which gives a returning guest's salt), then log in
// (returning: the phone's bcrypt of the password with that salt) or register (new: a
// registration_challenge solved by the phone, and the phone's bcrypt with a new salt), retrying
// exactly what client/retry.ts says is retryable. A returning guest may then join a second night
// with the session token (join_event_with_session, no password). The seed's k6 loop is the same
// calls without the link, the typing and the retries (k6Iteration). The phones' slow steps are
// phone.ts's.
import { retryDelay } from "../../client/retry.ts";
import { type Call, now, request, sleep, THINK } from "./lib.ts";
import { hashPassword, NEW_SALT, solveProof } from "./phone.ts";

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

/**
 * What the phone sends as `p_password`: bcrypt of the password with the account's salt (from
 * check_phone_with_cache) or the run's new salt. A database from before the relief gives no salt
 * and takes the password itself.
 */
async function sentPassword(password: string, check: Record<string, unknown> | null, exists: boolean): Promise<string> {
  if (!check || !("salt" in check)) return password;
  return await hashPassword(password, exists ? String(check.salt) : NEW_SALT);
}

/** Calls until a final answer, honouring the one retry rule (unless `retry` is false); stops waiting only at `deadline` (unfinished). */
async function call(calls: Call[], t0: number, g: Guest, step: string, path: string, body: unknown, deadline: number,
  method = "POST", retry = true) {
  for (let attempt = 0; ; attempt++) {
    const r = await request(calls, t0, step, path, { method, body });
    if (r.status >= 200 && r.status < 300) return { ok: true as const, body: r.body };
    const failure = { status: r.status, body: r.body };
    const delay = retry ? retryDelay(failure, attempt) : null;
    if (delay === null) return { ok: false as const, status: r.status, code: String(r.body?.message ?? r.body?.code ?? r.status) };
    if (now() + delay > deadline) return { ok: false as const, status: -1, code: "unfinished" };
    g.retries++;
    await sleep(delay);
  }
}

const end = (g: Guest, outcome: Guest["outcome"], code: string | null) => {
  g.outcome = outcome;
  g.code = code;
};
const failed = (g: Guest, r: { code: string }) => end(g, r.code === "unfinished" ? "unfinished" : "final", r.code);

/**
 * Check phone, then log in or register: the part of every flow that reaches the password
 * functions. `think(lo, hi)` is the typing before the password call; `retry` false for the k6 loop.
 */
async function checkThenPass(calls: Call[], t0: number, g: Guest, link: Link, deadline: number,
  think: (lo: number, hi: number) => Promise<void>, retry: boolean) {
  const check = await call(calls, t0, g, "check_phone", "/rest/v1/rpc/check_phone_with_cache", { p_phone: g.phone }, deadline,
    "POST", retry);
  if (!check.ok) return failed(g, check);
  const exists = Boolean(check.body?.exists);
  const ids = { p_event_id: link.eventId, p_promoter_id: link.promoterId, p_team_id: link.teamId };
  let answer;
  if (exists) {
    const [password] = await Promise.all([sentPassword(g.password, check.body, true), think(2, 4)]); // typing the password
    g.passwordFirst = now() - t0;
    answer = await call(calls, t0, g, "login", "/rest/v1/rpc/authenticate_and_create_guest_v2",
      { p_phone: g.phone, p_password: password, ...ids }, deadline, "POST", retry);
  } else {
    // As the page: fetch a challenge and solve it while the guest types name, email and password.
    const c = await call(calls, t0, g, "challenge", "/rest/v1/rpc/registration_challenge", {}, deadline, "POST", retry);
    if (!c.ok && c.status !== 404) return failed(g, c);
    const [proof, password] = await Promise.all([
      c.ok ? solveProof(c.body as { challenge: string; difficulty: number }) : Promise.resolve(null),
      sentPassword(g.password, check.body, false), think(4, 8),
    ]);
    const args: Record<string, unknown> = {
      p_phone: g.phone, p_first_name: "Bea", p_last_name: "Bench", p_email: `g${g.index}@bench.example`, p_password: password, ...ids,
    };
    if (proof) args.p_proof = proof;
    g.passwordFirst = now() - t0;
    answer = await call(calls, t0, g, "register", "/rest/v1/rpc/register_and_create_guest_v2", args, deadline, "POST", retry);
  }
  if (!answer.ok) return failed(g, answer);
  g.served = now() - t0;
  g.qr = String(answer.body?.qr_token);
  g.guestId = String(answer.body?.guest_id);
  g.session = String(answer.body?.session_token);
  end(g, "pass", null);
}

/**
 * The whole page flow for one guest on `link`: open the link, then check phone and log in or
 * register; `think` multiplies the typing times (0: every step at once). `deadline` (ms,
 * performance.now) bounds the run.
 */
export async function guestFlow(calls: Call[], t0: number, g: Guest, link: Link, deadline: number, think = THINK) {
  const typing = (lo: number, hi: number) => sleep((lo + Math.random() * (hi - lo)) * 1000 * think);
  g.opened = now() - t0;
  const card = await call(calls, t0, g, "resolve",
    `/rest/v1/rpc/resolve_promoter_link?p_promoter_slug=${link.promoterSlug}&p_event_slug=${link.eventSlug}`, undefined, deadline, "GET");
  if (!card.ok) return failed(g, card);
  await typing(1, 3); // typing the phone number
  await checkThenPass(calls, t0, g, link, deadline, typing, true);
}

/**
 * One iteration of the seed's k6 loop: check phone, then log in or register (a registration now
 * takes its challenge first), no retries: any non-2xx is a failure and the loop goes on. The
 * caller sleeps 1 s after it.
 */
export async function k6Iteration(calls: Call[], t0: number, g: Guest, link: Link, deadline: number) {
  g.opened = now() - t0;
  await checkThenPass(calls, t0, g, link, deadline, () => Promise.resolve(), false);
}

/** A returning guest joins another night with the session from the first (no password). */
export async function joinFlow(calls: Call[], t0: number, g: Guest, link: Link, deadline: number) {
  g.opened = now() - t0;
  const card = await call(calls, t0, g, "resolve",
    `/rest/v1/rpc/resolve_promoter_link?p_promoter_slug=${link.promoterSlug}&p_event_slug=${link.eventSlug}`, undefined, deadline, "GET");
  if (!card.ok) return failed(g, card);
  await sleep((0.5 + Math.random()) * 1000 * THINK); // one tap: "join with my account"
  const answer = await call(calls, t0, g, "join", "/rest/v1/rpc/join_event_with_session",
    { p_session_token: g.session, p_event_id: link.eventId, p_promoter_id: link.promoterId, p_team_id: link.teamId }, deadline);
  if (!answer.ok) return failed(g, answer);
  Object.assign(g, { served: now() - t0, qr: String(answer.body?.qr_token), guestId: String(answer.body?.guest_id), outcome: "pass", code: null });
}
