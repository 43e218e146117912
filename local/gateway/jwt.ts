// HS256 JSON Web Tokens with WebCrypto: what PostgREST, GoTrue and Realtime verify and issue.

const enc = new TextEncoder();
const dec = new TextDecoder();
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", enc.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, key);
  }
  return key;
}

function b64url(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function unb64url(s: string): Uint8Array<ArrayBuffer> {
  const b = atob(s.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((s.length + 3) % 4));
  return Uint8Array.from(b, (c) => c.charCodeAt(0));
}

export type Claims = Record<string, unknown> & { role?: string; sub?: string; exp?: number };

/** A verification failure, with PostgREST's code: PGRST301 (bad token) or PGRST303 (claims). */
export class JwtError extends Error {
  constructor(readonly code: "PGRST301" | "PGRST303", message: string) {
    super(message);
  }
}

export async function signJwt(claims: Claims, secret: string): Promise<string> {
  const head = b64url(enc.encode(JSON.stringify({ alg: "HS256", typ: "JWT" })));
  const body = b64url(enc.encode(JSON.stringify(claims)));
  const sig = await crypto.subtle.sign("HMAC", await hmacKey(secret), enc.encode(`${head}.${body}`));
  return `${head}.${body}.${b64url(new Uint8Array(sig))}`;
}

export async function verifyJwt(token: string, secret: string): Promise<Claims> {
  const parts = token.split(".");
  if (parts.length !== 3) throw new JwtError("PGRST301", `Expected 3 parts in JWT; got ${parts.length}`);
  let header: { alg?: string };
  let claims: Claims;
  let signature: Uint8Array<ArrayBuffer>;
  try {
    header = JSON.parse(dec.decode(unb64url(parts[0])));
    claims = JSON.parse(dec.decode(unb64url(parts[1])));
    signature = unb64url(parts[2]);
  } catch {
    throw new JwtError("PGRST301", "JWT could not be decoded");
  }
  if (header.alg !== "HS256") throw new JwtError("PGRST301", "Wrong or unsupported encoding algorithm");
  const ok = await crypto.subtle.verify("HMAC", await hmacKey(secret), signature, enc.encode(`${parts[0]}.${parts[1]}`));
  if (!ok) throw new JwtError("PGRST301", "JWT cryptographic operation failed");
  if (typeof claims !== "object" || claims === null) throw new JwtError("PGRST303", "JWT claims must be an object");
  const now = Math.floor(Date.now() / 1000);
  if (typeof claims.exp === "number" && claims.exp <= now) throw new JwtError("PGRST303", "JWT expired");
  return claims;
}
