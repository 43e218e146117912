// The part of Supabase Auth (GoTrue) the organisers and staff use, with GoTrue's rules:
// - POST /token?grant_type=password: the user is looked up by email first, then one bcrypt;
//   a wrong password, an unknown email or a user without a usable password all answer 400
//   invalid_credentials; an unconfirmed email 400 email_not_confirmed; a banned user 400
//   user_banned. A row GoTrue could not read (NULL in a token column) answers 500 as GoTrue does.
// - a session (auth.sessions) and a refresh token (auth.refresh_tokens) per sign-in;
//   grant_type=refresh_token rotates the token; reusing a revoked one outside the reuse
//   interval revokes the whole session and answers 400 refresh_token_already_used.
// - POST /logout[?scope=global|local|others] deletes sessions (and with them their refresh
//   tokens); an access token of a deleted session is refused by GET /user and /logout with 403
//   session_not_found. (PostgREST does not look at sessions, on Supabase either: it accepts the
//   access token until it expires.)
// - /token is rate limited per client address as GoTrue's `limiterOpts.Token` does: a token
//   bucket of `[auth.rate_limit] token_refresh` requests per 5 minutes, burst 30; over it,
//   429 over_request_rate_limit, before any database work.
// - user access tokens are ES256 with a `kid`; GET /.well-known/jwks.json publishes the key.
// - invitations, magic links and recovery links are emailed to the local mail catcher (below).
import { type Claims, JwtError, type Keys } from "./jwt.ts";
import { bearer, json } from "./http.ts";
import { isConnectionError, type Pool, type Tx } from "./pool.ts";
import { createHash } from "node:crypto";
import { parse } from "smol-toml";

const NIL_INSTANCE = "00000000-0000-0000-0000-000000000000";
/** Columns GoTrue reads into Go strings: a NULL there makes GoTrue fail on the whole row. */
const STRING_COLUMNS = [
  "confirmation_token", "recovery_token", "email_change_token_new", "email_change", "email_change_token_current",
  "phone_change", "phone_change_token", "reauthentication_token",
] as const;

type UserRow = {
  id: string; aud: string | null; role: string | null; email: string | null; phone: string | null; encrypted_password: string | null;
  created_at: Date | null; updated_at: Date | null; email_confirmed_at: Date | null; phone_confirmed_at: Date | null;
  confirmed_at: Date | null; last_sign_in_at: Date | null; banned_until: Date | null; raw_app_meta_data: unknown;
  raw_user_meta_data: unknown; is_anonymous: boolean;
} & Record<(typeof STRING_COLUMNS)[number], string | null>;

type IdentityRow = {
  id: string; provider_id: string; user_id: string; identity_data: unknown; provider: string; email: string | null;
  last_sign_in_at: Date | null; created_at: Date | null; updated_at: Date | null;
};

export type AuthConfig = {
  /** access token lifetime, seconds (`[auth] jwt_expiry`) */
  jwtExpiry: number;
  /** `[auth] refresh_token_reuse_interval`, seconds */
  reuseInterval: number;
  /** `[auth] enable_refresh_token_rotation` */
  rotation: boolean;
  /** `[auth.rate_limit] token_refresh`: /token requests per 5 minutes per address */
  tokenRate: number;
  /** `[auth.rate_limit] sign_in_sign_ups`: PUT /user requests per 5 minutes per address (GoTrue's RATE_LIMIT_OTP) */
  userRate: number;
  /** `[auth.rate_limit] token_verifications`: /verify requests per 5 minutes per address */
  verifyRate: number;
  /** `[auth] minimum_password_length` */
  minPasswordLength: number;
  /** `[auth] password_requirements`, as the character sets a password must each touch */
  requiredCharacters: string[];
  /** `[auth.email] secure_password_change`: a session older than 24 h needs a reauthentication nonce */
  securePasswordChange: boolean;
  /** `[auth] site_url` and `additional_redirect_urls`: where email links may send the user */
  siteUrl: string;
  redirectUrls: string[];
};

const LOWER = "abcdefghijklmnopqrstuvwxyz";
const UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const DIGITS = "0123456789";
const SYMBOLS = "!@#$%^&*()_+-=[]{};'\\:\"|<>?,./`~";
/** The CLI's `password_requirements` values, as the character sets GoTrue is configured with. */
const PASSWORD_REQUIREMENTS: Record<string, string[]> = {
  "": [],
  letters_digits: [LOWER + UPPER, DIGITS],
  lower_upper_letters_digits: [LOWER, UPPER, DIGITS],
  lower_upper_letters_digits_symbols: [LOWER, UPPER, DIGITS, SYMBOLS],
};
/** GoTrue's MaxPasswordLength: bcrypt reads 72 bytes. */
const MAX_PASSWORD_LENGTH = 72;
/** A bcrypt hash of nothing anyone knows: an unknown email costs the same bcrypt as a known one. */
const TIMING_HASH = "$2a$10$" + "N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy";

/** A link issued for an email: what the email or generate_link's answer carries. */
type Issued = { user: UserRow; type: string; actionLink: string; otp: string; hashed: string; redirectTo: string };

/** The sender the CLI's local Auth uses (`[local_smtp]` admin_email and sender_name defaults). */
const MAIL_FROM = { email: "admin@email.com", name: "Admin" };

/** GoTrue's default email subjects and templates per link type, and its answer when sending fails. */
const MAIL_TEMPLATES: Record<string, { subject: string; html: string; text: string; failure: string }> = Object.fromEntries(
  ([
    ["invite", "You have been invited", "You have been invited",
      "You have been invited to create a user on {{ .SiteURL }}. Follow this link to accept the invite:", "Accept the invite",
      "Error sending invite email"],
    ["signup", "Confirm Your Signup", "Confirm your signup", "Follow this link to confirm your user:", "Confirm your mail",
      "Error sending confirmation email"],
    ["magiclink", "Your Magic Link", "Magic Link", "Follow this link to login:", "Log In", "Error sending magic link email"],
    ["recovery", "Reset Your Password", "Reset Password", "Follow this link to reset the password for your user:",
      "Reset Password", "Error sending recovery email"],
  ] as const).map(([type, subject, title, intro, action, failure]) => [type, {
    subject, failure,
    html: `<h2>${title}</h2>\n\n<p>${intro}</p>\n<p><a href="{{ .ConfirmationURL }}">${action}</a></p>\n` +
      `<p>Alternatively, enter the code: {{ .Token }}</p>\n`,
    text: `${title}\n\n${intro}\n{{ .ConfirmationURL }}\n\nAlternatively, enter the code: {{ .Token }}\n`,
  }]),
);

MAIL_TEMPLATES.reauthentication = {
  subject: "Confirm reauthentication", failure: "Error sending reauthentication email",
  html: "<h2>Confirm reauthentication</h2>\n\n<p>Enter the code: {{ .Token }}</p>\n",
  text: "Confirm reauthentication\n\nEnter the code: {{ .Token }}\n",
};

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** GoTrue's error body (the initial API version's shape; `versioned` gives 2024-01-01's). */
export const authError = (status: number, errorCode: string, msg: string, headers: Record<string, string> = {}) =>
  json(status, { code: status, error_code: errorCode, msg }, { "x-sb-error-code": errorCode, ...headers });

/**
 * GoTrue's `X-Supabase-Api-Version` (apiversions.go): a date from 2024-01-01 on selects that
 * version; none, an earlier one or a malformed one the initial version.
 */
export function apiVersionOf(header: string | null): "2024-01-01" | null {
  const m = (header ?? "").match(/^(\d{4})-(\d{2})-(\d{2})$/);
  if (!m) return null;
  const date = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])));
  if (date.getUTCMonth() !== Number(m[2]) - 1 || date.getUTCDate() !== Number(m[3])) return null;
  return header! >= "2024-01-01" ? "2024-01-01" : null;
}

/**
 * An error answer in the shape the request's API version asks for, as GoTrue's
 * HandleResponseError: from 2024-01-01 `{code: <error code>, message}` (and `weak_password`),
 * with the version echoed in `X-Supabase-Api-Version`; before it `{code: <status>, error_code,
 * msg}`. `x-sb-error-code` carries the code in both, except on 2024-01-01's weak password answer.
 */
export async function versioned(req: Request, res: Response): Promise<Response> {
  if (res.status < 400 || apiVersionOf(req.headers.get("x-supabase-api-version")) === null) return res;
  const body = await res.clone().json().catch(() => null) as
    { error_code?: unknown; msg?: unknown; weak_password?: unknown } | null;
  if (!body || typeof body.error_code !== "string") return res;
  const headers = new Headers(res.headers);
  headers.set("X-Supabase-Api-Version", "2024-01-01");
  if (body.weak_password) headers.delete("x-sb-error-code");
  const out = { code: body.error_code, message: body.msg, ...(body.weak_password ? { weak_password: body.weak_password } : {}) };
  return new Response(JSON.stringify(out), { status: res.status, headers });
}

/**
 * Reads the settings the local Auth honours from supabase/config.toml (CLI defaults otherwise).
 * GOTRUE_RATE_LIMIT_TOKEN_REFRESH in the environment overrides the /token rate, as it does for a
 * self-hosted GoTrue.
 */
export function authConfigFrom(toml: string, env: Record<string, string | undefined> = {}): AuthConfig {
  const auth = (parse(toml) as { auth?: Record<string, unknown> }).auth ?? {};
  const limits = (auth.rate_limit ?? {}) as Record<string, unknown>;
  const num = (value: unknown, fallback: number) => typeof value === "number" ? value : fallback;
  return {
    jwtExpiry: num(auth.jwt_expiry, 3600),
    reuseInterval: num(auth.refresh_token_reuse_interval, 10),
    rotation: auth.enable_refresh_token_rotation !== false,
    tokenRate: Number(env.GOTRUE_RATE_LIMIT_TOKEN_REFRESH ?? "") || num(limits.token_refresh, 150),
    userRate: num(limits.sign_in_sign_ups, 30),
    verifyRate: num(limits.token_verifications, 30),
    minPasswordLength: num(auth.minimum_password_length, 6),
    requiredCharacters: PASSWORD_REQUIREMENTS[String(auth.password_requirements ?? "")] ?? [],
    securePasswordChange: ((auth.email ?? {}) as Record<string, unknown>).secure_password_change === true,
    siteUrl: typeof auth.site_url === "string" ? auth.site_url : "http://127.0.0.1:3000",
    redirectUrls: Array.isArray(auth.additional_redirect_urls) ? auth.additional_redirect_urls.map(String) : [],
  };
}

/**
 * GoTrue's checkPasswordStrength: over 72 characters 400 validation_failed; shorter than
 * `minimum_password_length` or missing a required character set 422 weak_password with the
 * reasons. Null when the password is acceptable.
 */
export function passwordProblem(password: string, config: Pick<AuthConfig, "minPasswordLength" | "requiredCharacters">): Response | null {
  if (password.length > MAX_PASSWORD_LENGTH) {
    return authError(400, "validation_failed", `Password cannot be longer than ${MAX_PASSWORD_LENGTH} characters`);
  }
  const reasons: string[] = [];
  const messages: string[] = [];
  if (password.length < config.minPasswordLength) {
    reasons.push("length");
    messages.push(`Password should be at least ${config.minPasswordLength} characters.`);
  }
  if (config.requiredCharacters.some((set) => ![...set].some((c) => password.includes(c)))) {
    reasons.push("characters");
    messages.push(`Password should contain at least one character of each: ${config.requiredCharacters.join(", ")}.`);
  }
  if (reasons.length === 0) return null;
  return json(422, { code: 422, error_code: "weak_password", msg: messages.join(" "), weak_password: { reasons } },
    { "x-sb-error-code": "weak_password" });
}

/** A glob of `additional_redirect_urls` as GoTrue compiles it: `*` stops at `.` and `/`, `**` does not. */
function globMatch(pattern: string, value: string): boolean {
  const re = pattern.split("**").map((part) =>
    part.split("*").map((lit) => lit.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^./]*")
  ).join(".*");
  return new RegExp(`^${re}$`).test(value);
}

const isLoopback = (host: string) => host === "localhost" || host === "[::1]" || host === "::1" || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * GoTrue's IsRedirectURLValid: back to the site (scheme, host and port; any port on a loopback
 * host), a loopback address, or a match of `additional_redirect_urls` (without the fragment).
 * Decimal-IP hosts and unusual host names are refused.
 */
export function isRedirectUrlValid(redirect: string, sites: string[], allowList: string[]): boolean {
  if (!redirect) return false;
  // The host as written (WHATWG URL turns a decimal host such as 2130706433 into 127.0.0.1; Go does not).
  const written = redirect.match(/^[a-z][a-z0-9+.-]*:\/\/(?:[^/?#@]*@)?([^/?#:]*)/i)?.[1] ?? "";
  if (/^\d+$/.test(written)) return false;
  let ref: URL;
  try {
    ref = new URL(redirect);
  } catch {
    return false;
  }
  for (const site of sites) {
    try {
      const base = new URL(site);
      if (base.hostname === ref.hostname && base.protocol === ref.protocol && (base.port === ref.port || isLoopback(ref.hostname))) return true;
    } catch { /* a malformed site_url allows nothing */ }
  }
  const http = ref.protocol === "http:" || ref.protocol === "https:";
  if (/^[\d.]+$/.test(ref.hostname) || ref.hostname.startsWith("[")) return isLoopback(ref.hostname);
  if (http && !/^[a-zA-Z0-9.-]+$/.test(ref.hostname)) return false;
  const bare = redirect.split("#")[0];
  return allowList.some((p) => globMatch(p, bare));
}

/** tollbooth's token bucket, one per client address: `rate` per second, `burst` at most. */
class Limiter {
  #buckets = new Map<string, { tokens: number; at: number }>();
  constructor(readonly rate: number, readonly burst: number) {}

  take(key: string): boolean {
    const now = Date.now() / 1000;
    const b = this.#buckets.get(key) ?? { tokens: this.burst, at: now };
    b.tokens = Math.min(this.burst, b.tokens + (now - b.at) * this.rate);
    b.at = now;
    this.#buckets.set(key, b);
    if (this.#buckets.size > 100_000) this.#sweep(now);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  #sweep(now: number) {
    for (const [k, b] of this.#buckets) if (b.tokens + (now - b.at) * this.rate >= this.burst) this.#buckets.delete(k);
  }
}

/** GoTrue's refresh tokens: 12 random bytes, base64url. */
const newRefreshToken = () => {
  const bytes = crypto.getRandomValues(new Uint8Array(12));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

function userJson(u: UserRow, identities: IdentityRow[]) {
  return {
    id: u.id, aud: u.aud ?? "", role: u.role ?? "", email: u.email ?? "", email_confirmed_at: u.email_confirmed_at ?? undefined,
    phone: u.phone ?? "", confirmed_at: u.confirmed_at ?? undefined, last_sign_in_at: u.last_sign_in_at ?? undefined,
    app_metadata: u.raw_app_meta_data ?? {}, user_metadata: u.raw_user_meta_data ?? {},
    identities: identities.map((i) => ({
      identity_id: i.id, id: i.provider_id, user_id: i.user_id, identity_data: i.identity_data, provider: i.provider,
      last_sign_in_at: i.last_sign_in_at, created_at: i.created_at, updated_at: i.updated_at, email: i.email ?? undefined,
    })),
    created_at: u.created_at, updated_at: u.updated_at, is_anonymous: u.is_anonymous,
  };
}

class AuthFailure extends Error {
  constructor(readonly response: Response) {
    super("auth failure");
  }
}

export class Auth {
  readonly #limiter: Limiter;
  readonly #userLimiter: Limiter;
  readonly #verifyLimiter: Limiter;

  /** `mailUrl`: the mail catcher whose send API takes Auth's emails (null: every email fails, 500). */
  constructor(readonly pool: Pool, readonly keys: Keys, readonly apiUrl: string, readonly config: AuthConfig,
    readonly mailUrl: string | null = null) {
    this.#limiter = new Limiter(config.tokenRate / 300, 30);
    this.#userLimiter = new Limiter(config.userRate / 300, 30);
    this.#verifyLimiter = new Limiter(config.verifyRate / 300, 30);
  }

  async handle(req: Request, path: string, clientIp: string): Promise<Response> {
    return versioned(req, await this.#route(req, path, clientIp));
  }

  async #route(req: Request, path: string, clientIp: string): Promise<Response> {
    try {
      // GoTrue's limiterOpts.User (PUT /user) and limiterOpts.Verify (/verify), per address.
      if (path === "user" && req.method === "PUT" && !this.#userLimiter.take(clientIp)) {
        return authError(429, "over_request_rate_limit", "Request rate limit reached");
      }
      if (path === "verify" && !this.#verifyLimiter.take(clientIp)) {
        return authError(429, "over_request_rate_limit", "Request rate limit reached");
      }
      const link = await this.#emailLinks(req, path);
      if (link) return link;
      if (path === ".well-known/jwks.json" && req.method === "GET") return json(200, this.keys.jwks());
      if (path === "token" && req.method === "POST") return await this.#token(req, clientIp);
      if (path === "user" && req.method === "GET") return await this.#getUser(req);
      if (path === "logout" && req.method === "POST") return await this.#logout(req);
      return authError(404, "not_found", "This Auth endpoint is not provided by the local stack");
    } catch (e) {
      if (e instanceof AuthFailure) return e.response;
      if (isConnectionError(e)) return authError(503, "unexpected_failure", "Database unavailable", { "Retry-After": "1" });
      throw e;
    }
  }

  async #token(req: Request, clientIp: string): Promise<Response> {
    const grant = new URL(req.url).searchParams.get("grant_type");
    if (!["password", "refresh_token"].includes(grant ?? "")) {
      return authError(400, "invalid_credentials", "unsupported_grant_type");
    }
    if (!this.#limiter.take(clientIp)) return authError(429, "over_request_rate_limit", "Request rate limit reached");
    const body = await this.#jsonBody(req);
    return grant === "password" ? await this.#password(body) : await this.#refresh(body);
  }

  async #password(body: Record<string, unknown>): Promise<Response> {
    const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
    const password = typeof body.password === "string" ? body.password : "";
    if (!email) return authError(400, "validation_failed", "missing email or phone");
    return await this.pool.tx("read write", async (tx) => {
      const [user] = await tx<UserRow[]>`select * from auth.users
        where instance_id = ${NIL_INSTANCE} and lower(email) = ${email} and aud = 'authenticated' and is_sso_user = false`;
      // An unknown email, or one without a usable bcrypt hash (empty, NULL, another scheme), costs
      // the same bcrypt as a wrong password, so the answer's time does not tell which emails exist
      // (GoTrue answers those without hashing).
      const refuse = async () => {
        await tx`select extensions.crypt(${password}, ${TIMING_HASH})`;
        return authError(400, "invalid_credentials", "Invalid login credentials");
      };
      if (!user) return await refuse();
      readable(user);
      const hash = user.encrypted_password ?? "";
      if (!/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) return await refuse();
      if (user.banned_until && user.banned_until.getTime() > Date.now()) return authError(400, "user_banned", "User is banned");
      const [{ ok }] = await tx`select extensions.crypt(${password}, ${hash}) = ${hash} as ok`;
      if (!ok) return authError(400, "invalid_credentials", "Invalid login credentials");
      if (!user.email_confirmed_at) return authError(400, "email_not_confirmed", "Email not confirmed");

      const sessionId = crypto.randomUUID();
      const [signedIn] = await tx<UserRow[]>`update auth.users set last_sign_in_at = now(), updated_at = now()
        where id = ${user.id} returning *`;
      await tx`insert into auth.sessions (id, user_id, created_at, updated_at, aal)
        values (${sessionId}, ${user.id}, now(), now(), 'aal1')`;
      const refresh = await this.#issueRefreshToken(tx, user.id, sessionId, null);
      return json(200, await this.#tokenResponse(tx, signedIn, sessionId, refresh));
    });
  }

  async #refresh(body: Record<string, unknown>): Promise<Response> {
    const token = typeof body.refresh_token === "string" ? body.refresh_token : "";
    if (!token) return authError(400, "validation_failed", "Refresh Token is required");
    const notFound = () => authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
    return await this.pool.tx("read write", async (tx) => {
      const [row] = await tx<{ id: string; token: string; revoked: boolean; session_id: string | null; updated_at: Date }[]>`
        select * from auth.refresh_tokens where token = ${token} for update`;
      if (!row || !row.session_id) return notFound();
      const [session] = await tx`select user_id from auth.sessions where id = ${row.session_id} for update`;
      if (!session) return notFound();
      const [user] = await tx<UserRow[]>`select * from auth.users where id = ${session.user_id}`;
      if (!user) return notFound();
      readable(user);
      if (user.banned_until && user.banned_until.getTime() > Date.now()) return authError(400, "user_banned", "User is banned");

      let issued: string;
      if (row.revoked) {
        const [active] = await tx<{ token: string; parent: string | null }[]>`select token, parent from auth.refresh_tokens
          where session_id = ${row.session_id} and revoked = false order by id desc limit 1`;
        if (active && active.parent === row.token) {
          // The client lost the answer to its last refresh: it gets the current token again.
          issued = active.token;
        } else if (this.config.rotation && Date.now() - row.updated_at.getTime() > this.config.reuseInterval * 1000) {
          // Reuse of an old token: someone else may hold it. The whole session is revoked.
          await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where session_id = ${row.session_id} and revoked = false`;
          // Returned, not thrown, so that the revocation commits.
          return authError(400, "refresh_token_already_used", "Invalid Refresh Token: Already Used");
        } else {
          issued = await this.#issueRefreshToken(tx, user.id, row.session_id, row.token);
        }
      } else {
        await tx`update auth.refresh_tokens set revoked = true, updated_at = now() where id = ${row.id}`;
        issued = await this.#issueRefreshToken(tx, user.id, row.session_id, row.token);
      }
      await tx`update auth.sessions set refreshed_at = now(), updated_at = now() where id = ${row.session_id}`;
      return json(200, await this.#tokenResponse(tx, user, row.session_id, issued));
    });
  }

  async #issueRefreshToken(tx: Tx, userId: string, sessionId: string, parent: string | null): Promise<string> {
    const token = newRefreshToken();
    await tx`insert into auth.refresh_tokens (instance_id, token, user_id, revoked, created_at, updated_at, parent, session_id)
      values (${NIL_INSTANCE}, ${token}, ${userId}, false, now(), now(), ${parent}, ${sessionId})`;
    return token;
  }

  async #tokenResponse(tx: Tx, u: UserRow, sessionId: string, refreshToken: string) {
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      iss: `${this.apiUrl}/auth/v1`, sub: u.id, aud: u.aud ?? "authenticated", exp: now + this.config.jwtExpiry, iat: now,
      email: u.email ?? "", phone: u.phone ?? "", app_metadata: u.raw_app_meta_data ?? {}, user_metadata: u.raw_user_meta_data ?? {},
      role: u.role ?? "", aal: "aal1", amr: [{ method: "password", timestamp: now }], session_id: sessionId,
      is_anonymous: u.is_anonymous,
    };
    return {
      access_token: await this.keys.signEs256(claims), token_type: "bearer", expires_in: this.config.jwtExpiry,
      expires_at: now + this.config.jwtExpiry, refresh_token: refreshToken, user: userJson(u, await this.#identities(tx, u.id)),
    };
  }

  #identities(tx: Tx, userId: string) {
    return tx<IdentityRow[]>`select * from auth.identities where user_id = ${userId} order by created_at`;
  }

  /** GoTrue's requireAuthentication: a valid access token whose user and session still exist. */
  async #authenticated(req: Request, tx: Tx): Promise<{ claims: Claims; user: UserRow }> {
    const token = bearer(req);
    if (!token) throw new AuthFailure(authError(401, "no_authorization", "This endpoint requires a valid Bearer token"));
    let claims: Claims;
    try {
      claims = await this.keys.verify(token);
    } catch (e) {
      throw new AuthFailure(authError(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${(e as JwtError).message}`));
    }
    if (typeof claims.sub !== "string" || !/^[0-9a-f-]{36}$/i.test(claims.sub)) {
      throw new AuthFailure(authError(403, "bad_jwt", "invalid claim: missing sub claim"));
    }
    const [user] = await tx<UserRow[]>`select * from auth.users where id = ${claims.sub}`;
    if (!user) throw new AuthFailure(authError(403, "user_not_found", "User from sub claim in JWT does not exist"));
    if (typeof claims.session_id === "string" && claims.session_id !== "") {
      const [session] = /^[0-9a-f-]{36}$/i.test(claims.session_id)
        ? await tx`select id from auth.sessions where id = ${claims.session_id}`
        : [];
      if (!session) throw new AuthFailure(authError(403, "session_not_found", "Session from session_id claim in JWT does not exist"));
    }
    return { claims, user };
  }

  async #getUser(req: Request): Promise<Response> {
    return await this.pool.tx("read only", async (tx) => {
      const { user } = await this.#authenticated(req, tx);
      readable(user);
      return json(200, userJson(user, await this.#identities(tx, user.id)));
    });
  }

  async #logout(req: Request): Promise<Response> {
    const scope = new URL(req.url).searchParams.get("scope") ?? "global";
    if (!["global", "local", "others"].includes(scope)) {
      return authError(400, "validation_failed", "Unsupported logout scope, must be one of: global, local, others");
    }
    return await this.pool.tx("read write", async (tx) => {
      const { claims, user } = await this.#authenticated(req, tx);
      const sessionId = typeof claims.session_id === "string" ? claims.session_id : null;
      if (scope === "local" && sessionId) await tx`delete from auth.sessions where id = ${sessionId}`;
      else if (scope === "others" && sessionId) await tx`delete from auth.sessions where user_id = ${user.id} and id <> ${sessionId}`;
      else if (scope === "global") await tx`delete from auth.sessions where user_id = ${user.id}`;
      // Realtime re-authorizes this user's channels once the sign-out commits (realtime.ts).
      await tx`select pg_notify('realtime:broadcast', ${JSON.stringify({ reauthorize: user.id })})`;
      return new Response(null, { status: 204, headers: { "Access-Control-Allow-Origin": "*" } });
    });
  }

  // ===========================================================================================
  // Email links (invitations, magic links, password recovery), as GoTrue shapes them:
  //   POST /invite                (service role)  creates the user, emails the invitation
  //   POST /otp {email, create_user?}             emails a magic link (a confirmation link to an
  //                                               unconfirmed user); never creates a user here
  //                                               (sign-ups are off, as in config.toml)
  //   POST /recover {email}                       emails a recovery link; 200 {} either way
  //   POST /admin/generate_link   (service role)  the same link, returned instead of sent
  //   GET  /verify?token&type&redirect_to         the link itself: signs in, redirects with the
  //                                               session in the URL fragment
  //   POST /verify {type, token_hash}             the same, answering the session as JSON
  //   PUT  /user {password?, data?, nonce?}       the signed-in user sets a password: GoTrue's
  //                                               password rules from config.toml, a different
  //                                               password, and with secure_password_change a
  //                                               session under 24 h old or a nonce from
  //   GET  /reauthenticate                        a one-time code emailed to the signed-in user
  // Emails go to the local mail catcher (MAIL_URL, its send API), where GoTrue would speak SMTP
  // to the project's mail server (Mailpit under `supabase start`), with GoTrue's default subjects
  // and texts; a link is never written to a log nor answered by the sending endpoints. Tokens are
  // stored as GoTrue stores them (sha224 of email + one-time code, in confirmation_token /
  // recovery_token, '' when unused), valid for an hour and single use.
  // ===========================================================================================

  async #emailLinks(req: Request, path: string): Promise<Response | null> {
    if (path === "invite" && req.method === "POST") return await this.#admin(req, (body) => this.#send(req, "invite", body));
    if (path === "otp" && req.method === "POST") return await this.#otp(req);
    if (path === "recover" && req.method === "POST") return await this.#send(req, "recovery", await this.#jsonBody(req));
    if (path === "admin/generate_link" && req.method === "POST") {
      return await this.#admin(req, (body) => this.#generateLink(req, body));
    }
    if (path === "verify" && req.method === "GET") return await this.#verifyRedirect(req);
    if (path === "verify" && req.method === "POST") return await this.#verifyPost(req);
    if (path === "user" && req.method === "PUT") return await this.#updateUser(req);
    if (path === "reauthenticate" && req.method === "GET") return await this.#reauthenticate(req);
    return null;
  }

  async #jsonBody(req: Request): Promise<Record<string, unknown>> {
    let body: Record<string, unknown>;
    try {
      body = await req.json();
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw new Error("not an object");
    } catch {
      throw new AuthFailure(authError(400, "bad_json", "Could not parse request body as JSON"));
    }
    // Postgres text cannot hold NUL: refused here as a bad request, never a database error.
    if (JSON.stringify(body).includes("\\u0000")) {
      throw new AuthFailure(authError(400, "validation_failed", "Request body contains a NUL character"));
    }
    return body;
  }

  /** GoTrue's requireAdmin: a token of an admin role (the service role). */
  async #admin(req: Request, then: (body: Record<string, unknown>) => Promise<Response>): Promise<Response> {
    const token = bearer(req);
    if (!token) return authError(401, "no_authorization", "This endpoint requires a valid Bearer token");
    let claims: Claims;
    try {
      claims = await this.keys.verify(token);
    } catch (e) {
      return authError(403, "bad_jwt", `invalid JWT: unable to parse or verify signature, ${(e as JwtError).message}`);
    }
    if (claims.role !== "service_role" && claims.role !== "supabase_admin") return authError(403, "not_admin", "User not allowed");
    return then(await this.#jsonBody(req));
  }

  /** The request's email, lower-cased and checked as GoTrue checks it. */
  #email(body: Record<string, unknown>): string {
    const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
      throw new AuthFailure(authError(400, "validation_failed", "Unable to validate email address: invalid format"));
    }
    return email;
  }

  /** The requested redirect when GoTrue's allow-list accepts it, else the site (getRedirectURLOrReferrer). */
  #redirectTo(req: Request, body: Record<string, unknown>): string {
    return this.#allowedRedirect(String(body.redirect_to ?? new URL(req.url).searchParams.get("redirect_to") ?? ""));
  }

  #allowedRedirect(redirect: string): string {
    return isRedirectUrlValid(redirect, [this.apiUrl, this.config.siteUrl], this.config.redirectUrls) ? redirect : this.apiUrl;
  }

  /**
   * Creates or finds the user and stores a fresh token of `type` for them, inside `tx`. An
   * answer (422 for an invitation to a confirmed user, 404 for recovery of nobody) when GoTrue
   * would refuse.
   */
  async #issue(tx: Tx, type: string, email: string, data: Record<string, unknown>, redirectTo: string): Promise<Issued | Response> {
    const otp = String(crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000).padStart(6, "0");
    const hashed = createHash("sha224").update(email + otp).digest("hex");
    const column = type === "invite" || type === "signup" ? "confirmation_token" : "recovery_token";
    const sentAt = column === "confirmation_token" ? "confirmation_sent_at" : "recovery_sent_at";
    const [existing] = await tx<UserRow[]>`select * from auth.users
      where instance_id = ${NIL_INSTANCE} and lower(email) = ${email} and aud = 'authenticated' for update`;
    if (existing && (type === "invite" || type === "signup") && existing.email_confirmed_at) {
      return authError(422, "email_exists", "A user with this email address has already been registered");
    }
    if (!existing && type === "recovery") return authError(404, "user_not_found", "User with this email not found");
    let user: UserRow;
    if (existing) {
      readable(existing);
      [user] = await tx<UserRow[]>`update auth.users set ${tx(column)} = ${hashed}, ${tx(sentAt)} = now(), updated_at = now()
        where id = ${existing.id} returning *`;
    } else {
      // As GoTrue creates an invited user: no password yet (''), every token column '', an email identity.
      const id = crypto.randomUUID();
      const now = new Date();
      const row: Record<string, unknown> = Object.fromEntries(STRING_COLUMNS.map((c) => [c, ""]));
      Object.assign(row, {
        instance_id: NIL_INSTANCE, id, aud: "authenticated", role: "authenticated", email, encrypted_password: "",
        raw_app_meta_data: tx.json({ provider: "email", providers: ["email"] }), raw_user_meta_data: tx.json(data as never),
        invited_at: type === "invite" ? now : null, created_at: now, updated_at: now, [column]: hashed, [sentAt]: now,
      });
      [user] = await tx<UserRow[]>`insert into auth.users ${tx(row as never)} returning *`;
      await tx`insert into auth.identities (provider_id, user_id, identity_data, provider, created_at, updated_at)
        values (${id}, ${id}, ${tx.json({ sub: id, email, email_verified: false, phone_verified: false })}, 'email', now(), now())`;
    }
    const actionLink = `${this.apiUrl}/auth/v1/verify?token=${hashed}&type=${type}&redirect_to=${encodeURIComponent(redirectTo)}`;
    return { user, type, actionLink, otp, hashed, redirectTo };
  }

  /**
   * POST /invite and /recover: issues the link and emails it in the same transaction (a mail that
   * cannot be delivered leaves no token behind: 500, as GoTrue answers). /recover answers 200 {}
   * whether or not the email has an account.
   */
  async #send(req: Request, type: "invite" | "recovery", body: Record<string, unknown>): Promise<Response> {
    const email = this.#email(body);
    const data = (body.data && typeof body.data === "object" ? body.data : {}) as Record<string, unknown>;
    return await this.pool.tx("read write", async (tx) => {
      const issued = await this.#issue(tx, type, email, data, this.#redirectTo(req, body));
      if (issued instanceof Response) return type === "recovery" && issued.status === 404 ? json(200, {}) : issued;
      await this.#mail(email, issued);
      return type === "invite" ? json(200, userJson(issued.user, await this.#identities(tx, issued.user.id))) : json(200, {});
    });
  }

  /**
   * POST /otp by email: a magic link to a confirmed user, a confirmation link to an unconfirmed
   * one. Nobody is created: sign-ups are off in config.toml (422 signup_disabled), and with
   * `create_user: false` an unknown email is 422 otp_disabled, as GoTrue answers.
   */
  async #otp(req: Request): Promise<Response> {
    const body = await this.#jsonBody(req);
    const email = this.#email(body);
    return await this.pool.tx("read write", async (tx) => {
      const [user] = await tx<{ email_confirmed_at: Date | null }[]>`select email_confirmed_at from auth.users
        where instance_id = ${NIL_INSTANCE} and lower(email) = ${email} and aud = 'authenticated'`;
      if (!user) {
        return body.create_user === false
          ? authError(422, "otp_disabled", "Signups not allowed for otp")
          : authError(422, "signup_disabled", "Signups not allowed for this instance");
      }
      const issued = await this.#issue(tx, user.email_confirmed_at ? "magiclink" : "signup", email, {}, this.#redirectTo(req, body));
      if (issued instanceof Response) return issued;
      await this.#mail(email, issued);
      return json(200, {});
    });
  }

  /** POST /admin/generate_link: the link and its code in the answer, nothing emailed (service role only). */
  async #generateLink(req: Request, body: Record<string, unknown>): Promise<Response> {
    const type = String(body.type ?? "");
    if (!["invite", "magiclink", "recovery", "signup"].includes(type)) {
      return authError(400, "validation_failed", "Invalid email action link type requested");
    }
    const email = this.#email(body);
    const data = (body.data ?? {}) as Record<string, unknown>;
    return await this.pool.tx("read write", async (tx) => {
      const issued = await this.#issue(tx, type, email, data, this.#redirectTo(req, body));
      if (issued instanceof Response) return issued;
      const u = userJson(issued.user, await this.#identities(tx, issued.user.id));
      return json(200, {
        ...u, action_link: issued.actionLink, email_otp: issued.otp, hashed_token: issued.hashed,
        redirect_to: issued.redirectTo, verification_type: type,
      });
    });
  }

  /** Emails a link with GoTrue's default template for its type; a failure fails the request (500). */
  async #mail(to: string, issued: Issued): Promise<void> {
    const t = MAIL_TEMPLATES[issued.type];
    const html = t.html.replaceAll("{{ .ConfirmationURL }}", escapeHtml(issued.actionLink))
      .replaceAll("{{ .Token }}", issued.otp).replaceAll("{{ .SiteURL }}", escapeHtml(this.apiUrl));
    const text = t.text.replaceAll("{{ .ConfirmationURL }}", issued.actionLink)
      .replaceAll("{{ .Token }}", issued.otp).replaceAll("{{ .SiteURL }}", this.apiUrl);
    let ok = false;
    if (this.mailUrl) {
      try {
        const res = await fetch(`${this.mailUrl}/api/v1/send`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ From: { Email: MAIL_FROM.email, Name: MAIL_FROM.name }, To: [{ Email: to }], Subject: t.subject, Text: text, HTML: html }),
        });
        ok = res.ok;
        await res.body?.cancel();
      } catch (e) {
        console.error(`auth: the mail server did not take the ${issued.type} email:`, (e as Error).message);
      }
    }
    if (!ok) throw new AuthFailure(authError(500, "unexpected_failure", t.failure));
  }

  /** Consumes a link's token (confirms the email, clears the token) and signs the user in. */
  async #consume(type: string, tokenHash: string): Promise<Record<string, unknown> | null> {
    const column = type === "invite" || type === "signup" ? "confirmation_token" : "recovery_token";
    const sentAt = column === "confirmation_token" ? "confirmation_sent_at" : "recovery_sent_at";
    if (!["invite", "magiclink", "recovery", "signup", "email"].includes(type) || !/^[0-9a-f]{56}$/.test(tokenHash)) return null;
    return await this.pool.tx("read write", async (tx) => {
      const [user] = await tx<UserRow[]>`update auth.users set ${tx(column)} = '', email_confirmed_at = coalesce(email_confirmed_at, now()),
          last_sign_in_at = now(), updated_at = now()
        where ${tx(column)} = ${tokenHash} and ${tx(sentAt)} > now() - interval '1 hour'
        returning *`;
      if (!user) return null;
      const sessionId = crypto.randomUUID();
      await tx`insert into auth.sessions (id, user_id, created_at, updated_at, aal) values (${sessionId}, ${user.id}, now(), now(), 'aal1')`;
      const refresh = await this.#issueRefreshToken(tx, user.id, sessionId, null);
      return await this.#tokenResponse(tx, user, sessionId, refresh);
    });
  }

  async #verifyRedirect(req: Request): Promise<Response> {
    const q = new URL(req.url).searchParams;
    const redirectTo = this.#allowedRedirect(q.get("redirect_to") ?? "");
    const session = await this.#consume(q.get("type") ?? "", q.get("token") ?? "");
    const fragment = session
      ? new URLSearchParams(Object.entries(session).filter(([k]) => k !== "user").map(([k, v]) => [k, String(v)])
        .concat([["type", q.get("type") ?? ""]]))
      : new URLSearchParams({ error: "access_denied", error_code: "otp_expired", error_description: "Email link is invalid or has expired" });
    return new Response(null, { status: 303, headers: { Location: `${redirectTo}#${fragment}` } });
  }

  async #verifyPost(req: Request): Promise<Response> {
    const body = await this.#jsonBody(req);
    let hash = typeof body.token_hash === "string" ? body.token_hash : "";
    if (!hash && typeof body.token === "string" && typeof body.email === "string") {
      hash = createHash("sha224").update(body.email.trim().toLowerCase() + body.token).digest("hex");
    }
    const session = await this.#consume(String(body.type ?? ""), hash);
    if (!session) return authError(403, "otp_expired", "Token has expired or is invalid");
    return json(200, session);
  }

  /**
   * PUT /user as GoTrue's UserUpdate: a new password must pass checkPasswordStrength (config.toml's
   * minimum_password_length and password_requirements), differ from the current one (422
   * same_password), and with secure_password_change a session older than 24 hours (or none) must
   * send the nonce GET /reauthenticate emailed (400 reauthentication_needed, 422
   * reauthentication_not_valid). Limited per address before any of it (Auth.handle).
   */
  async #updateUser(req: Request): Promise<Response> {
    const body = await this.#jsonBody(req);
    const password = typeof body.password === "string" ? body.password : null;
    if (password !== null) {
      const problem = passwordProblem(password, this.config);
      if (problem) return problem;
    }
    const data = body.data && typeof body.data === "object" ? body.data : {};
    return await this.pool.tx("read write", async (tx) => {
      const { claims, user } = await this.#authenticated(req, tx);
      if (password !== null) {
        if (this.config.securePasswordChange) {
          const [session] = typeof claims.session_id === "string" && /^[0-9a-f-]{36}$/i.test(claims.session_id)
            ? await tx<{ created_at: Date }[]>`select created_at from auth.sessions where id = ${claims.session_id}`
            : [];
          if (!session || Date.now() > session.created_at.getTime() + 24 * 3600_000) {
            const nonce = typeof body.nonce === "string" ? body.nonce : "";
            if (!nonce) return authError(400, "reauthentication_needed", "Password update requires reauthentication");
            const hashed = createHash("sha224").update((user.email ?? "") + nonce).digest("hex");
            const [ok] = await tx`update auth.users set reauthentication_token = '', reauthentication_sent_at = null
              where id = ${user.id} and reauthentication_token = ${hashed} and reauthentication_token <> ''
                and reauthentication_sent_at > now() - interval '1 hour'
              returning id`;
            if (!ok) return authError(422, "reauthentication_not_valid", "Nonce has expired or is invalid");
          }
        }
        const hash = user.encrypted_password ?? "";
        if (/^\$2[abxy]?\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) {
          const [{ same }] = await tx`select extensions.crypt(${password}, ${hash}) = ${hash} as same`;
          if (same) return authError(422, "same_password", "New password should be different from the old password.");
        }
      }
      const [updated] = await tx<UserRow[]>`update auth.users set
          encrypted_password = case when ${password}::text is null then encrypted_password
                                    else extensions.crypt(${password}, extensions.gen_salt('bf', 10)) end,
          raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || ${tx.json(data as never)},
          updated_at = now()
        where id = ${user.id} returning *`;
      return json(200, userJson(updated, await this.#identities(tx, updated.id)));
    });
  }

  /** GET /reauthenticate: emails the signed-in user a one-time code for PUT /user's `nonce`. */
  async #reauthenticate(req: Request): Promise<Response> {
    return await this.pool.tx("read write", async (tx) => {
      const { user } = await this.#authenticated(req, tx);
      if (!user.email) return authError(422, "validation_failed", "Reauthentication requires the user to have an email or a phone number");
      const otp = String(crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000).padStart(6, "0");
      const hashed = createHash("sha224").update(user.email + otp).digest("hex");
      await tx`update auth.users set reauthentication_token = ${hashed}, reauthentication_sent_at = now() where id = ${user.id}`;
      await this.#mail(user.email, { user, type: "reauthentication", actionLink: "", otp, hashed, redirectTo: "" });
      return json(200, {});
    });
  }
}

/** GoTrue scans token columns into Go strings; a NULL there fails the request as it does there. */
function readable(user: UserRow) {
  if (STRING_COLUMNS.some((c) => user[c] === null)) {
    throw new AuthFailure(authError(500, "unexpected_failure", "Database error querying schema"));
  }
}
