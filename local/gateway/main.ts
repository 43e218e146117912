// The local API gateway: one Deno process on the paths a Supabase project serves.
//   /rest/v1/rpc/<fn>        PostgREST RPC           (rest.ts)
//   /auth/v1/…               Auth: password sign-in  (auth.ts)
//   /functions/v1/<name>     edge functions          (functions.ts)
//   /realtime/v1/…           Realtime broadcast      (realtime.ts)
//   /metrics                 Prometheus text         (metrics.ts, secret or service_role key)
//   /, /p/…, /door, /live    static pages (PAGES_DIR; serveStatic)
// and, beside them, pg_net's worker (net.ts): sends what net.http_post queued.
// Like Supabase's API gateway, every API path needs a valid `apikey` (anon or service_role).
import { parse as parseToml } from "smol-toml";
import { Auth, authConfigFrom } from "./auth.ts";
import { Functions } from "./functions.ts";
import { bearer, json, pgrstError, preflight } from "./http.ts";
import { type Claims, JwtError, Keys } from "./jwt.ts";
import { Metrics } from "./metrics.ts";
import { NetWorker } from "./net.ts";
import { API_ROLES, Pool } from "./pool.ts";
import { Realtime } from "./realtime.ts";
import { Rest } from "./rest.ts";

// postgres.js can throw from a timer when Postgres dies under a write (a socket already gone):
// nobody can catch that, and it must cost that one connection, not the whole gateway, which
// PostgREST would survive. Such errors are logged; the pool reconnects by itself.
globalThis.addEventListener("error", (e) => {
  e.preventDefault();
  console.error("gateway: uncaught error (kept running):", e.error);
});
globalThis.addEventListener("unhandledrejection", (e) => {
  e.preventDefault();
  console.error("gateway: unhandled rejection (kept running):", e.reason);
});

const env = (k: string, fallback?: string) => {
  const v = Deno.env.get(k) ?? fallback;
  if (v === undefined) throw new Error(`${k} is not set`);
  return v;
};
// What the stand-in serves comes from its environment (local/stack.sh sets it), never from imports.
const functionsDir = env("FUNCTIONS_DIR");
const pagesDir = env("PAGES_DIR");
const configToml = env("SUPABASE_CONFIG");
const port = Number(env("API_PORT", "54321"));
const dbPort = Number(env("DB_PORT", "54322"));
const secret = env("JWT_SECRET");
const apiUrl = env("API_URL", `http://127.0.0.1:${port}`);
// PostgREST logs in as authenticator and switches role per request; Auth and Realtime use the
// database owner, as their Supabase counterparts do.
const pool = new Pool(`postgresql://authenticator:postgres@127.0.0.1:${dbPort}/postgres`,
  Number(env("POOL_SIZE", "10")), Number(env("POOL_WAIT_MS", "3000")));
// Auth and Realtime each have their own pool, as their Supabase counterparts each hold their
// own connections: a crowd of anonymous websockets cannot take the connections staff sign in with.
const admin = new Pool(env("DB_URL"), 4, Number(env("POOL_WAIT_MS", "3000")));
// Realtime's own pool: joins and re-authorizations (a membership that ends re-checks every channel
// of that user at once) never wait behind Auth's or PostgREST's connections, nor behind each other
// for long: 8, as a channel check is one short query.
const realtimePool = new Pool(env("DB_URL"), Number(env("REALTIME_POOL_SIZE", "8")), Number(env("POOL_WAIT_MS", "3000")));

// Edge functions read these, as on Supabase.
Deno.env.set("SUPABASE_URL", apiUrl);
Deno.env.set("SUPABASE_ANON_KEY", env("ANON_KEY"));
Deno.env.set("SUPABASE_SERVICE_ROLE_KEY", env("SERVICE_ROLE_KEY"));
Deno.env.set("SUPABASE_DB_URL", env("DB_URL"));

const keys = await Keys.fromSecret(secret);
// PostgREST's db-schemas: the exposed schemas of config.toml's [api], as `supabase start` gives them.
const apiSchemas = ((parseToml(await Deno.readTextFile(configToml).catch(() => "")) as { api?: { schemas?: unknown } }).api?.schemas);
const rest = new Rest(pool, Array.isArray(apiSchemas) && apiSchemas.length > 0 ? apiSchemas.map(String) : ["public"]);
// Auth emails through the mail catcher (local/mail), as GoTrue sends to Mailpit under `supabase start`.
const auth = new Auth(admin, keys, apiUrl, authConfigFrom(await Deno.readTextFile(configToml).catch(() => ""), Deno.env.toObject()),
  Deno.env.get("MAIL_URL") ?? null);
const realtime = new Realtime(realtimePool, keys);
const functions = new Functions(functionsDir, configToml, keys);
const loaded = await functions.load();
await realtime.start();
// pg_net's worker (local/bootstrap/03-pg-net.sql), as the platform's superuser.
const netWorker = new NetWorker(env("DB_URL").replace(/^postgresql:\/\/postgres:/, "postgresql://supabase_admin:"));
netWorker.start();

/**
 * The new API keys (not JWTs) and the legacy key each stands for: the publishable key is the anon
 * role, the secret key service_role (PUBLISHABLE_KEY and SECRET_KEY; `supabase start`'s local values).
 */
const newApiKeys = new Map<string, string>([
  [env("PUBLISHABLE_KEY", "sb_publishable_ACJWlzQHlZjBrEguHvfOxg_3BJgxAaH"), env("ANON_KEY")],
  [env("SECRET_KEY", "sb_secret_N7UND0UgjKTVK-Uodkm0Hg_xSvEMPvz"), env("SERVICE_ROLE_KEY")],
]);
/** A key as the services behind the gateway see it: a new API key becomes its role's JWT. */
const asJwt = (key: string | null) => (key !== null && newApiKeys.get(key)) || key;
const metrics = new Metrics(keys, { pools: { rest: pool, admin, realtime: realtimePool }, realtimeClients: () => realtime.clients },
  (key) => asJwt(key) ?? key);

/**
 * The Authorization the gateway forwards to PostgREST, Auth and Realtime, as Supabase's gateway
 * sets it (supabase/cli's kong.yml reproduces it): a caller's own token is kept, but `Bearer sb_…`
 * (supabase-js sends its key there when no one is signed in) is not a JWT and is replaced; without
 * one, the apikey's role JWT is used. Edge functions get the request as sent: their `verify_jwt`
 * refuses a new API key in Authorization, as hosted's does.
 */
function withRoleToken(req: Request): Request {
  const auth = req.headers.get("authorization");
  if (auth && !auth.startsWith("Bearer sb_")) return req;
  const key = asJwt(req.headers.get("apikey"));
  if (!key) return req;
  const headers = new Headers(req.headers);
  headers.set("authorization", `Bearer ${key}`);
  return new Request(req, { headers });
}

/**
 * Supabase's gateway: the apikey (header or query) must be the publishable or secret key, or a
 * legacy key signed with the project secret.
 */
async function checkApiKey(req: Request, url: URL): Promise<Response | null> {
  const key = req.headers.get("apikey") ?? url.searchParams.get("apikey");
  if (!key) {
    return json(401, { message: "No API key found in request", hint: "No `apikey` request header or url param was found." });
  }
  if (newApiKeys.has(key)) return null;
  try {
    const claims = await keys.verify(key, { legacyOnly: true });
    if (claims.role === "anon" || claims.role === "service_role") return null;
  } catch { /* answered below */ }
  return json(401, { message: "Invalid API key", hint: "Double check your Supabase `anon` or `service_role` API key." });
}

/** The request's role and claims from its JWT (Authorization, else the apikey), as PostgREST decides. */
async function callerOf(req: Request): Promise<{ role: string; claims: Claims } | Response> {
  const token = bearer(req) ?? req.headers.get("apikey") ?? "";
  try {
    const claims = await keys.verify(token);
    const role = String(claims.role ?? "anon");
    if (!API_ROLES.has(role)) {
      return pgrstError(401, "PGRST301", `role "${role}" is not allowed`);
    }
    return { role, claims };
  } catch (e) {
    const err = e as JwtError;
    return pgrstError(401, err.code ?? "PGRST301", err.message, null, null,
      { "WWW-Authenticate": `Bearer error="invalid_token", error_description="${err.message}"` });
  }
}

/**
 * Request headers as PostgREST passes them to SQL (lower-case names). This gateway stands in for
 * Supabase's edge (Cloudflare, then the API gateway) and sends only what is documented to reach
 * PostgREST there: the client's x-forwarded-for with the proxy's hop (the socket address)
 * appended. Cloudflare overwrites a client's `cf-connecting-ip`, and nothing public documents that
 * header reaching `request.headers`, so a client's is dropped and none is invented. Which value
 * the database takes as the client's address is the product's setting (private.client_ip).
 */
function requestHeaders(req: Request, remote: string): Record<string, string> {
  const headers: Record<string, string> = {};
  req.headers.forEach((v, k) => (headers[k] = v));
  delete headers["cf-connecting-ip"];
  headers["x-forwarded-for"] = headers["x-forwarded-for"] ? `${headers["x-forwarded-for"]}, ${remote}` : remote;
  return headers;
}

/**
 * Request bodies larger than this are refused with 413 before anything reads them (Supabase's
 * API gateway refuses oversized bodies before they reach PostgREST, Auth or Realtime as well).
 */
export const MAX_BODY_BYTES = 1024 * 1024;

const tooLarge = () =>
  json(413, { code: "PGRST413", message: "Payload Too Large", details: null, hint: `The request body is limited to ${MAX_BODY_BYTES} bytes.` });

/**
 * The request with its body read up to MAX_BODY_BYTES, or a 413 answer: a declared
 * Content-Length over the limit is refused unread, and a streamed body is cut off at the limit.
 */
async function boundedBody(req: Request): Promise<Request | Response> {
  if (!req.body) return req;
  const declared = Number(req.headers.get("content-length") ?? "NaN");
  if (declared > MAX_BODY_BYTES) {
    req.body.cancel().catch(() => {});
    return tooLarge();
  }
  const reader = req.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_BODY_BYTES) {
      reader.cancel().catch(() => {});
      return tooLarge();
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) (body.set(c, at), at += c.byteLength);
  return new Request(req.url, { method: req.method, headers: req.headers, body, signal: req.signal });
}

const pageRoutes: [RegExp, string][] = [
  [/^\/$/, "/index.html"],
  [/^\/p\/[^/]+\/[^/]+\/?$/, "/guest.html"],
  [/^\/door\/?$/, "/door.html"],
  [/^\/live\/?$/, "/live.html"],
  [/^\/manage\/?$/, "/manage.html"],
  [/^\/promoter\/?$/, "/promoter.html"],
  [/^\/me\/?$/, "/me.html"],
  [/^\/ops\/?$/, "/ops.html"],
];
const staticTypes: Record<string, string> = {
  html: "text/html; charset=utf-8", js: "text/javascript; charset=utf-8", css: "text/css; charset=utf-8",
  svg: "image/svg+xml", png: "image/png", json: "application/json", webmanifest: "application/manifest+json", ico: "image/x-icon", txt: "text/plain; charset=utf-8",
};
const compressible = /^(text\/|application\/(manifest\+)?json|image\/svg)/;

/**
 * The static pages (PAGES_DIR, built by scripts/build-pages.mjs), as a static host in front of a
 * Supabase project serves them: page routes to their HTML file, hashed assets cached for good,
 * HTML and config.js revalidated, gzip when the browser accepts it, old `/promotor/<p>/<e>`
 * links redirected to `/p/<p>/<e>`, and 404.html for anything else.
 */
async function serveStatic(req: Request, url: URL): Promise<Response> {
  const path = url.pathname;
  if (req.method !== "GET" && req.method !== "HEAD") return json(405, { message: "Method not allowed" }, { Allow: "GET, HEAD" });
  const old = path.match(/^\/promotor\/([^/]+)\/([^/]+)\/?$/);
  if (old) return new Response(null, { status: 301, headers: { Location: `/p/${old[1]}/${old[2]}${url.search}` } });
  const route = pageRoutes.find(([re]) => re.test(path))?.[1];
  const file = route ?? (path.split("/").some((seg) => seg === ".." || seg.startsWith(".")) ? null : path);
  let status = 200;
  let body: Uint8Array | null = null;
  let name = file ?? "/404.html";
  if (file && !file.endsWith("/")) {
    try { body = await Deno.readFile(`${pagesDir}${file}`); } catch { /* 404 below */ }
  }
  if (!body) {
    status = 404;
    name = "/404.html";
    try { body = await Deno.readFile(`${pagesDir}/404.html`); } catch { return json(404, { message: "Not found" }); }
  }
  const type = staticTypes[name.split(".").pop()!] ?? "application/octet-stream";
  const headers: Record<string, string> = {
    "Content-Type": type,
    "Cache-Control": name.startsWith("/assets/") ? "public, max-age=31536000, immutable" : "no-cache",
    "X-Content-Type-Options": "nosniff",
    Vary: "Accept-Encoding",
  };
  if (compressible.test(type) && /\bgzip\b/.test(req.headers.get("accept-encoding") ?? "") && body.length > 256) {
    headers["Content-Encoding"] = "gzip";
    const stream = new Blob([body as BlobPart]).stream().pipeThrough(new CompressionStream("gzip"));
    return new Response(req.method === "HEAD" ? null : stream, { status, headers });
  }
  return new Response(req.method === "HEAD" ? null : body as BlobPart, { status, headers });
}

async function route(req: Request, remote: string): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  const isFunction = path.startsWith("/functions/v1/");
  if (req.method === "OPTIONS" && !isFunction) return preflight(req);
  if (path === "/health") {
    // Open, as a load balancer's probe must be; the deployed functions only with the service key.
    const operator = await metrics.isOperator(req);
    return json(200, { ok: true, realtime: realtime.listening ? "listening" : "reconnecting", ...(operator ? { functions: loaded } : {}) });
  }

  const api = ["/rest/v1/", "/auth/v1/", "/functions/v1/", "/realtime/v1/"].find((p) => path.startsWith(p));
  if (!api) return serveStatic(req, url);
  // The JWKS is public on Supabase, like any JWKS; the websocket checks its apikey itself. Auth's
  // email-link endpoint is open too: the link in an email carries no apikey.
  const open = path.startsWith("/realtime/v1/websocket") || path === "/auth/v1/.well-known/jwks.json" ||
    (path === "/auth/v1/verify" && req.method === "GET");
  if (!(isFunction && req.method === "OPTIONS") && !open) {
    const refused = await checkApiKey(req, url);
    if (refused) return refused;
  }
  const bounded = await boundedBody(req);
  if (bounded instanceof Response) return bounded;
  req = api === "/functions/v1/" ? bounded : withRoleToken(bounded);

  if (api === "/rest/v1/") {
    const m = path.match(/^\/rest\/v1\/rpc\/([A-Za-z0-9_]+)$/);
    if (!m) return pgrstError(404, "PGRST125", `Invalid path specified in request URL`, null, "The local stack serves RPC only");
    const jwtStart = performance.now();
    const caller = await callerOf(req);
    if (caller instanceof Response) return caller;
    return rest.handle(req, m[1], caller.role, caller.claims, requestHeaders(req, remote), performance.now() - jwtStart);
  }
  if (api === "/auth/v1/") return auth.handle(req, path.slice(api.length), remote);
  if (api === "/functions/v1/") {
    // Supabase's edge runtime hands a function the client's x-forwarded-for as well.
    const forwarded = new Request(req, { headers: requestHeaders(req, remote) });
    return functions.handle(forwarded, path.slice(api.length).split("/")[0]);
  }
  if (path === "/realtime/v1/websocket") return realtime.upgrade(req, remote, asJwt(url.searchParams.get("apikey")) ?? "");
  if (path.startsWith("/realtime/v1/api/broadcast")) return realtime.broadcastApi(req, path.slice("/realtime/v1/api/broadcast".length));
  return json(404, { message: "Not found" });
}

Deno.serve({
  hostname: "127.0.0.1",
  port,
  onListen: () => console.log(`gateway listening on ${apiUrl} (functions: ${loaded.join(", ") || "none"})`),
}, (req, info) => metrics.measure(req, async () => {
  try {
    return await route(req, (info.remoteAddr as Deno.NetAddr).hostname);
  } catch (e) {
    console.error(e);
    return json(500, { message: "Internal gateway error" });
  }
}));
