// One guest, speaking HTTP as the guest page does: open the link (GET resolve_promoter_link,
// cacheable), type a phone (check_phone_with_cache), then log in (returning) or register (new,
// with the registration proof of work when the database asks for one), retrying exactly what
// client/retry.ts says is retryable. A returning guest may then join a second night with the
// session token (join_event_with_session, no password).
import { createHash } from "node:crypto";
import { queueInfo, retryDelay } from "../../client/retry.ts";
import { type Call, now, request, sleep, THINK } from "./lib.ts";

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
  passwordRetries: number;
  /** the last position the line gave (null when the answer had none) */
  position?: number | null;
};

export const PASSWORD = "Bench-2026x";
const uniform = (lo: number, hi: number) => (lo + Math.random() * (hi - lo)) * 1000 * THINK;

// The registration's proof of work (client/pow.ts), when this database asks for one. Each phone
// solves its own with WebCrypto; here thousands of guests share one process, so they hash with
// node:crypto's synchronous SHA-256 (same scheme, same proof): thousands of WebCrypto operations
// in flight at once made this process the bottleneck of a full-scale run (a gigabyte of heap,
// minutes of CPU), and the guests it stalled came back late to the line.
type Pow = typeof import("../../client/pow.ts");
const pow: Pow | null = await import("../../client/pow.ts").catch(() => null);
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest();

/** Calls until a final answer, honouring the one retry rule; stops waiting only at `deadline` (unfinished). */
async function call(calls: Call[], t0: number, g: Guest, step: string, path: string, body: unknown, deadline: number,
  method = "POST", token?: string) {
  for (let attempt = 0; ; attempt++) {
    const r = await request(calls, t0, step, path, { method, body, token });
    if (r.status >= 200 && r.status < 300) return { ok: true as const, body: r.body };
    const failure = { status: r.status, body: r.body };
    const delay = retryDelay(failure, attempt);
    if (delay === null) return { ok: false as const, status: r.status, code: String(r.body?.message ?? r.body?.code ?? r.status) };
    if (now() + delay > deadline) return { ok: false as const, status: -1, code: "unfinished" };
    const q = queueInfo(failure);
    if (q) g.position = q.position;
    g.retries++;
    if (step === "register" || step === "login") g.passwordRetries++;
    await sleep(delay);
  }
}

/** The whole flow for one guest on `link`; `deadline` (ms, performance.now) bounds the run. */
export async function guestFlow(calls: Call[], t0: number, g: Guest, link: Link, deadline: number) {
  g.opened = now() - t0;
  const end = (outcome: Guest["outcome"], code: string | null) => {
    g.outcome = outcome;
    g.code = code;
  };
  const card = await call(calls, t0, g, "resolve",
    `/rest/v1/rpc/resolve_promoter_link?p_promoter_slug=${link.promoterSlug}&p_event_slug=${link.eventSlug}`, undefined, deadline, "GET");
  if (!card.ok) return end(card.code === "unfinished" ? "unfinished" : "final", card.code);
  await sleep(uniform(1, 3)); // typing the phone number
  const check = await call(calls, t0, g, "check_phone", "/rest/v1/rpc/check_phone_with_cache", { p_phone: g.phone }, deadline);
  if (!check.ok) return end(check.code === "unfinished" ? "unfinished" : "final", check.code);
  const exists = Boolean(check.body?.exists);
  const ids = { p_event_id: link.eventId, p_promoter_id: link.promoterId, p_team_id: link.teamId };
  let answer;
  if (exists) {
    await sleep(uniform(2, 4)); // typing the password
    g.passwordFirst = now() - t0;
    answer = await call(calls, t0, g, "login", "/rest/v1/rpc/authenticate_and_create_guest_v2",
      { p_phone: g.phone, p_password: g.password, ...ids }, deadline);
  } else {
    // As the page: fetch a challenge and solve it while the guest types name, email and password.
    const proof = pow ? challenge(calls, t0, g, deadline) : Promise.resolve(null);
    await sleep(uniform(4, 8));
    const p = await proof;
    if (p && "final" in p) return end(p.final === "unfinished" ? "unfinished" : "final", p.final);
    const args: Record<string, unknown> = {
      p_phone: g.phone, p_first_name: "Bea", p_last_name: "Bench", p_email: `g${g.index}@bench.example`, p_password: g.password, ...ids,
    };
    if (p) args.p_proof = p.proof;
    g.passwordFirst = now() - t0;
    answer = await call(calls, t0, g, "register", "/rest/v1/rpc/register_and_create_guest_v2", args, deadline);
  }
  if (!answer.ok) return end(answer.code === "unfinished" ? "unfinished" : "final", answer.code);
  g.served = now() - t0;
  g.qr = String(answer.body?.qr_token);
  g.guestId = String(answer.body?.guest_id);
  g.session = String(answer.body?.session_token);
  end("pass", null);
}

/** registration_challenge, solved; null when the database has no proof of work. */
async function challenge(calls: Call[], t0: number, g: Guest, deadline: number): Promise<{ proof: string } | { final: string } | null> {
  const c = await call(calls, t0, g, "challenge", "/rest/v1/rpc/registration_challenge", {}, deadline);
  if (!c.ok) return c.status === 404 ? null : { final: c.code };
  return { proof: await pow!.solveChallenge(c.body as { challenge: string; difficulty: number }, { digest: sha256 }) };
}

/** A returning guest joins another night with the session from the first (no password). */
export async function joinFlow(calls: Call[], t0: number, g: Guest, link: Link, deadline: number) {
  g.opened = now() - t0;
  const card = await call(calls, t0, g, "resolve",
    `/rest/v1/rpc/resolve_promoter_link?p_promoter_slug=${link.promoterSlug}&p_event_slug=${link.eventSlug}`, undefined, deadline, "GET");
  if (!card.ok) return Object.assign(g, { outcome: card.code === "unfinished" ? "unfinished" : "final", code: card.code });
  await sleep(uniform(0.5, 1.5)); // one tap: "join with my account" (no password: no line figures)
  const answer = await call(calls, t0, g, "join", "/rest/v1/rpc/join_event_with_session",
    { p_session_token: g.session, p_event_id: link.eventId, p_promoter_id: link.promoterId, p_team_id: link.teamId }, deadline);
  if (!answer.ok) return Object.assign(g, { outcome: answer.code === "unfinished" ? "unfinished" : "final", code: answer.code });
  Object.assign(g, { served: now() - t0, qr: String(answer.body?.qr_token), guestId: String(answer.body?.guest_id), outcome: "pass", code: null });
}
