// The guest page's API client: typed calls to the guest RPCs over supabase-js, retrying what
// client/retry.ts says is retryable (the server's `busy` line, platform overload, network
// failures). Every other error is thrown as a GuestlistError carrying the database's stable
// code (`message`) and its sentences for people (`details`, `hint`).
import type { SupabaseClient } from "@supabase/supabase-js";
import { type Challenge, solveChallenge } from "./pow.ts";
import { retryDelay } from "./retry.ts";

export type Pass = {
  guest_id: string;
  qr_token: string;
  client_user_id: string;
  first_name: string;
  already_registered: boolean;
  session_token: string;
  session_expires_at: string;
};

export type LinkCard = {
  event: { id: string; slug: string; name: string; venue: string | null; starts_at: string; ends_at: string;
    guest_list_closes_at: string; is_open: boolean };
  promoter: { id: string; slug: string; display_name: string };
  team: { id: string; name: string } | null;
};

export type NewGuest = { phone: string; firstName: string; lastName: string; email: string; password: string };

export type Link = { eventId: string; promoterId: string; teamId: string | null };

export class GuestlistError extends Error {
  constructor(readonly code: string, readonly status: number, readonly details: string | null, readonly hint: string | null) {
    super(details ?? code);
  }
}

/** maxWaitMs: how long to keep retrying before giving up (a guest sees "busy" meanwhile). */
export type Options = { maxWaitMs?: number; sleep?: (ms: number) => Promise<void> };

export function guestlist(supabase: SupabaseClient, options: Options = {}) {
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function call<T>(fn: string, args: Record<string, unknown>): Promise<T> {
    const giveUpAt = Date.now() + maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      const { data, error, status } = await supabase.rpc(fn, args);
      if (!error) return data as T;
      const delay = retryDelay({ status, body: error as unknown as Record<string, unknown> }, attempt);
      if (delay !== null && Date.now() < giveUpAt) {
        await sleep(delay);
        continue;
      }
      throw new GuestlistError(error.message, status, error.details || null, error.hint || null);
    }
  }

  const link = (l: Link) => ({ p_event_id: l.eventId, p_promoter_id: l.promoterId, p_team_id: l.teamId });
  const registerWithProof = (g: NewGuest, l: Link, proof: string) =>
    call<Pass>("register_and_create_guest_v2", {
      p_phone: g.phone, p_first_name: g.firstName, p_last_name: g.lastName, p_email: g.email, p_password: g.password,
      ...link(l), p_proof: proof,
    });

  return {
    resolveLink: (promoterSlug: string, eventSlug: string) =>
      call<LinkCard>("resolve_promoter_link", { p_promoter_slug: promoterSlug, p_event_slug: eventSlug }),
    checkPhone: (phone: string) => call<{ exists: boolean; phone: string }>("check_phone_with_cache", { p_phone: phone }),
    logIn: (phone: string, password: string, l: Link) =>
      call<Pass>("authenticate_and_create_guest_v2", { p_phone: phone, p_password: password, ...link(l) }),
    /** Registers with a fresh proof of work (client/pow.ts); retries repeat the same proof. */
    register: async (g: NewGuest, l: Link) =>
      registerWithProof(g, l, await solveChallenge(await call<Challenge>("registration_challenge", {}))),
    /** Registers with a proof already solved (a page may solve it while the guest types). */
    registerWithProof,
    joinWithSession: (sessionToken: string, l: Link) =>
      call<Pass>("join_event_with_session", { p_session_token: sessionToken, ...link(l) }),
  };
}
