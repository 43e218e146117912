// PostgREST's behaviour for RPC (`/rest/v1/rpc/<fn>`): the caller's JWT picks the role, the
// request's claims and headers become GUCs, the db_pre_request hook runs, and one transaction
// per call; errors map to HTTP as PostgREST maps them (SQLSTATE classes, PTxyz, PGRST).
import { type Claims } from "./jwt.ts";
import { json, pgrstError } from "./http.ts";
import { actAs, isConnectionError, type Pool, PoolTimeout, quoteIdent as ident } from "./pool.ts";

type Arg = { name: string; type: string; hasDefault: boolean };
type Fn = { name: string; args: Arg[]; returnsSet: boolean; returnsVoid: boolean };

export class Rest {
  #functions: Map<string, Fn[]> | null = null;
  #preRequest: string | null = null;

  constructor(readonly pool: Pool) {}

  /** The schema cache: public functions and the pre-request hook of the authenticator role. */
  async #load() {
    const { rows, preRequest } = await this.pool.tx("read only", async (tx) => ({
      rows: await tx`select p.proname as name, p.proretset as returns_set, p.prorettype = 'void'::regtype as returns_void,
                            p.pronargs as nargs, p.pronargdefaults as ndefaults, coalesce(p.proargnames, '{}') as argnames,
                            array(select format_type(t, null) from unnest(p.proargtypes) t) as argtypes
                     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                     where n.nspname = 'public' and p.prokind = 'f'`,
      // The authenticator role's own setting, as PostgREST reads it.
      preRequest: (await tx`select current_setting('pgrst.db_pre_request', true) as p`)[0].p as string | null,
    }));
    const functions = new Map<string, Fn[]>();
    for (const r of rows) {
      const args: Arg[] = (r.argtypes as string[]).map((type, i) => ({
        name: (r.argnames as string[])[i] ?? "",
        type,
        hasDefault: i >= r.nargs - r.ndefaults,
      }));
      const fn = { name: r.name, args, returnsSet: r.returns_set, returnsVoid: r.returns_void };
      functions.set(r.name, [...(functions.get(r.name) ?? []), fn]);
    }
    this.#functions = functions;
    this.#preRequest = preRequest || null;
  }

  async #find(name: string, keys: string[]): Promise<Fn | undefined> {
    for (const reload of [false, true]) {
      if (!this.#functions || reload) await this.#load();
      const match = (this.#functions!.get(name) ?? []).find((fn) =>
        keys.every((k) => fn.args.some((a) => a.name === k)) &&
        fn.args.every((a) => a.hasDefault || keys.includes(a.name))
      );
      if (match) return match;
    }
  }

  async handle(req: Request, fnName: string, role: string, claims: Claims, headers: Record<string, string>): Promise<Response> {
    if (!["GET", "HEAD", "POST"].includes(req.method)) {
      return pgrstError(405, "PGRST101", "For functions, only GET and POST verbs are allowed");
    }
    let args: Record<string, unknown> = {};
    if (req.method === "POST") {
      const text = await req.text();
      if (text.trim() !== "") {
        try {
          args = JSON.parse(text);
        } catch {
          return pgrstError(400, "PGRST102", "Empty or invalid json");
        }
        if (typeof args !== "object" || args === null || Array.isArray(args)) {
          return pgrstError(400, "PGRST102", "Empty or invalid json", "A function call takes a JSON object of named arguments");
        }
      }
    } else {
      args = Object.fromEntries(new URL(req.url).searchParams);
    }

    try {
      const keys = Object.keys(args);
      const fn = await this.#find(fnName, keys);
      if (!fn) {
        return pgrstError(404, "PGRST202", `Could not find the function public.${fnName}(${keys.sort().join(", ")}) in the schema cache`,
          `Searched for the function public.${fnName} with parameters ${keys.sort().join(", ") || "(none)"} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
          null);
      }
      const named = fn.args.filter((a) => keys.includes(a.name));
      const call = `public.${ident(fn.name)}(${named.map((a, i) => `${ident(a.name)} => $${i + 1}::${a.type}`).join(", ")})`;
      const query = fn.returnsVoid
        ? `select ${call}`
        : fn.returnsSet
        ? `select coalesce(jsonb_agg(t), '[]'::jsonb) as r from ${call} t`
        : `select to_jsonb(${call}) as r`;
      const params = named.map((a) => {
        const v = args[a.name];
        // A JSON boolean stays a boolean: postgres.js writes a bool parameter as `v === true`, so the
        // string "true" would arrive as false.
        return v === null || v === undefined ? null : typeof v === "object" ? JSON.stringify(v) : typeof v === "boolean" ? v : String(v);
      });

      // GET runs read-only, as in PostgREST: a function that writes answers 405 (25006).
      const mode = req.method === "POST" ? "read write" : "read only";
      const out = await this.pool.tx(mode, async (tx) => {
        await actAs(tx, role, {
          "request.jwt.claims": JSON.stringify(claims),
          "request.headers": JSON.stringify(headers),
          "request.method": req.method,
          "request.path": new URL(req.url).pathname,
        });
        if (this.#preRequest) await tx.unsafe(`select ${this.#preRequest}()`);
        const [row] = await tx.unsafe(query, params);
        const [gucs] = await tx`select current_setting('response.status', true) as status,
                                       current_setting('response.headers', true) as headers`;
        return { body: row?.r, status: gucs.status, headers: gucs.headers };
      });

      const extra: Record<string, string> = {};
      for (const h of out.headers ? JSON.parse(out.headers) as Record<string, string>[] : []) Object.assign(extra, h);
      if (fn.returnsVoid) return new Response(null, { status: Number(out.status) || 204, headers: { ...extra } });
      return json(Number(out.status) || 200, out.body, extra);
    } catch (e) {
      return errorResponse(e, role);
    }
  }
}

/** PostgREST's mapping of a database error to an HTTP answer. */
export function errorResponse(e: unknown, role: string): Response {
  if (e instanceof PoolTimeout) {
    return pgrstError(503, "PGRST003", e.message, null, null, { "Retry-After": "1" });
  }
  if (isConnectionError(e)) {
    return pgrstError(503, "PGRST001", "Database client error. Retrying the connection.",
      String((e as Error).message ?? e), null, { "Retry-After": "1" });
  }
  const err = e as { code?: string; message: string; detail?: string; hint?: string };
  const code = err.code ?? "";
  if (code === "PGRST") {
    // RAISE SQLSTATE 'PGRST': the message is the body, the detail the status and headers.
    try {
      const body = JSON.parse(err.message);
      const meta = err.detail ? JSON.parse(err.detail) : {};
      return json(Number(meta.status) || 500, body, meta.headers ?? {});
    } catch {
      return pgrstError(500, "PGRST121", "Could not parse JSON in the RAISE SQLSTATE 'PGRST' error", err.message);
    }
  }
  if (!/^[0-9A-Z]{5}$/.test(code)) {
    console.error(e);
    return pgrstError(500, "PGRST000", "Internal gateway error", String(err.message ?? e));
  }
  return pgrstError(statusOf(code, role), code, err.message, err.detail ?? null, err.hint ?? null);
}

function statusOf(code: string, role: string): number {
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  const exact: Record<string, number> = {
    "23503": 409, "23505": 409, "25006": 405, "53400": 500, "P0001": 400, "42883": 404, "42P01": 404, "42P17": 500,
  };
  if (code in exact) return exact[code];
  if (code === "42501") return role === "anon" ? 401 : 403;
  const byClass: Record<string, number> = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500, "3B": 500,
    "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500, "XX": 500,
  };
  return byClass[code.slice(0, 2)] ?? 400;
}
