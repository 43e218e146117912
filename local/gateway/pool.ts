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
  #statements = 0;

  constructor(readonly url: string, readonly size: number, readonly waitMs: number) {
    this.sql = postgres(url, {
      max: size, connect_timeout: 2, idle_timeout: 60, onnotice: () => {},
      // postgres.js calls `debug` for every statement it sends (its README: "debug: fn, is called
      // with (connection, query, params, types)"): counted for /metrics. With it set, postgres.js
      // also makes an error's query and parameters enumerable, so a logged error shows them.
      debug: () => void this.#statements++,
    });
    this.#free = size;
  }

  /** Connections in use, and callers waiting for one (for /metrics). */
  get inUse() { return this.size - this.#free; }
  get waiting() { return this.#waiters.length; }
  /** Statements sent to Postgres since start (BEGIN and COMMIT included), for /metrics. */
  get statements() { return this.#statements; }

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
   * Runs `statements` in one transaction on one pooled connection, one after another, as PostgREST
   * runs a request (hasql-transaction: BEGIN, each statement, COMMIT, each sent once the answer to
   * the one before has come back): one round trip per statement, BEGIN and COMMIT included.
   * Each statement is prepared (named, once per connection), as PostgREST prepares its statements
   * by default (`db-prepared-statements`): its first use on a connection costs one more round
   * trip (Parse/Describe), later ones none. The first error rolls the transaction back and is
   * thrown; otherwise each statement's rows are returned.
   */
  async transaction(mode: "read only" | "read write", statements: [string, unknown[]][]): Promise<Row[][]> {
    await this.#acquire();
    try {
      return await this.sql.begin(mode, async (tx) => {
        const results: Row[][] = [];
        for (const [q, params] of statements) results.push(await tx.unsafe(q, params as never[], { prepare: true }));
        return results;
      }) as Row[][];
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
