// The part of Supabase Auth (GoTrue) the organisers and staff use: password sign-in against
// auth.users (bcrypt), token refresh, the current user, sign-out. Tokens carry the claims
// Supabase issues, so RLS and auth.uid() behave as in production.
import { type Claims, JwtError, signJwt, verifyJwt } from "./jwt.ts";
import { bearer, json } from "./http.ts";
import { isConnectionError, type Pool } from "./pool.ts";
import { createHash } from "node:crypto";

const ACCESS_TTL = 3600;
const REFRESH_TTL = 30 * 24 * 3600;

type UserRow = {
  id: string; aud: string; role: string; email: string; phone: string | null; created_at: Date; updated_at: Date;
  email_confirmed_at: Date | null; last_sign_in_at: Date | null; raw_app_meta_data: unknown; raw_user_meta_data: unknown;
};

const authError = (status: number, errorCode: string, msg: string) => json(status, { code: status, error_code: errorCode, msg });

function userJson(u: UserRow) {
  return {
    id: u.id, aud: u.aud ?? "authenticated", role: u.role ?? "authenticated", email: u.email, phone: u.phone ?? "",
    email_confirmed_at: u.email_confirmed_at, confirmed_at: u.email_confirmed_at, last_sign_in_at: u.last_sign_in_at,
    app_metadata: u.raw_app_meta_data ?? {}, user_metadata: u.raw_user_meta_data ?? {}, identities: [],
    created_at: u.created_at, updated_at: u.updated_at, is_anonymous: false,
  };
}

export class Auth {
  constructor(readonly pool: Pool, readonly secret: string, readonly apiUrl: string) {}

  async #session(u: UserRow, sessionId: string = crypto.randomUUID()) {
    const now = Math.floor(Date.now() / 1000);
    const claims: Claims = {
      aud: "authenticated", exp: now + ACCESS_TTL, iat: now, iss: `${this.apiUrl}/auth/v1`, sub: u.id, email: u.email,
      phone: u.phone ?? "", app_metadata: u.raw_app_meta_data ?? {}, user_metadata: u.raw_user_meta_data ?? {},
      role: "authenticated", aal: "aal1", amr: [{ method: "password", timestamp: now }], session_id: sessionId,
      is_anonymous: false,
    };
    const refresh = await signJwt({ typ: "refresh", sub: u.id, session_id: sessionId, exp: now + REFRESH_TTL }, this.secret);
    return {
      access_token: await signJwt(claims, this.secret), token_type: "bearer", expires_in: ACCESS_TTL,
      expires_at: now + ACCESS_TTL, refresh_token: refresh, user: userJson(u),
    };
  }

  #user(tx: Parameters<Parameters<Pool["tx"]>[1]>[0], id: string) {
    return tx<UserRow[]>`select * from auth.users where id = ${id}`;
  }

  async handle(req: Request, path: string): Promise<Response> {
    try {
      const link = await this.#emailLinks(req, path);
      if (link) return link;
      if (path === "token" && req.method === "POST") return await this.#token(req);
      if (path === "user" && req.method === "GET") return await this.#getUser(req);
      if (path === "logout" && req.method === "POST") return new Response(null, { status: 204 });
      return authError(404, "not_found", "This Auth endpoint is not provided by the local stack");
    } catch (e) {
      if (isConnectionError(e)) return json(503, { code: 503, error_code: "unexpected_failure", msg: "Database unavailable" }, { "Retry-After": "1" });
      throw e;
    }
  }

  async #token(req: Request): Promise<Response> {
    const grant = new URL(req.url).searchParams.get("grant_type");
    let body: Record<string, string>;
    try {
      body = await req.json();
    } catch {
      return authError(400, "bad_json", "Could not parse request body as JSON");
    }
    if (grant === "password") {
      if (typeof body.email !== "string" || typeof body.password !== "string") {
        return authError(400, "validation_failed", "Email and password are required");
      }
      const users = await this.pool.tx("read write", (tx) =>
        tx<UserRow[]>`update auth.users set last_sign_in_at = now()
          where lower(email) = lower(${body.email}) and encrypted_password = extensions.crypt(${body.password}, encrypted_password)
          returning *`);
      if (users.length !== 1) return authError(400, "invalid_credentials", "Invalid login credentials");
      return json(200, await this.#session(users[0]));
    }
    if (grant === "refresh_token") {
      let claims: Claims;
      try {
        claims = await verifyJwt(String(body.refresh_token ?? ""), this.secret);
      } catch {
        return authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
      }
      if (claims.typ !== "refresh") return authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
      const [user] = await this.pool.tx("read only", (tx) => this.#user(tx, String(claims.sub)));
      if (!user) return authError(400, "refresh_token_not_found", "Invalid Refresh Token: Refresh Token Not Found");
      return json(200, await this.#session(user, String(claims.session_id)));
    }
    return authError(400, "validation_failed", "Unsupported grant_type");
  }

  async #getUser(req: Request): Promise<Response> {
    let claims: Claims;
    try {
      claims = await verifyJwt(bearer(req) ?? "", this.secret);
    } catch (e) {
      return authError(401, "bad_jwt", `invalid JWT: ${(e as JwtError).message}`);
    }
    if (claims.role !== "authenticated" || !claims.sub) return authError(403, "bad_jwt", "invalid claim: missing sub claim");
    const [user] = await this.pool.tx("read only", (tx) => this.#user(tx, String(claims.sub)));
    if (!user) return authError(403, "user_not_found", "User from sub claim in JWT does not exist");
    return json(200, userJson(user));
  }

  // ===========================================================================================
  // Email links (invitations, magic links, password recovery), as GoTrue shapes them:
  //   POST /invite                (service role)  creates the user, "sends" the invite email
  //   POST /admin/generate_link   (service role)  the same link, returned instead of sent
  //   GET  /verify?token&type&redirect_to         the link itself: signs in, redirects with the
  //                                               session in the URL fragment
  //   POST /verify {type, token_hash}             the same, answering the session as JSON
  //   PUT  /user {password?, data?}               the signed-in user sets a password
  // There is no mail server here: every link is written to the gateway log, where Supabase's
  // local stack would show the email in its mail catcher. Tokens are stored as GoTrue stores
  // them (sha224 of email + one-time code, in confirmation_token / recovery_token, '' when
  // unused), valid for an hour and single use.
  // ===========================================================================================

  async #emailLinks(req: Request, path: string): Promise<Response | null> {
    if (path === "invite" && req.method === "POST") return await this.#admin(req, (body) => this.#link(req, "invite", body, true));
    if (path === "admin/generate_link" && req.method === "POST") {
      return await this.#admin(req, (body) => this.#link(req, String(body.type ?? ""), body, false));
    }
    if (path === "verify" && req.method === "GET") return await this.#verifyRedirect(req);
    if (path === "verify" && req.method === "POST") return await this.#verifyPost(req);
    if (path === "user" && req.method === "PUT") return await this.#updateUser(req);
    return null;
  }

  async #admin(req: Request, then: (body: Record<string, unknown>) => Promise<Response>): Promise<Response> {
    const token = bearer(req);
    if (!token) return authError(401, "no_authorization", "This endpoint requires a Bearer token");
    let claims: Claims;
    try {
      claims = await verifyJwt(token, this.secret);
    } catch (e) {
      return authError(401, "bad_jwt", `invalid JWT: ${(e as JwtError).message}`);
    }
    if (claims.role !== "service_role" && claims.role !== "supabase_admin") return authError(403, "not_admin", "User not allowed");
    let body: Record<string, unknown>;
    try {
      body = await req.json();
    } catch {
      return authError(400, "bad_json", "Could not parse request body as JSON");
    }
    return then(body);
  }

  /** Creates or finds the user, stores a fresh token, logs the link; `sent` shapes the answer as /invite does. */
  async #link(req: Request, type: string, body: Record<string, unknown>, sent: boolean): Promise<Response> {
    if (!["invite", "magiclink", "recovery", "signup"].includes(type)) {
      return authError(400, "validation_failed", "Invalid email action link type requested");
    }
    const email = typeof body.email === "string" ? body.email.trim().toLowerCase() : "";
    if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) return authError(400, "validation_failed", "Unable to validate email address: invalid format");
    const redirectTo = String(body.redirect_to ?? new URL(req.url).searchParams.get("redirect_to") ?? this.apiUrl);
    const otp = String(crypto.getRandomValues(new Uint32Array(1))[0] % 1_000_000).padStart(6, "0");
    const hashed = createHash("sha224").update(email + otp).digest("hex");
    const column = type === "invite" || type === "signup" ? "confirmation_token" : "recovery_token";
    const sentAt = column === "confirmation_token" ? "confirmation_sent_at" : "recovery_sent_at";
    const data = (body.data ?? {}) as Record<string, unknown>;

    const result = await this.pool.tx("read write", async (tx) => {
      const [existing] = await tx<UserRow[]>`select * from auth.users where lower(email) = ${email} for update`;
      if (existing && (type === "invite" || type === "signup") && existing.email_confirmed_at) return "exists" as const;
      if (!existing && type === "recovery") return "missing" as const;
      if (existing) {
        const [u] = await tx<UserRow[]>`update auth.users set ${tx(column)} = ${hashed}, ${tx(sentAt)} = now(), updated_at = now()
          where id = ${existing.id} returning *`;
        return u;
      }
      // No password until the invitee sets one (PUT /user); NULL rather than '' so that a password sign-in simply fails.
      const [u] = await tx<UserRow[]>`insert into auth.users (id, email, encrypted_password, raw_user_meta_data, invited_at,
          ${tx(column)}, ${tx(sentAt)}, created_at, updated_at)
        values (${crypto.randomUUID()}, ${email}, null, ${tx.json(data as never)}, ${type === "invite" ? new Date() : null}, ${hashed}, now(), now(), now())
        returning *`;
      return u;
    });
    if (result === "exists") return authError(422, "email_exists", "A user with this email address has already been registered");
    if (result === "missing") return authError(404, "user_not_found", "User with this email not found");

    const actionLink = `${this.apiUrl}/auth/v1/verify?token=${hashed}&type=${type}&redirect_to=${encodeURIComponent(redirectTo)}`;
    console.log(`auth: ${type} link for ${email} (no mail server here): ${actionLink}`);
    if (sent) return json(200, userJson(result));
    return json(200, { ...userJson(result), action_link: actionLink, email_otp: otp, hashed_token: hashed, redirect_to: redirectTo, verification_type: type });
  }

  /** Consumes a link's token: confirms the email, clears the token, answers the signed-in user. */
  async #consume(type: string, tokenHash: string): Promise<UserRow | null> {
    const column = type === "invite" || type === "signup" ? "confirmation_token" : "recovery_token";
    const sentAt = column === "confirmation_token" ? "confirmation_sent_at" : "recovery_sent_at";
    if (!["invite", "magiclink", "recovery", "signup", "email"].includes(type) || !/^[0-9a-f]{56}$/.test(tokenHash)) return null;
    const users = await this.pool.tx("read write", (tx) =>
      tx<UserRow[]>`update auth.users set ${tx(column)} = '', email_confirmed_at = coalesce(email_confirmed_at, now()),
          last_sign_in_at = now(), updated_at = now()
        where ${tx(column)} = ${tokenHash} and ${tx(sentAt)} > now() - interval '1 hour'
        returning *`);
    return users[0] ?? null;
  }

  async #verifyRedirect(req: Request): Promise<Response> {
    const q = new URL(req.url).searchParams;
    const redirectTo = q.get("redirect_to") || this.apiUrl;
    const user = await this.#consume(q.get("type") ?? "", q.get("token") ?? "");
    const fragment = user
      ? new URLSearchParams(Object.entries(await this.#session(user)).filter(([k]) => k !== "user")
        .map(([k, v]) => [k, String(v)]).concat([["type", q.get("type") ?? ""]]))
      : new URLSearchParams({ error: "access_denied", error_code: "otp_expired", error_description: "Email link is invalid or has expired" });
    return new Response(null, { status: 303, headers: { Location: `${redirectTo}#${fragment}` } });
  }

  async #verifyPost(req: Request): Promise<Response> {
    let body: Record<string, unknown>;
    try {
      body = await req.json();
    } catch {
      return authError(400, "bad_json", "Could not parse request body as JSON");
    }
    let hash = typeof body.token_hash === "string" ? body.token_hash : "";
    if (!hash && typeof body.token === "string" && typeof body.email === "string") {
      hash = createHash("sha224").update(body.email.trim().toLowerCase() + body.token).digest("hex");
    }
    const user = await this.#consume(String(body.type ?? ""), hash);
    if (!user) return authError(403, "otp_expired", "Token has expired or is invalid");
    return json(200, await this.#session(user));
  }

  async #updateUser(req: Request): Promise<Response> {
    let claims: Claims;
    try {
      claims = await verifyJwt(bearer(req) ?? "", this.secret);
    } catch (e) {
      return authError(401, "bad_jwt", `invalid JWT: ${(e as JwtError).message}`);
    }
    if (claims.role !== "authenticated" || !claims.sub) return authError(403, "bad_jwt", "invalid claim: missing sub claim");
    let body: Record<string, unknown>;
    try {
      body = await req.json();
    } catch {
      return authError(400, "bad_json", "Could not parse request body as JSON");
    }
    const password = typeof body.password === "string" ? body.password : null;
    if (password !== null && password.length < 6) {
      return authError(422, "weak_password", "Password should be at least 6 characters.");
    }
    const data = body.data && typeof body.data === "object" ? body.data : null;
    const [user] = await this.pool.tx("read write", (tx) =>
      tx<UserRow[]>`update auth.users set
          encrypted_password = case when ${password}::text is null then encrypted_password
                                    else extensions.crypt(${password}, extensions.gen_salt('bf', 10)) end,
          raw_user_meta_data = coalesce(raw_user_meta_data, '{}'::jsonb) || ${tx.json((data ?? {}) as never)},
          updated_at = now()
        where id = ${String(claims.sub)} returning *`);
    if (!user) return authError(403, "user_not_found", "User from sub claim in JWT does not exist");
    return json(200, userJson(user));
  }
}
