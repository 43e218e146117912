// From what the clients saw to the figures the targets speak of.
import type { Guest } from "./guest.ts";
import { type Call, pcts, percentile, type Sample } from "./lib.ts";

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
 * The password part of each served guest against a perfect line: a FIFO in arrival order (of the
 * first password call) on `cores` servers, each bcrypt taking cores/ceiling seconds. Returns the
 * share of guests within 1.25 × their ideal wait + 1 s, and the p95s.
 */
export function againstIdeal(guests: Guest[], ceiling: number, cores: number) {
  const served = guests.filter((g) => g.outcome === "pass" && g.passwordFirst !== undefined && g.served !== undefined)
    .sort((a, b) => a.passwordFirst! - b.passwordFirst!);
  const service = (cores / ceiling) * 1000;
  const free = Array.from({ length: cores }, () => 0);
  let within = 0;
  const actual: number[] = [], ideal: number[] = [];
  for (const g of served) {
    const k = free.indexOf(Math.min(...free));
    const done = Math.max(free[k], g.passwordFirst!) + service;
    free[k] = done;
    const a = g.served! - g.passwordFirst!, i = done - g.passwordFirst!;
    actual.push(a);
    ideal.push(i);
    if (a <= 1.25 * i + 1000) within++;
  }
  return { guests: served.length, withinShare: served.length ? within / served.length : null,
    p95Actual: percentile(actual, 0.95), p95Ideal: percentile(ideal, 0.95) };
}

/** Guests served more than 2 s after someone who reached the password step later. */
export function orderViolations(guests: Guest[]) {
  const served = guests.filter((g) => g.outcome === "pass" && g.passwordFirst !== undefined)
    .sort((a, b) => a.passwordFirst! - b.passwordFirst!);
  let minLater = Infinity, count = 0, worst = 0;
  for (let i = served.length - 1; i >= 0; i--) {
    const late = served[i].served! - minLater;
    if (late > 2000) {
      count++;
      worst = Math.max(worst, late);
    }
    minLater = Math.min(minLater, served[i].served!);
  }
  return { count, worstSeconds: worst / 1000 };
}

/**
 * Password throughput while the line was saturated (at least `cores` password calls outstanding
 * for the whole second), and overall from the first password call to the last pass.
 */
export function passwordThroughput(guests: Guest[], cores: number, samples: Sample[] = []) {
  const flows = guests.filter((g) => g.passwordFirst !== undefined && g.outcome === "pass");
  if (!flows.length) return { saturatedPerSecond: null, saturatedSeconds: 0, overallPerSecond: null, slotsBusy: null, cpuBusy: null };
  const busy: number[] = [], cpu: number[] = [];
  const start = Math.min(...flows.map((g) => g.passwordFirst!)), end = Math.max(...flows.map((g) => g.served!));
  let seconds = 0, done = 0;
  for (let t = start; t + 1000 <= end; t += 1000) {
    const minOutstanding = Math.min(
      ...[t, t + 500, t + 999].map((x) => flows.filter((g) => g.passwordFirst! <= x && g.served! > x).length),
    );
    if (minOutstanding >= cores) {
      seconds++;
      done += flows.filter((g) => g.served! > t && g.served! <= t + 1000).length;
      // The sample taken at the end of this second describes it.
      const s = samples.find((x) => x.t > t + 1000 && x.t <= t + 2000);
      if (s?.slotsBusy != null) busy.push(s.slotsBusy / cores);
      if (s?.cpuBusy != null) cpu.push(s.cpuBusy);
    }
  }
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : null);
  return { saturatedPerSecond: seconds ? done / seconds : null, saturatedSeconds: seconds,
    overallPerSecond: flows.length / ((end - start) / 1000),
    /** while saturated: the share of bcrypt slots running a bcrypt, and of the machine's CPU time busy */
    slotsBusy: mean(busy), cpuBusy: mean(cpu) };
}

/** Retried calls of the password step per 3 s of waiting in the line (target: at most 1). */
export function lineTraffic(guests: Guest[]) {
  const flows = guests.filter((g) => g.outcome === "pass" && g.passwordFirst !== undefined);
  const waited = flows.reduce((s, g) => s + (g.served! - g.passwordFirst!), 0) / 1000;
  const retries = flows.reduce((s, g) => s + g.passwordRetries, 0);
  return { retries, waitedSeconds: waited, per3s: waited ? retries / (waited / 3) : 0 };
}

/** Per-second series: passes served, p50/p95 link → pass of those served, line length and memory. */
export function timeline(guests: Guest[], samples: Sample[]) {
  const last = Math.ceil(Math.max(0, ...guests.map((g) => g.served ?? 0), ...samples.map((s) => s.t)) / 1000);
  const rows = [];
  for (let s = 0; s <= last; s++) {
    const done = guests.filter((g) => g.served !== undefined && Math.floor(g.served / 1000) === s);
    const lat = done.map((g) => g.served! - g.opened!);
    const sample = samples.find((x) => Math.floor(x.t / 1000) === s);
    rows.push({ t: s, passes: done.length, p50: percentile(lat, 0.5), p95: percentile(lat, 0.95), line: sample?.line ?? null });
  }
  return rows;
}

export function memoryPeaks(samples: Sample[]) {
  const max = (f: (s: Sample) => number | null) => {
    const v = samples.map(f).filter((x): x is number => x !== null);
    return v.length ? Math.max(...v) : null;
  };
  return { gatewayRss: max((s) => s.gatewayRss), postgresPss: max((s) => s.postgresPss), line: max((s) => s.line),
    poolWaiting: max((s) => s.poolWaiting) };
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
