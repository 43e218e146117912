// pg_net's background worker, for the stand-in of local/bootstrap/03-pg-net.sql: takes the queued
// requests of `net.http_request_queue` in id order (a batch at a time, deleting them as upstream's
// consume_request_queue does), sends each with its timeout, and records the outcome in
// `net._http_response` as upstream does: status, content type, headers and body; or `timed_out`
// and an `error_msg` when no answer came. Responses older than pg_net's default ttl (6 hours) are
// deleted. Upstream is woken by net.wake(); this polls every half second. It connects as the
// platform's superuser, like the extension's worker, never as a role of the product.
import postgres from "postgres";

const BATCH = 200;
const TTL = "6 hours";

type Queued = { id: string; method: string; url: string; headers: Record<string, string> | null; body: string | null; timeout_milliseconds: number };

export class NetWorker {
  #sql: ReturnType<typeof postgres>;
  #timer: ReturnType<typeof setInterval> | undefined;
  #busy = false;

  constructor(url: string) {
    this.#sql = postgres(url, { max: 1, connect_timeout: 2, idle_timeout: 60, onnotice: () => {} });
  }

  start(intervalMs = 500) {
    this.#timer = setInterval(() => this.tick().catch((e) => console.error("pg_net worker:", (e as Error).message)), intervalMs);
  }

  stop() {
    clearInterval(this.#timer);
    return this.#sql.end({ timeout: 1 });
  }

  /** One pass: send what is queued (if the schema exists), then expire old responses. */
  async tick() {
    if (this.#busy) return;
    this.#busy = true;
    try {
      const [{ ready }] = await this.#sql`select to_regclass('net.http_request_queue') is not null as ready`;
      if (!ready) return;
      const queued = await this.#sql<Queued[]>`
        with rows as (select id from net.http_request_queue order by id limit ${BATCH})
        delete from net.http_request_queue q using rows where q.id = rows.id
        returning q.id, q.method, q.url, q.headers, convert_from(q.body, 'UTF8') as body, q.timeout_milliseconds`;
      await Promise.all(queued.map((r) => this.#send(r)));
      await this.#sql`delete from net._http_response where created < now() - ${TTL}::interval`;
    } finally {
      this.#busy = false;
    }
  }

  async #send(r: Queued) {
    try {
      const res = await fetch(r.url, {
        method: r.method.toUpperCase(),
        headers: r.headers ?? {},
        body: r.method.toUpperCase() === "GET" ? undefined : r.body ?? undefined,
        signal: AbortSignal.timeout(r.timeout_milliseconds),
      });
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      const content = await res.text();
      await this.#sql`insert into net._http_response (id, status_code, content_type, headers, content, timed_out)
        values (${r.id}, ${res.status}, ${res.headers.get("content-type")}, ${this.#sql.json(headers)}, ${content}, false)`;
    } catch (e) {
      const timedOut = (e as Error).name === "TimeoutError";
      await this.#sql`insert into net._http_response (id, timed_out, error_msg)
        values (${r.id}, ${timedOut}, ${timedOut ? `Timeout of ${r.timeout_milliseconds} ms reached` : (e as Error).message})`;
    }
  }
}
