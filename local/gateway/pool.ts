// A bounded connection pool with a bounded wait: when every connection is busy for longer than
// `waitMs`, or the database cannot be reached, callers get an error at once (the HTTP layer
// answers 503 with Retry-After) instead of a hang. postgres.js reconnects by itself when the
// database comes back.
import postgres from "postgres";

export type Sql = ReturnType<typeof postgres>;
export type Tx = Parameters<Parameters<Sql["begin"]>[1]>[0];

export class PoolTimeout extends Error {}

export type Row = Record<string, unknown>;

/** The roles a JWT may switch to, as Supabase configures PostgREST and Realtime. */
export const API_ROLES = new Set(["anon", "authenticated", "service_role"]);

export const quoteIdent = (s: string) => `"${s.replaceAll('"', '""')}"`;

/**
 * Inside `tx`, as PostgREST and Realtime do before running a caller's SQL: sets the request's
 * settings for this transaction only (`request.jwt.claims`, …) and switches to the caller's role.
 */
export async function actAs(tx: Tx, role: string, settings: Record<string, string>) {
  const names = Object.keys(settings);
  await tx.unsafe(`select ${names.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ")}`,
    names.flatMap((n) => [n, settings[n]]));
  await tx.unsafe(`set local role ${quoteIdent(role)}`);
}

export class Pool {
  readonly sql: Sql;
  #free: number;
  #waiters: Array<() => void> = [];

  constructor(readonly url: string, readonly size: number, readonly waitMs: number) {
    this.sql = postgres(url, { max: size, connect_timeout: 2, idle_timeout: 60, onnotice: () => {} });
    this.#free = size;
  }

  /** Connections in use, and callers waiting for one (for /metrics). */
  get inUse() { return this.size - this.#free; }
  get waiting() { return this.#waiters.length; }

  #acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const grant = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== grant);
        reject(new PoolTimeout("Timed out acquiring connection from connection pool."));
      }, this.waitMs);
      this.#waiters.push(grant);
    });
  }

  #release() {
    const next = this.#waiters.shift();
    if (next) next();
    else this.#free++;
  }

  /**
   * Runs `statements` in one transaction on one pooled connection, all sent together (pipelined):
   * BEGIN, the statements and COMMIT leave in one write and their answers come back together, so
   * the transaction costs one round trip instead of one per statement. A statement that fails
   * aborts the transaction: the ones after it fail with 25P02 and the COMMIT ends it as a
   * rollback. The first error is thrown; otherwise each statement's rows are returned.
   */
  async pipeline(mode: "read only" | "read write", statements: [string, unknown[]][]): Promise<Row[][]> {
    await this.#acquire();
    try {
      const conn = await this.sql.reserve();
      // postgres.js never answers the queries still queued on a connection that closes (it
      // answers those already sent), so the connection's close ends the wait here too, as it
      // does for sql.begin(); a closed connection is not handed back, postgres.js reconnects it.
      let closed = false;
      let onClosed: (e: unknown) => void = () => {};
      const lost = new Promise<never>((_, reject) => (onClosed = reject));
      lost.catch(() => {});
      let watched: { onclose: ((e: unknown) => void) | null } | undefined;
      const watch = (c: typeof watched) => {
        watched = c;
        c!.onclose = (e) => ((closed = true), onClosed(e));
        return true;
      };
      try {
        // Prepared (named, once per connection): from then on each statement is one Bind and
        // Execute that needs no Describe first, so nothing waits (unsafe() prepares nothing by
        // default and waits for a Describe before sending a query that has parameters).
        const queries = [
          conn.unsafe(`begin ${mode}`, [], { onexecute: watch } as never),
          ...statements.map(([q, params]) => conn.unsafe(q, params as never[], { prepare: true })),
          conn.unsafe("commit"),
        ];
        const settled = await Promise.race([Promise.allSettled(queries), lost]);
        const failed = settled.find((r) => r.status === "rejected");
        if (failed) throw failed.reason;
        return settled.slice(1, -1).map((r) => (r as PromiseFulfilledResult<Row[]>).value);
      } finally {
        if (watched) watched.onclose = null;
        if (!closed) conn.release();
      }
    } finally {
      this.#release();
    }
  }

  /** Runs `fn` in one transaction on one pooled connection. */
  async tx<T>(mode: string, fn: (tx: Tx) => Promise<T>): Promise<T> {
    await this.#acquire();
    try {
      return await this.sql.begin(mode, fn) as T;
    } finally {
      this.#release();
    }
  }
}

const CONNECTION_ERRORS = new Set([
  "ECONNREFUSED", "ECONNRESET", "EPIPE", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED",
  "CONNECTION_DESTROYED", "57P01", "57P02", "57P03",
]);

/** Whether an error means the database is down, restarting or unreachable. */
export function isConnectionError(e: unknown): boolean {
  const err = e as { code?: string; errno?: string; name?: string };
  return e instanceof PoolTimeout || CONNECTION_ERRORS.has(err?.code ?? "") || CONNECTION_ERRORS.has(err?.errno ?? "") ||
    err?.name === "ConnectionRefused" || err?.name === "ConnectionReset";
}
