// Live updates of one event for organisers and door staff: the private Realtime channel
// `event:<id>` (members of the event's organization only, decided by RLS in the database).
// After every (re)connect the dashboard is fetched again, so broadcasts missed while the
// socket was down never leave a stale screen; between fetches, messages update it in place.
import type { RealtimeChannel } from "@supabase/supabase-js";
import type { Api, Client } from "./api.ts";
import { ApiError } from "./errors.ts";
import * as S from "./schemas.ts";

export type ConnectionState = "connecting" | "live" | "offline";

export type EventHandlers = {
  /** A fresh dashboard: after each (re)connect, and after each message applied to it. */
  onDashboard?: (d: S.Dashboard) => void;
  onRegistered?: (m: S.GuestMessage) => void;
  onCheckedIn?: (m: S.GuestMessage) => void;
  onAnnouncement?: (a: S.Announcement) => void;
  onState?: (s: ConnectionState) => void;
  onError?: (e: ApiError) => void;
};

const SLOT_MS = 15 * 60 * 1000;
/** The start of the 15-minute slot of `at`, aligned on the event's start (as date_bin does). */
export function slotOf(at: string, origin: string): string {
  const o = Date.parse(origin);
  const t = Date.parse(at);
  return new Date(o + Math.floor((t - o) / SLOT_MS) * SLOT_MS).toISOString();
}

function bump<T extends { slot: string }>(rows: T[], slot: string, key: keyof T): T[] {
  const same = (r: T) => Date.parse(r.slot) === Date.parse(slot);
  const out = rows.some(same)
    ? rows.map((r) => (same(r) ? { ...r, [key]: (r[key] as number) + 1 } : r))
    : [...rows, { slot, [key]: 1 } as unknown as T];
  return out.sort((a, b) => Date.parse(a.slot) - Date.parse(b.slot));
}

/** The dashboard after one guest message (pure; totals come from the message itself). */
export function applyMessage(d: S.Dashboard, kind: "guest_registered" | "guest_checked_in", m: S.GuestMessage): S.Dashboard {
  // A pass that holds no place (waiting, pending, revoked) counts nowhere: only the totals move.
  if (m.status === "waiting" || m.status === "pending" || m.status === "revoked") return { ...d, totals: m.totals };
  const arrived = kind === "guest_checked_in";
  const field = arrived ? "checked_in" : "registered";
  const inc = <T extends { registered: number; checked_in: number }>(row: T) => ({ ...row, [field]: row[field] + 1 });
  const next: S.Dashboard = {
    ...d,
    totals: m.totals,
    by_promoter: d.by_promoter.map((p) => (p.promoter_id === m.promoter.id ? inc(p) : p)),
    by_team: d.by_team.map((t) => (m.team && t.team_id === m.team.id ? inc(t) : t)),
  };
  if (arrived && m.checked_in_at) {
    next.arrivals_per_15_min = bump(d.arrivals_per_15_min, slotOf(m.checked_in_at, d.event.starts_at), "arrivals");
    next.latest_arrivals = [{
      guest_id: m.guest_id, first_name: m.first_name, last_initial: m.last_initial, promoter: m.promoter.display_name,
      checked_in_at: m.checked_in_at,
    }, ...d.latest_arrivals.filter((a) => a.guest_id !== m.guest_id)].slice(0, 20);
  } else {
    next.registrations_per_15_min = bump(d.registrations_per_15_min, slotOf(m.registered_at, d.event.starts_at), "registrations");
  }
  return next;
}

/**
 * Subscribes to the event's private channel. Call after signing in. Returns `unsubscribe`.
 * realtime-js rejoins by itself after a dropped socket (the channel reports CHANNEL_ERROR, then
 * SUBSCRIBED again); each successful join refetches.
 */
export function subscribeToEvent(supabase: Client, api: Api, eventId: string, handlers: EventHandlers): () => Promise<void> {
  let dashboard: S.Dashboard | null = null;
  let generation = 0;
  let closed = false;
  const state = (s: ConnectionState) => !closed && handlers.onState?.(s);
  const fail = (e: unknown) => handlers.onError?.(e instanceof ApiError ? e : new ApiError("unexpected", 0, String(e)));

  async function refetch() {
    const mine = ++generation;
    try {
      const d = await api.eventDashboard(eventId);
      if (mine !== generation || closed) return; // a newer fetch or a message's fetch won
      dashboard = d;
      handlers.onDashboard?.(d);
    } catch (e) {
      fail(e);
    }
  }

  const onGuest = (kind: "guest_registered" | "guest_checked_in") => ({ payload }: { payload: unknown }) => {
    const r = S.GuestMessage.safeParse(payload);
    if (!r.success) return;
    if (kind === "guest_registered") handlers.onRegistered?.(r.data);
    else handlers.onCheckedIn?.(r.data);
    if (dashboard) {
      generation++; // a fetch still under way started before this message: its answer is stale
      dashboard = applyMessage(dashboard, kind, r.data);
      handlers.onDashboard?.(dashboard);
      if (kind === "guest_registered" && !dashboard.by_promoter.some((p) => p.promoter_id === r.data.promoter.id)) void refetch();
    } else {
      void refetch();
    }
  };

  state("connecting");
  let channel: RealtimeChannel | null = null;
  const start = async () => {
    await supabase.realtime.setAuth();
    if (closed) return;
    channel = supabase.channel(`event:${eventId}`, { config: { private: true } })
      .on("broadcast", { event: "guest_registered" }, onGuest("guest_registered"))
      .on("broadcast", { event: "guest_checked_in" }, onGuest("guest_checked_in"))
      // A pass promoted from the waiting list, approved, refused or revoked: the counts change.
      .on("broadcast", { event: "guest_status" }, () => void refetch())
      .on("broadcast", { event: "guest_revoked" }, () => void refetch())
      .on("broadcast", { event: "announcement" }, ({ payload }) => {
        const r = S.Announcement.safeParse(payload);
        if (r.success) handlers.onAnnouncement?.(r.data);
      })
      .subscribe((status, err) => {
        if (status === "SUBSCRIBED") {
          state("live");
          void refetch();
        } else if (status === "CHANNEL_ERROR" || status === "TIMED_OUT" || status === "CLOSED") {
          state("offline");
          if (err && status === "CHANNEL_ERROR" && /unauthorized|denied|permission/i.test(err.message)) {
            fail(new ApiError("forbidden", 403, err.message));
          }
        }
      });
  };
  void start().catch(fail);
  return async () => {
    closed = true;
    if (channel) await supabase.removeChannel(channel);
  };
}
