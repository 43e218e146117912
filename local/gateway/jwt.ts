// JSON Web Tokens as a Supabase project with asymmetric signing keys has them:
// - the legacy HS256 secret signs the anon and service_role API keys (and still verifies);
// - Auth signs user access tokens with an ES256 key that has a `kid`, published at
//   /auth/v1/.well-known/jwks.json;
// - PostgREST, Realtime and Auth accept both; the edge runtime's `verify_jwt` knows only the
//   legacy secret, so it refuses user tokens of the new kind (hence `verify_jwt = false` for
//   functions that pass the caller's token on to PostgREST).
// The ES256 key is derived from the local JWT secret, so it survives a gateway restart and
// tokens stay valid, as `supabase start` keeps its signing key across restarts.
import { createECDH, createHash } from "node:crypto";

const enc = new TextEncoder();
const dec = new TextDecoder();

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s: string): Uint8Array<ArrayBuffer> {
  if (!/^[A-Za-z0-9_-]*$/.test(s)) throw new Error("not base64url");
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

/** The claims of a token without verifying it (for messages about a token already refused). */
export function peekClaims(token: string): Claims | null {
  try {
    return JSON.parse(dec.decode(unb64url(token.split(".")[1] ?? "")));
  } catch {
    return null;
  }
}

export type Claims = Record<string, unknown> & { role?: string; sub?: string; exp?: number };

/** A verification failure, with PostgREST's code: PGRST301 (bad token) or PGRST303 (claims). */
export class JwtError extends Error {
  constructor(readonly code: "PGRST301" | "PGRST303", message: string) {
    super(message);
  }
}

const ECDSA = { name: "ECDSA", hash: "SHA-256" } as const;

/** How many verified tokens Keys remembers; the oldest is forgotten first. */
const JWT_CACHE_ENTRIES = 1000;

export type Jwk = { kty: string; crv: string; x: string; y: string; kid: string; alg: string; use: string; key_ops: string[] };

/** The project's keys: the legacy HS256 secret and the current ES256 signing key. */
export class Keys {
  private constructor(
    readonly secret: string,
    readonly hmac: CryptoKey,
    readonly kid: string,
    readonly privateKey: CryptoKey,
    readonly publicKey: CryptoKey,
    readonly publicJwk: Jwk,
  ) {}

  static async fromSecret(secret: string): Promise<Keys> {
    const hmac = await crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    const d = createHash("sha256").update(`local ES256 signing key\0${secret}`).digest();
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(d);
    const point = new Uint8Array(ecdh.getPublicKey());
    const x = b64url(point.subarray(1, 33));
    const y = b64url(point.subarray(33));
    const kid = createHash("sha256").update(`${x}.${y}`).digest("hex").slice(0, 16);
    const privateKey = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x, y, d: b64url(new Uint8Array(d)) },
      { name: "ECDSA", namedCurve: "P-256" }, false, ["sign"]);
    const publicKey = await crypto.subtle.importKey("jwk", { kty: "EC", crv: "P-256", x, y },
      { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const jwk: Jwk = { kty: "EC", crv: "P-256", x, y, kid, alg: "ES256", use: "sig", key_ops: ["verify"] };
    return new Keys(secret, hmac, kid, privateKey, publicKey, jwk);
  }

  /** GET /auth/v1/.well-known/jwks.json: the public keys (the HS256 secret is never published). */
  jwks() {
    return { keys: [this.publicJwk] };
  }

  /** Signs with the legacy HS256 secret (the API keys are of this kind). */
  async signHs256(claims: Claims): Promise<string> {
    const input = `${b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })))}.${b64url(enc.encode(JSON.stringify(claims)))}`;
    return `${input}.${b64url(new Uint8Array(await crypto.subtle.sign("HMAC", this.hmac, enc.encode(input))))}`;
  }

  /** Signs with the ES256 key, as Auth signs user access tokens on a project with asymmetric keys. */
  async signEs256(claims: Claims): Promise<string> {
    const head = { alg: "ES256", kid: this.kid, typ: "JWT" };
    const input = `${b64url(enc.encode(JSON.stringify(head)))}.${b64url(enc.encode(JSON.stringify(claims)))}`;
    return `${input}.${b64url(new Uint8Array(await crypto.subtle.sign(ECDSA, this.privateKey, enc.encode(input))))}`;
  }

  /**
   * Verifies a token signed with either key and checks `exp` (a number when present, in the
   * future). `legacyOnly` accepts the HS256 secret alone, as the edge runtime's verify_jwt does.
   */
  async verify(token: string, opts: { legacyOnly?: boolean } = {}): Promise<Claims> {
    const key = `${opts.legacyOnly ? "legacy" : "any"} ${token}`;
    const known = this.#verified.get(key);
    if (known) {
      if (typeof known.exp === "number" && known.exp <= Math.floor(Date.now() / 1000)) {
        this.#verified.delete(key);
        throw new JwtError("PGRST303", "JWT expired");
      }
      return { ...known };
    }
    const claims = await this.#verify(token, opts);
    if (this.#verified.size >= JWT_CACHE_ENTRIES) this.#verified.delete(this.#verified.keys().next().value!);
    this.#verified.set(key, claims);
    return { ...claims };
  }

  /**
   * Tokens already verified, with their claims (a token's signature and claims never change, so
   * only `exp` is checked again): the same token arrives with every request of a session, and the
   * API key with every request at all. PostgREST caches verified JWTs too (since v12, until their
   * `exp`), and Supabase's API gateway looks API keys up rather than verify them each time.
   */
  #verified = new Map<string, Claims>();

  async #verify(token: string, opts: { legacyOnly?: boolean }): Promise<Claims> {
    const parts = token.split(".");
    if (parts.length !== 3) throw new JwtError("PGRST301", `Expected 3 parts in JWT; got ${parts.length}`);
    let header: { alg?: string; kid?: string };
    let claims: Claims;
    let signature: Uint8Array<ArrayBuffer>;
    try {
      header = JSON.parse(dec.decode(unb64url(parts[0])));
      claims = JSON.parse(dec.decode(unb64url(parts[1])));
      signature = unb64url(parts[2]);
    } catch {
      throw new JwtError("PGRST301", "JWT could not be decoded");
    }
    const input = enc.encode(`${parts[0]}.${parts[1]}`);
    let ok: boolean;
    if (header?.alg === "HS256") {
      ok = await crypto.subtle.verify("HMAC", this.hmac, signature, input);
    } else if (header?.alg === "ES256" && !opts.legacyOnly) {
      if (header.kid !== this.kid) throw new JwtError("PGRST301", "No suitable key or wrong key type");
      ok = signature.byteLength === 64 && await crypto.subtle.verify(ECDSA, this.publicKey, signature, input);
    } else {
      throw new JwtError("PGRST301", "Wrong or unsupported encoding algorithm");
    }
    if (!ok) throw new JwtError("PGRST301", "JWT cryptographic operation failed");
    if (typeof claims !== "object" || claims === null || Array.isArray(claims)) {
      throw new JwtError("PGRST303", "Parsing claims failed");
    }
    if ("exp" in claims) {
      // PostgREST, GoTrue and Realtime all read exp as a NumericDate; a string is refused.
      if (typeof claims.exp !== "number" || !Number.isFinite(claims.exp)) {
        throw new JwtError("PGRST303", "The JWT 'exp' claim must be a number");
      }
      if (claims.exp <= Math.floor(Date.now() / 1000)) throw new JwtError("PGRST303", "JWT expired");
    }
    return claims;
  }
}
