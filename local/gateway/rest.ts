// PostgREST's behaviour for RPC (`/rest/v1/rpc/<fn>`), read from its source (v12–v14:
// App.hs, Plan.hs, Query/PreQuery.hs, ApiRequest/Payload.hs, Error.hs, Config/Database.hs):
// - the schema cache holds the public functions (with their volatility) and the settings of
//   every role authenticator can switch to (pg_db_role_setting), reloaded on a miss or a 503;
// - one transaction per call, read-only for GET and for a stable or immutable function;
// - inside it, before the call: search_path, the impersonated role's settings (its
//   statement_timeout…), the role, request.jwt.claims, request.method, request.path,
//   request.headers (one statement), then the db_pre_request hook, then the call, whose
//   statement also reads response.status/response.headers; BEGIN, these and COMMIT are separate
//   statements, each its own round trip (Pool.transaction), as PostgREST runs them (MainTx.hs);
// - GET arguments are text that Postgres casts to each argument's type;
// - errors map to HTTP as Error.hs maps them (SQLSTATE classes, PTxyz, PGRST); every 503 gets
//   `Retry-After` and drops the schema cache, pool exhaustion is 504 PGRST003;
// - `Server-Timing` on successful answers, as with `server-timing-enabled`;
// - the schema from `Accept-Profile` (GET, HEAD) or `Content-Profile` (POST), one of the exposed
//   schemas (`db-schemas`: `[api] schemas` of config.toml) or 406 PGRST106 (ApiRequest.hs);
//   overloads that all match the arguments are 300 PGRST203, as findProc in Plan.hs; an `Accept`
//   the stand-in cannot produce is 406 PGRST107 (Plan/Negotiate.hs).
import { type Claims } from "./jwt.ts";
import { json, pgrstError } from "./http.ts";
import { isConnectionError, type Pool, PoolTimeout, quoteIdent as ident } from "./pool.ts";

type Arg = { name: string; type: string; hasDefault: boolean };
type Fn = { schema: string; name: string; args: Arg[]; returnsSet: boolean; returnsVoid: boolean; readOnly: boolean };

/** Supabase configures PostgREST with `db-extra-search-path = public, extensions`. */
const SEARCH_PATH = `"public", "extensions"`;

export class Rest {
  #functions: Map<string, Fn[]> | null = null;
  #preRequest: string | null = null;
  #roleSettings = new Map<string, [string, string][]>();
  #loading: Promise<Map<string, Fn[]>> | null = null;

  /** `schemas`: the exposed schemas, the first the default (PostgREST's `db-schemas`). */
  constructor(readonly pool: Pool, readonly schemas: string[] = ["public"]) {}

  /** The schema cache: public functions, the pre-request hook, and the API roles' settings. */
  async #load(): Promise<Map<string, Fn[]>> {
    const { rows, preRequest, settings } = await this.pool.tx("read only", async (tx) => ({
      rows: await tx`select n.nspname as schema, p.proname as name, p.proretset as returns_set, p.prorettype = 'void'::regtype as returns_void,
                            p.provolatile in ('s', 'i') as read_only,
                            p.pronargs as nargs, p.pronargdefaults as ndefaults, coalesce(p.proargnames, '{}') as argnames,
                            array(select format_type(t, null) from unnest(p.proargtypes) t) as argtypes
                     from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                     where n.nspname = any(${this.schemas}) and p.prokind = 'f'`,
      // The authenticator role's own setting, as PostgREST reads it.
      preRequest: (await tx`select current_setting('pgrst.db_pre_request', true) as p`)[0].p as string | null,
      // PostgREST's queryRoleSettings: settings of the roles authenticator is a member of, those
      // a user may set (context 'user') or authenticator has the SET privilege on.
      settings: await tx`
        with role_setting as (
          select r.rolname, unnest(r.rolconfig) as setting
          from pg_auth_members m join pg_roles r on r.oid = m.roleid
          where m.member = quote_ident(current_user)::regrole::oid),
        kv as (
          select rolname, substr(setting, 1, strpos(setting, '=') - 1) as key, substr(setting, strpos(setting, '=') + 1) as value
          from role_setting)
        select kv.rolname, kv.key, kv.value
        from kv join pg_settings ps on ps.name = kv.key
          and (ps.context = 'user' or has_parameter_privilege(quote_ident(current_user)::regrole::oid, ps.name, 'set'))
        where kv.key <> 'default_transaction_isolation'`,
    }));
    const functions = new Map<string, Fn[]>();
    for (const r of rows) {
      const args: Arg[] = (r.argtypes as string[]).map((type, i) => ({
        name: (r.argnames as string[])[i] ?? "",
        type,
        hasDefault: i >= r.nargs - r.ndefaults,
      }));
      const fn = { schema: r.schema, name: r.name, args, returnsSet: r.returns_set, returnsVoid: r.returns_void, readOnly: r.read_only };
      const key = `${r.schema}.${r.name}`;
      functions.set(key, [...(functions.get(key) ?? []), fn]);
    }
    const roleSettings = new Map<string, [string, string][]>();
    for (const s of settings) roleSettings.set(s.rolname, [...(roleSettings.get(s.rolname) ?? []), [s.key, s.value]]);
    this.#functions = functions;
    this.#preRequest = preRequest || null;
    this.#roleSettings = roleSettings;
    return functions;
  }

  /** One schema cache load at a time; concurrent callers share it (as PostgREST's connWorker). */
  #reload(): Promise<Map<string, Fn[]>> {
    this.#loading ??= this.#load().finally(() => (this.#loading = null));
    return this.#loading;
  }

  /**
   * The functions of `schema.name` the argument names match (findProc's matchesParams: every key
   * a parameter, every parameter without a default a key); more than one is ambiguous.
   */
  async #find(schema: string, name: string, keys: string[]): Promise<Fn[]> {
    for (const reload of [false, true]) {
      const functions = this.#functions && !reload ? this.#functions : await this.#reload();
      const matches = (functions.get(`${schema}.${name}`) ?? []).filter((fn) =>
        keys.every((k) => fn.args.some((a) => a.name === k)) &&
        fn.args.every((a) => a.hasDefault || keys.includes(a.name))
      );
      if (matches.length > 0) return matches;
    }
    return [];
  }

  /** Answers one RPC call. `jwtMs` is the time the gateway spent on the JWT (for Server-Timing). */
  async handle(req: Request, fnName: string, role: string, claims: Claims, headers: Record<string, string>, jwtMs = 0): Promise<Response> {
    const res = await this.#handle(req, fnName, role, claims, headers, jwtMs);
    if (res.status !== 503) return res;
    // App.hs: any 503 makes PostgREST reconnect and reload its schema cache, and the answer gets
    // `Retry-After` (the reconnection back-off: 0 until a retry has failed) before its own headers.
    this.#functions = null;
    const out = new Headers({ "Retry-After": "0" });
    res.headers.forEach((v, k) => out.append(k, v));
    return new Response(res.body, { status: res.status, headers: out });
  }

  async #handle(req: Request, fnName: string, role: string, claims: Claims, headers: Record<string, string>, jwtMs: number): Promise<Response> {
    if (!["GET", "HEAD", "POST"].includes(req.method)) {
      return pgrstError(405, "PGRST101", "For functions, only GET and POST verbs are allowed");
    }
    // getSchema (ApiRequest.hs): the profile header of the method, if any, must name an exposed schema.
    const profile = req.headers.get(req.method === "POST" ? "content-profile" : "accept-profile");
    if (profile !== null && !this.schemas.includes(profile)) {
      return pgrstError(406, "PGRST106", `Invalid schema: ${profile}`, null, `Only the following schemas are exposed: ${this.schemas.join(", ")}`);
    }
    const schema = profile ?? this.schemas[0];
    const profileHeader: Record<string, string> = profile !== null || this.schemas.length > 1 ? { "Content-Profile": schema } : {};
    const timing = new Timing(jwtMs);
    let args: Record<string, unknown> = {};
    let body: string | null = null;
    if (req.method === "POST") {
      const text = await req.text();
      if (text.trim() !== "") {
        let parsed: unknown;
        try {
          parsed = JSON.parse(text);
        } catch {
          return pgrstError(400, "PGRST102", "Empty or invalid json");
        }
        if (Array.isArray(parsed) && parsed.some((v) => typeof v === "object" && v !== null && !Array.isArray(v))) {
          return pgrstError(400, "PGRST102", "Empty or invalid json", "A function call takes a JSON object of named arguments");
        }
        // Payload.hs: an object gives the named arguments; `null`, a scalar or an array without
        // objects counts as no arguments at all.
        if (typeof parsed === "object" && parsed !== null && !Array.isArray(parsed)) {
          args = parsed as Record<string, unknown>;
          body = text;
        }
      }
    } else {
      args = Object.fromEntries(new URL(req.url).searchParams);
    }
    timing.mark("parse");

    try {
      const keys = Object.keys(args);
      const candidates = await this.#find(schema, fnName, keys);
      if (candidates.length === 0) {
        return pgrstError(404, "PGRST202", `Could not find the function ${schema}.${fnName}(${keys.sort().join(", ")}) in the schema cache`,
          `Searched for the function ${schema}.${fnName} with parameters ${keys.sort().join(", ") || "(none)"} or with a single unnamed json/jsonb parameter, but no matches were found in the schema cache.`,
          null);
      }
      if (candidates.length > 1) {
        return pgrstError(300, "PGRST203", `Could not choose the best candidate function between: ${
          candidates.map((f) => `${f.schema}.${f.name}(${f.args.map((a) => `${a.name} => ${a.type}`).join(", ")})`).join(", ")}`,
          null, "Try renaming the parameters or the function itself in the database so function overloading can be resolved");
      }
      const [fn] = candidates;
      // Negotiation comes after the function is found, as in Plan.hs.
      const unacceptable = unavailableMediaTypes(req.headers.get("accept"));
      if (unacceptable) return pgrstError(406, "PGRST107", `None of these media types are available: ${unacceptable.join(", ")}`);
      const named = fn.args.filter((a) => keys.includes(a.name));
      let query: string;
      let params: (string | null)[];
      if (req.method === "POST" && named.length > 0) {
        // As PostgREST with a JSON body: the body is one json parameter, read with json_to_record
        // into the arguments' types (so a `\u0000` in a string is Postgres' 22P05, a 400).
        const cols = named.map((a) => `${ident(a.name)} ${a.type}`).join(", ");
        const call = `${ident(fn.schema)}.${ident(fn.name)}(${named.map((a) => `${ident(a.name)} => (select ${ident(a.name)} from pgrst_args)`).join(", ")})`;
        query = `with pgrst_args as (select * from json_to_record($1::text::json) as _(${cols})) ${select(fn, call)}`;
        params = [body];
      } else {
        // A query string's values are text, which Postgres casts to each argument's type, as
        // PostgREST passes them (untyped text, then `::type`). Sent as text, never typed by the
        // driver from the argument's type: that would serialise "true" for a boolean as false.
        const call = `${ident(fn.schema)}.${ident(fn.name)}(${named.map((a, i) => `${ident(a.name)} => $${i + 1}::text::${a.type}`).join(", ")})`;
        query = select(fn, call);
        params = named.map((a) => args[a.name] as string);
      }
      timing.mark("plan");

      // Plan.hs: GET, and POST to a stable or immutable function, run read-only; a function that
      // writes anyway answers 405 (25006).
      const mode = req.method === "POST" && !fn.readOnly ? "read write" : "read only";
      const settings: [string, string][] = [
        ["search_path", SEARCH_PATH],
        // Query/PreQuery.hs: the role's settings come before the role itself.
        ...(this.#roleSettings.get(role) ?? []),
        ["role", role],
        ["request.jwt.claims", JSON.stringify(claims)],
        ["request.method", req.method],
        ["request.path", new URL(req.url).pathname],
        ["request.headers", JSON.stringify(headers)],
      ];
      // As PostgREST (MainTx.hs): the settings and the role in one statement, the hook, then the
      // call, which reads the response GUCs in the same statement; with BEGIN and COMMIT, five
      // round trips (four without a hook), counted in docs/architecture.md.
      const statements: [string, unknown[]][] = [
        [`select ${settings.map((_, i) => `set_config($${2 * i + 1}, $${2 * i + 2}, true)`).join(", ")}`, settings.flat()],
        ...(this.#preRequest ? [[`select 1 from ${this.#preRequest}()`, []] as [string, unknown[]]] : []),
        [query, params],
      ];
      const results = await this.pool.transaction(mode, statements);
      const [row] = results[results.length - 1];
      const out = { body: row.r, status: row.status as string | null, headers: row.headers as string | null };
      timing.mark("transaction");

      const extra: Record<string, string> = { ...profileHeader };
      for (const h of out.headers ? JSON.parse(out.headers) as Record<string, string>[] : []) Object.assign(extra, h);
      const status = Number(out.status) || (fn.returnsVoid ? 204 : 200);
      timing.mark("response");
      if (status >= 400) return json(status, out.body, extra);
      extra["Server-Timing"] = timing.header();
      if (fn.returnsVoid) return new Response(null, { status, headers: extra });
      return json(status, out.body, extra);
    } catch (e) {
      return errorResponse(e, role);
    }
  }
}

/**
 * The media types of an `Accept` header, in the order PostgREST weighs them (quality, then as
 * written), when none is one the stand-in produces (JSON); null when one is, or when there is no
 * header. PostgREST also produces CSV,
 * `application/vnd.pgrst.object+json` and others the product never asks for; the stand-in answers
 * those 406 too (docs/architecture.md).
 */
export function unavailableMediaTypes(accept: string | null): string[] | null {
  if (accept === null || accept.trim() === "") return null;
  const types = accept.split(",").map((part, i) => {
    const [type, ...params] = part.split(";").map((s) => s.trim());
    const q = Number(params.find((p) => p.startsWith("q="))?.slice(2) ?? "1");
    return { type: type.toLowerCase(), q: Number.isNaN(q) ? 1 : q, i };
  }).filter((t) => t.type !== "" && t.q > 0).sort((a, b) => b.q - a.q || a.i - b.i);
  // decodeMediaType: application/json (any parameters), vnd.pgrst.array[+json] without
  // nulls=stripped (plain JSON), and */*; `application/*` is no wildcard there.
  if (types.some((t) => ["application/json", "*/*", "application/vnd.pgrst.array+json", "application/vnd.pgrst.array"].includes(t.type))) return null;
  return types.map((t) => t.type);
}

/**
 * The call as one statement with PostgREST's shape (QueryBuilder.hs): the result aggregated to
 * one JSON value, and `response.status`/`response.headers` read in the same statement after the
 * aggregate, so they hold what the function set. Its columns are always (r jsonb, status text,
 * headers text), whatever the function returns, so a prepared statement stays valid when a
 * function is replaced.
 */
function select(fn: Fn, call: string): string {
  const gucs = `current_setting('response.status', true) as status, current_setting('response.headers', true) as headers`;
  return fn.returnsSet
    ? `select coalesce(jsonb_agg(pgrst_call), '[]'::jsonb) as r, ${gucs} from ${call} pgrst_call`
    : `select jsonb_agg(to_jsonb(pgrst_call.pgrst_scalar)) -> 0 as r, ${gucs} from (select ${call} as pgrst_scalar) pgrst_call`;
}

/**
 * Response/Performance.hs: `Server-Timing: jwt;dur=…, parse;dur=…, plan;dur=…,
 * transaction;dur=…, response;dur=…`, durations in milliseconds with one decimal.
 */
class Timing {
  #last = performance.now();
  #parts: [string, number][];
  constructor(jwtMs: number) {
    this.#parts = [["jwt", jwtMs]];
  }
  mark(name: string) {
    const now = performance.now();
    this.#parts.push([name, now - this.#last]);
    this.#last = now;
  }
  header(): string {
    return this.#parts.map(([k, ms]) => `${k};dur=${ms.toFixed(1)}`).join(", ");
  }
}

/** PostgREST's mapping of a database error to an HTTP answer (Error.hs). */
export function errorResponse(e: unknown, role: string): Response {
  if (e instanceof PoolTimeout) {
    // AcquisitionTimeoutUsageError: 504, and no Retry-After (only 503s get one).
    return pgrstError(504, "PGRST003", "Timed out acquiring connection from connection pool.");
  }
  if (isConnectionError(e)) {
    const err = e as { code?: string; errno?: string; name?: string; message?: string };
    const detail = String(err.message ?? e);
    // Could not connect at all (ConnectionUsageError) or lost the connection mid-call (ClientError).
    const cannotConnect = ["ECONNREFUSED", "CONNECT_TIMEOUT"].includes(err.code ?? err.errno ?? "") || err.name === "ConnectionRefused";
    return cannotConnect
      ? pgrstError(503, "PGRST000", "Database connection error. Retrying the connection.", detail)
      : pgrstError(503, "PGRST001", "Database client error. Retrying the connection.", detail);
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
  const status = statusOf(code, err.message, role);
  // Error.hs: a 401 says how to authenticate.
  return pgrstError(status, code, err.message, err.detail ?? null, err.hint ?? null,
    status === 401 ? { "WWW-Authenticate": "Bearer" } : {});
}

function statusOf(code: string, message: string, role: string): number {
  if (/^PT\d{3}$/.test(code)) return Number(code.slice(2));
  if (code === "21000") return /requires a WHERE clause$/.test(message) ? 400 : 500;
  if (code === "22023") return /^role.*does not exist$/.test(message) ? 401 : 400;
  const exact: Record<string, number> = {
    "23503": 409, "23505": 409, "25006": 405, "53400": 500, "57P01": 503, "P0001": 400, "42883": 404, "42P01": 404, "42P17": 500,
  };
  if (code in exact) return exact[code];
  if (code === "42501") return role === "anon" ? 401 : 403;
  const byClass: Record<string, number> = {
    "08": 503, "09": 500, "0L": 403, "0P": 403, "25": 500, "28": 403, "2D": 500, "38": 500, "39": 500, "3B": 500,
    "40": 500, "53": 503, "54": 500, "55": 500, "57": 500, "58": 500, "F0": 500, "HV": 500, "P0": 500, "XX": 500,
  };
  return byClass[code.slice(0, 2)] ?? 400;
}
