// From what the clients saw to the figures the targets speak of.
import type { Guest } from "./guest.ts";
import { type Call, pcts, percentile, type Sample } from "./lib.ts";
import { REALTIME_PLANS } from "../../local/gateway/realtime.ts";

export type StepStats = { requests: number; perSecond: number; p50: number | null; p95: number | null; p99: number | null;
  errors: Record<string, number> };

export function stepStats(calls: Call[], seconds: number): Record<string, StepStats> {
  const out: Record<string, StepStats> = {};
  for (const step of [...new Set(calls.map((c) => c.step))]) {
    const cs = calls.filter((c) => c.step === step);
    const errors: Record<string, number> = {};
    for (const c of cs) if (c.code) errors[c.code] = (errors[c.code] ?? 0) + 1;
    const p = pcts(cs.map((c) => c.ms));
    out[step] = { requests: cs.length, perSecond: cs.length / seconds, p50: p.p50, p95: p.p95, p99: p.p99, errors };
  }
  return out;
}

/**
 * The seed's k6 figures: every HTTP request's duration (k6's http_req_duration) and the share of
 * requests answered 2xx (any other answer, or none, is a failure), over the whole scenario.
 */
export function k6Figures(calls: Call[], guests: Guest[]) {
  const ok = calls.filter((c) => c.status >= 200 && c.status < 300).length;
  return { iterations: guests.length, requests: calls.length, duration: pcts(calls.map((c) => c.ms)),
    success: calls.length ? ok / calls.length : null, passes: guests.filter((g) => g.outcome === "pass").length };
}

/** Guests served per second, from the first link opened to the last pass shown. */
export function throughput(guests: Guest[]) {
  const served = guests.filter((g) => g.outcome === "pass" && g.served !== undefined);
  if (!served.length) return { perSecond: null, seconds: 0 };
  const start = Math.min(...guests.map((g) => g.opened ?? Infinity)), end = Math.max(...served.map((g) => g.served!));
  const seconds = (end - start) / 1000;
  return { perSecond: seconds > 0 ? served.length / seconds : null, seconds };
}

/** Per-second series: passes served, p50/p95 link → pass of those served. */
export function timeline(guests: Guest[], samples: Sample[]) {
  const last = Math.ceil(Math.max(0, ...guests.map((g) => g.served ?? 0), ...samples.map((s) => s.t)) / 1000);
  const rows = [];
  for (let s = 0; s <= last; s++) {
    const done = guests.filter((g) => g.served !== undefined && Math.floor(g.served / 1000) === s);
    const lat = done.map((g) => g.served! - g.opened!);
    rows.push({ t: s, passes: done.length, p50: percentile(lat, 0.5), p95: percentile(lat, 0.95) });
  }
  return rows;
}

export function memoryPeaks(samples: Sample[]) {
  const max = (f: (s: Sample) => number | null) => {
    const v = samples.map(f).filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  };
  return { gatewayRss: max((s) => s.gatewayRss), postgresPss: max((s) => s.postgresPss), poolWaiting: max((s) => s.poolWaiting) };
}

export function finals(guests: Guest[]) {
  const out: Record<string, number> = {};
  for (const g of guests) if (g.outcome === "final") out[g.code ?? "?"] = (out[g.code ?? "?"] ?? 0) + 1;
  return out;
}

export function retries(guests: Guest[]) {
  const r = guests.map((g) => g.retries);
  return { mean: r.length ? r.reduce((a, b) => a + b, 0) / r.length : 0, max: r.length ? Math.max(...r) : 0 };
}

/** Hosted Realtime's per-project limits on events a second, from the local stand-in's plans. */
export const REALTIME_EVENT_LIMITS = {
  free: REALTIME_PLANS.free.maxEventsPerSecond,
  pro: REALTIME_PLANS.pro.maxEventsPerSecond,
} as const;

/**
 * A night's broadcasts against hosted Realtime's events-per-second limit, counted as hosted counts
 * them (RateCounter: a count per 5 s tick, and the average per second over the last 12 ticks; every
 * broadcast sent and every delivery of it is an event). `ticks[i]` holds the night's broadcasts
 * (`realtime.send` rows) in the i-th 5 s tick: `sends` on all its topics, `night` on `event:<id>`.
 * Events are given for the run's own subscribers on the night's topic (`subscribers`), and for
 * the everyday case of one organiser page and one promoter page open (each send delivered once).
 */
export function broadcastRates(ticks: { sends: number; night: number }[], subscribers: number) {
  const TICK_S = 5, WINDOW = 12;
  const minuteAverages = (events: number[]) =>
    events.map((_, i) => events.slice(Math.max(0, i - WINDOW + 1), i + 1).reduce((a, b) => a + b, 0) / (WINDOW * TICK_S));
  const against = (events: number[]) => {
    const avg = minuteAverages(events);
    const peak = avg.length ? Math.max(...avg) : 0;
    // Seconds during which hosted would drop the night's broadcasts: ticks whose average reached the limit.
    const over = (limit: number) => avg.filter((a) => a >= limit).length * TICK_S;
    return { peakPerSecond: events.length ? Math.max(...events) / TICK_S : 0, peakMinuteAverage: peak,
      secondsOverFree: over(REALTIME_EVENT_LIMITS.free), secondsOverPro: over(REALTIME_EVENT_LIMITS.pro) };
  };
  const sends = ticks.map((t) => t.sends);
  return {
    broadcasts: sends.reduce((a, b) => a + b, 0),
    peakBroadcastsPerSecond: sends.length ? Math.max(...sends) / TICK_S : 0,
    withSubscribers: subscribers ? against(ticks.map((t) => t.sends + t.night * subscribers)) : null,
    twoPages: against(ticks.map((t) => 2 * t.sends)),
  };
}
