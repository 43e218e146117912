// The one retry rule for every client of the API (guest page, door scanner, organiser pages,
// the benchmark). The server is the authority on overload:
//   429 `busy`   the server asks the caller to come back; the body says when ({retry_after},
//                with position/wait_seconds when it knows them) and the call is simply repeated
//   503, 504     the platform's own overload or outage answers (PostgREST: no free connection,
//                database restarting); retried with jittered back-off
//   status 0     the network failed before an answer arrived
// Anything else (including `rate_limited`, whose Retry-After the page shows) is final.
// There is no hard give-up while the line moves: callers stop by cancelling.

/** A failed call as a client sees it: HTTP status (0 = network failure) and the error body. */
export type Failure = { status: number; body?: Record<string, unknown> | null };

/** When to come back and, if the server says, the place in line, from a `busy` answer (null fields when unknown). */
export type QueueInfo = { position: number | null; waitSeconds: number | null; retryAfter: number };

const num = (v: unknown): number | null => (typeof v === "number" && Number.isFinite(v) ? v : null);

/** The queue position and estimated wait of a `busy` answer, or null for any other failure. */
export function queueInfo(f: Failure): QueueInfo | null {
  if (f.status !== 429 || f.body?.message !== "busy") return null;
  const retryAfter = Math.max(0, num(f.body?.retry_after) ?? 1);
  return { position: num(f.body?.position), waitSeconds: num(f.body?.wait_seconds), retryAfter };
}

/** Jittered exponential back-off for platform overload and network failures: 250 ms to 5 s. */
export function backoff(attempt: number, random = Math.random): number {
  return Math.round(Math.min(5000, 250 * 2 ** attempt) * (0.5 + random()));
}

/**
 * How long to wait before repeating the call (ms), or null when the failure is final.
 * `busy` is honoured exactly as the server asks (plus up to 10% jitter so a crowd told the same
 * second does not come back in one instant); platform overload and network failures back off.
 */
export function retryDelay(f: Failure, attempt: number, random = Math.random): number | null {
  const q = queueInfo(f);
  if (q) return Math.round(q.retryAfter * 1000 * (1 + 0.1 * random()));
  if (f.status === 0 || f.status === 503 || f.status === 504) return backoff(attempt, random);
  return null;
}
