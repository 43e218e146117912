// The part of Supabase Auth (GoTrue) the organisers and staff use: password sign-in against
// auth.users (bcrypt), token refresh, the current user, sign-out. Tokens carry the claims
// Supabase issues, so RLS and auth.uid() behave as in production.
import { type Claims, JwtError, signJwt, verifyJwt } from "./jwt.ts";
import { bearer, json } from "./http.ts";
import { isConnectionError, type Pool } from "./pool.ts";

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
}
