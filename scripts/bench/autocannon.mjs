// The benchmark's HTTP load for single endpoints, driven by autocannon (a maintained load tool);
// run by scripts/bench/main.ts under Node, which reads the JSON this prints (options inline, or
// @file for a long list).
//   node autocannon.mjs fixed '{"url", "method", "headers", "body", "connections", "duration"}'
//     one request repeated: requests/s and latency percentiles (autocannon's own histogram)
//   node autocannon.mjs door '{"url", "headers", "connections", "scans": [{qr, body}]}'
//     a list of different requests (door scans), one connection per scanner; answers each
//     response's verdict per pass and per-request latency (autocannon keeps one request in
//     flight per connection, so the time from setupRequest to onResponse is that request's)
import autocannon from "autocannon";
import { readFileSync } from "node:fs";

const [mode, json] = process.argv.slice(2);
const opts = JSON.parse(json.startsWith("@") ? readFileSync(json.slice(1), "utf8") : json);

function percentiles(ms) {
  ms.sort((a, b) => a - b);
  const q = (p) => (ms.length ? ms[Math.min(ms.length - 1, Math.floor(p * ms.length))] : null);
  return { p50: q(0.5), p95: q(0.95), p99: q(0.99), max: ms.at(-1) ?? null };
}

if (mode === "fixed") {
  // autocannon's histogram reports p90 and p97.5, not p95: each request's time is taken from
  // setupRequest to onResponse instead (one request in flight per connection).
  const times = [];
  const result = await autocannon({
    url: opts.url, method: opts.method, headers: opts.headers, body: opts.body,
    connections: opts.connections, duration: opts.duration, timeout: 10,
    requests: [{
      setupRequest: (req, context) => { context.t0 = performance.now(); return req; },
      onResponse: (_status, _body, context) => times.push(performance.now() - context.t0),
    }],
  });
  console.log(JSON.stringify({
    requests: result.requests.total, rps: result.requests.total / result.duration, errors: result.errors, timeouts: result.timeouts,
    non2xx: result.non2xx, statusCodes: result.statusCodeStats, latency: percentiles(times), duration: result.duration,
  }));
} else if (mode === "door") {
  let next = 0, connection = 0;
  const verdicts = [];
  const times = [];
  const scans = opts.scans;
  const started = Date.now();
  const result = await autocannon({
    url: opts.url, headers: opts.headers, connections: opts.connections, amount: scans.length, timeout: 10,
    requests: [{
      method: "POST",
      setupRequest: (req, context) => {
        // Each connection is one scanner with its own staff token.
        context.token ??= opts.tokens[connection++ % opts.tokens.length];
        const scan = scans[next++ % scans.length];
        context.scan = scan;
        context.t0 = performance.now();
        return { ...req, body: scan.body, headers: { ...req.headers, authorization: `Bearer ${context.token}` } };
      },
      onResponse: (status, body, context) => {
        times.push(performance.now() - context.t0);
        let verdict = null;
        try { verdict = JSON.parse(body).verdict ?? JSON.parse(body).message ?? null; } catch { /* kept null */ }
        verdicts.push({ qr: context.scan.qr, second: context.scan.second, status, verdict });
      },
    }],
  });
  console.log(JSON.stringify({
    requests: result.requests.total, seconds: (Date.now() - started) / 1000, errors: result.errors,
    timeouts: result.timeouts, latency: percentiles(times), verdicts,
  }));
} else {
  console.error("usage: autocannon.mjs fixed|door <json>");
  process.exit(2);
}
