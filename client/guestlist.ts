// The guest page's API client: typed calls to the guest RPCs over supabase-js, with the one
// behaviour the database asks of clients: when it answers 503 (`busy`: every bcrypt slot is in
// use, or no connection is free) try again after a jittered pause, so a burst of registrations
// is spread out instead of lost. Every other error is thrown as a GuestlistError carrying the
// database's stable code (`message`) and its sentences for people (`details`, `hint`).
import type { SupabaseClient } from "@supabase/supabase-js";

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

export type Link = { eventId: string; promoterId: string; teamId: string | null };

export class GuestlistError extends Error {
  constructor(readonly code: string, readonly status: number, readonly details: string | null, readonly hint: string | null) {
    super(details ?? code);
  }
}

/** maxWaitMs: how long to keep retrying 503s before giving up (a guest sees "busy" meanwhile). */
export type Options = { maxWaitMs?: number; sleep?: (ms: number) => Promise<void> };

/** Pause before retry `attempt` (0-based): 250 ms doubling to 2 s, times a random 0.5–1.5. */
export function backoff(attempt: number, random = Math.random): number {
  return Math.round(Math.min(2000, 250 * 2 ** attempt) * (0.5 + random()));
}

export function guestlist(supabase: SupabaseClient, options: Options = {}) {
  const maxWaitMs = options.maxWaitMs ?? 60_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));

  async function call<T>(fn: string, args: Record<string, unknown>): Promise<T> {
    const giveUpAt = Date.now() + maxWaitMs;
    for (let attempt = 0; ; attempt++) {
      const { data, error, status } = await supabase.rpc(fn, args);
      if (!error) return data as T;
      if (status === 503 && Date.now() < giveUpAt) {
        await sleep(backoff(attempt));
        continue;
      }
      throw new GuestlistError(error.message, status, error.details || null, error.hint || null);
    }
  }

  const link = (l: Link) => ({ p_event_id: l.eventId, p_promoter_id: l.promoterId, p_team_id: l.teamId });

  return {
    resolveLink: (promoterSlug: string, eventSlug: string) =>
      call<LinkCard>("resolve_promoter_link", { p_promoter_slug: promoterSlug, p_event_slug: eventSlug }),
    checkPhone: (phone: string) => call<{ exists: boolean; phone: string }>("check_phone_with_cache", { p_phone: phone }),
    logIn: (phone: string, password: string, l: Link) =>
      call<Pass>("authenticate_and_create_guest_v2", { p_phone: phone, p_password: password, ...link(l) }),
    register: (g: { phone: string; firstName: string; lastName: string; email: string; password: string }, l: Link) =>
      call<Pass>("register_and_create_guest_v2", {
        p_phone: g.phone, p_first_name: g.firstName, p_last_name: g.lastName, p_email: g.email, p_password: g.password,
        ...link(l),
      }),
    joinWithSession: (sessionToken: string, l: Link) =>
      call<Pass>("join_event_with_session", { p_session_token: sessionToken, ...link(l) }),
  };
}
