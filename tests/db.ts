// Direct database access for tests: a real connection per parallel client, acting as an API
// role the way PostgREST does (SET LOCAL ROLE + request.jwt.claims in one transaction).
import postgres from "postgres";

export const dbUrl = process.env.DB_URL!;

export function connect(max = 10) {
  return postgres(dbUrl, { max, onnotice: () => {}, idle_timeout: 5 });
}

type Sql = ReturnType<typeof connect>;

/** Calls `fn(args)` as `role` (with `sub` when given), in its own transaction. */
export async function callAs(sql: Sql, role: "anon" | "authenticated", fn: string, args: Record<string, unknown>, sub?: string) {
  const names = Object.keys(args);
  const call = `select public.${fn}(${names.map((n, i) => `${n} => $${i + 1}`).join(", ")}) as result`;
  return sql.begin(async (tx) => {
    await tx`select set_config('request.jwt.claims', ${JSON.stringify({ role, sub })}, true),
                    set_config('request.headers', '{"x-forwarded-for": "127.0.0.1"}', true)`;
    // The role's own settings (anon's 3 s statement_timeout…), as PostgREST applies them.
    await tx`select set_config(split_part(c, '=', 1), substr(c, strpos(c, '=') + 1), true)
             from pg_roles r, unnest(r.rolconfig) c where r.rolname = ${role}`;
    await tx.unsafe(`set local role ${role}`);
    const [row] = await tx.unsafe(call, names.map((n) => args[n]) as never[]);
    return row.result as Record<string, unknown>;
  });
}

/**
 * Like callAs, but repeats the call while the fair line answers `busy` (committed, with
 * retry_after, or raised), as the guest page does; any other answer that is an error body is
 * thrown like a raised one.
 */
export async function callWithRetry(sql: Sql, role: "anon" | "authenticated", fn: string, args: Record<string, unknown>) {
  for (let attempt = 0; ; attempt++) {
    let busy = false;
    try {
      const r = await callAs(sql, role, fn, args);
      if (typeof r?.code !== "string" || !/^PT\d{3}$/.test(r.code)) return r;
      if (r.message !== "busy") throw Object.assign(new Error(String(r.message)), { code: r.code });
      busy = true;
    } catch (e) {
      const err = e as { code?: string; message: string };
      busy = err.code === "PGRST" && JSON.parse(err.message).message === "busy";
      if (!busy) throw e;
    }
    if (attempt > 300) throw new Error("still busy after 300 tries");
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
  }
}

/** The machine code of an API error raised by the database (PT… or PGRST form). */
export function apiCode(e: unknown): string {
  const err = e as { code?: string; message: string };
  if (err.code === "PGRST") return JSON.parse(err.message).message;
  return err.message;
}
