// JSON Web Tokens as a Supabase project with asymmetric signing keys has them:
// - the legacy HS256 secret signs the anon and service_role API keys (and still verifies);
// - Auth signs user access tokens with an ES256 key that has a `kid`, published at
//   /auth/v1/.well-known/jwks.json;
// - PostgREST, Realtime and Auth accept both; the edge runtime's `verify_jwt` knows only the
//   legacy secret, so it refuses user tokens of the new kind (hence `verify_jwt = false` for
//   functions that pass the caller's token on to PostgREST).
// The ES256 key is derived from the local JWT secret, so it survives a gateway restart and
// tokens stay valid, as `supabase start` keeps its signing key across restarts.
// Signing and verification are jose's (https://github.com/panva/jose); this file only holds the
// keys and maps jose's errors to PostgREST's codes and messages.
import { Buffer } from "node:buffer";
import { createECDH, createHash } from "node:crypto";
import { createLocalJWKSet, decodeJwt, importJWK, type JWTHeaderParameters, jwtVerify, SignJWT } from "jose";

const b64url = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");

/** The claims of a token without verifying it (for messages about a token already refused). */
export function peekClaims(token: string): Claims | null {
  try {
    return decodeJwt(token) as Claims;
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

/** How many verified tokens Keys remembers; the oldest is forgotten first. */
const JWT_CACHE_ENTRIES = 1000;
/**
 * Tokens longer than this are verified every time and never kept: a user can make a token as
 * large as Auth's 1 MB body limit allows (user_metadata travels in it), and a thousand of those
 * would hold gigabytes. With it the cache holds at most JWT_CACHE_ENTRIES × 16 KB of tokens.
 */
export const JWT_CACHE_MAX_TOKEN_BYTES = 16 * 1024;

export type Jwk = { kty: string; crv: string; x: string; y: string; kid: string; alg: string; use: string; key_ops: string[] };

/** The project's keys: the legacy HS256 secret and the current ES256 signing key. */
export class Keys {
  readonly #hmac: Uint8Array;
  readonly #privateKey: CryptoKey;
  readonly #jwks: ReturnType<typeof createLocalJWKSet>;

  private constructor(readonly secret: string, readonly kid: string, privateKey: CryptoKey, readonly publicJwk: Jwk) {
    this.#hmac = new TextEncoder().encode(secret);
    this.#privateKey = privateKey;
    this.#jwks = createLocalJWKSet({ keys: [publicJwk] });
  }

  static async fromSecret(secret: string): Promise<Keys> {
    const d = createHash("sha256").update(`local ES256 signing key\0${secret}`).digest();
    const ecdh = createECDH("prime256v1");
    ecdh.setPrivateKey(d);
    const point = new Uint8Array(ecdh.getPublicKey());
    const x = b64url(point.subarray(1, 33));
    const y = b64url(point.subarray(33));
    const kid = createHash("sha256").update(`${x}.${y}`).digest("hex").slice(0, 16);
    const privateKey = await importJWK({ kty: "EC", crv: "P-256", x, y, d: b64url(new Uint8Array(d)) }, "ES256") as CryptoKey;
    const jwk: Jwk = { kty: "EC", crv: "P-256", x, y, kid, alg: "ES256", use: "sig", key_ops: ["verify"] };
    return new Keys(secret, kid, privateKey, jwk);
  }

  /** GET /auth/v1/.well-known/jwks.json: the public keys (the HS256 secret is never published). */
  jwks() {
    return { keys: [this.publicJwk] };
  }

  /** Signs with the legacy HS256 secret (the API keys are of this kind). */
  signHs256(claims: Claims): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: "HS256", typ: "JWT" }).sign(this.#hmac);
  }

  /** Signs with the ES256 key, as Auth signs user access tokens on a project with asymmetric keys. */
  signEs256(claims: Claims): Promise<string> {
    return new SignJWT(claims).setProtectedHeader({ alg: "ES256", kid: this.kid, typ: "JWT" }).sign(this.#privateKey);
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
    if (token.length > JWT_CACHE_MAX_TOKEN_BYTES) return claims;
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

  /** How many tokens the cache holds and their total length (characters). */
  cacheSize(): { entries: number; tokenBytes: number } {
    let tokenBytes = 0;
    for (const k of this.#verified.keys()) tokenBytes += k.length;
    return { entries: this.#verified.size, tokenBytes };
  }

  async #verify(token: string, opts: { legacyOnly?: boolean }): Promise<Claims> {
    const parts = token.split(".").length;
    if (parts !== 3) throw new JwtError("PGRST301", `Expected 3 parts in JWT; got ${parts}`);
    try {
      const { payload } = await jwtVerify(token, (header: JWTHeaderParameters, jws) => {
        if (header.alg === "HS256") return this.#hmac;
        // ES256 only with the current key's kid: a token without a kid or with another is refused.
        if (header.kid !== this.kid) throw new JwtError("PGRST301", "No suitable key or wrong key type");
        return this.#jwks(header, jws);
      }, { algorithms: opts.legacyOnly ? ["HS256"] : ["HS256", "ES256"] });
      return payload as Claims;
    } catch (e) {
      throw jwtError(e);
    }
  }
}

/**
 * jose's error as PostgREST reports it (Auth/Jwt.hs): a token that cannot be decoded or whose
 * signature fails is PGRST301; a claim that fails (exp passed, exp not a number) is PGRST303.
 * PostgREST, GoTrue and Realtime all read exp as a NumericDate: a string is refused.
 */
function jwtError(e: unknown): JwtError {
  if (e instanceof JwtError) return e;
  const err = e as { code?: string; claim?: string; reason?: string };
  switch (err.code) {
    case "ERR_JWT_EXPIRED":
      return new JwtError("PGRST303", "JWT expired");
    case "ERR_JWT_CLAIM_VALIDATION_FAILED":
      return new JwtError("PGRST303", err.reason === "invalid" ? `The JWT '${err.claim}' claim must be a number` : `JWT '${err.claim}' claim check failed`);
    case "ERR_JWT_INVALID":
      return new JwtError("PGRST303", "Parsing claims failed");
    case "ERR_JOSE_ALG_NOT_ALLOWED":
    case "ERR_JOSE_NOT_SUPPORTED":
      return new JwtError("PGRST301", "Wrong or unsupported encoding algorithm");
    case "ERR_JWKS_NO_MATCHING_KEY":
    case "ERR_JWKS_MULTIPLE_MATCHING_KEYS":
      return new JwtError("PGRST301", "No suitable key or wrong key type");
    case "ERR_JWS_SIGNATURE_VERIFICATION_FAILED":
      return new JwtError("PGRST301", "JWT cryptographic operation failed");
    default:
      return new JwtError("PGRST301", "JWT could not be decoded");
  }
}
