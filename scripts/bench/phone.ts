// The guests' phones. A phone does two slow things on its own CPU: bcrypt of the password with
// the account's salt (cost 10, about 55 ms of a core) and the registration's proof of work. Here
// every phone is this one process on the guests' core, so neither may cost it time on the clock.
// They are given to the client library as its options (client/api.ts: `hashPassword(password,
// salt)`, `solveProof(challenge)`):
// - bcrypt strings are computed before a scenario's clock starts and looked up by (password,
//   salt). Returning guests' accounts are made with one bcrypt string (world.ts), so their salt
//   is known. A new guest's salt is a random one the client makes while the clock runs: for it
//   the phone answers that salt followed by the hash part of the run's prepared string (of the
//   same password, cost 10). That string has bcrypt's form and cost, which is all the database
//   checks (it stores the salt and sha256 of the string, and never runs bcrypt), and the same
//   phone answers the same string again for that account's salt, so it can log in later. A real
//   phone's string would differ only in those 31 characters.
// - proofs of work are solved with node:crypto's synchronous SHA-256 at the run's difficulty
//   (BENCH_POW_BITS, 8 by default: a few hundred hashes; the database checks any difficulty with
//   one sha256).
// A bcrypt asked for otherwise is computed when asked and counted in `late`, which the report shows.
import { createHash, randomBytes } from "node:crypto";
import { sql } from "./lib.ts";

type Challenge = { challenge: string; difficulty: number; algorithm?: string };
type Pow = typeof import("../../client/pow.ts");
const pow: Pow | null = await import("../../client/pow.ts").catch(() => null);
const sha256 = (data: Uint8Array) => createHash("sha256").update(data).digest();

const memo = new Map<string, string>();
const key = (password: string, salt: string) => `${salt}\u0000${password}`;
export const hashes = { prepared: 0, modelled: 0, late: 0 };

const BCRYPT_ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
/** A new random salt as a phone makes it: `$2b$10$` and 22 characters of bcrypt's base64. */
function randomSalt(): string {
  const b = randomBytes(22);
  // The 22nd character carries only 2 bits: bcrypt's base64 of 16 bytes ends in one of . O e u.
  return "$2b$10$" + Array.from(b.subarray(0, 21), (x) => BCRYPT_ALPHABET[x & 63]).join("") + ".Oeu"[b[21] & 3];
}
/** The salt of the run's prepared new-account string (the ceiling's new guests use it as is). */
export const NEW_SALT = randomSalt();

/**
 * bcrypt(password, salt) by the database's pgcrypto, before the clock. pgcrypto knows `$2a$`, not
 * `$2b$`; the two compute the same hash for passwords under 255 bytes (`$2b$` only fixed how
 * OpenBSD wrapped longer ones), so a `$2b$` salt is hashed as `$2a$` and given its prefix back.
 */
async function bcrypt(password: string, salt: string): Promise<string> {
  const as2a = salt.startsWith("$2b$") ? "$2a$" + salt.slice(4) : salt;
  const [{ h }] = await sql`select extensions.crypt(${password}, ${as2a}) as h`;
  return salt.startsWith("$2b$") ? "$2b$" + String(h).slice(4) : String(h);
}

/** Computes, before the clock, the bcrypt strings these (password, salt) pairs will need. */
export async function prepare(pairs: [string, string][]) {
  for (const [password, salt] of pairs) {
    if (memo.has(key(password, salt))) continue;
    memo.set(key(password, salt), await bcrypt(password, salt));
    hashes.prepared++;
  }
}

/** Tells the phones a bcrypt string already known (an account made by the run). */
export function remember(password: string, hash: string) {
  memo.set(key(password, hash.slice(0, 29)), hash);
}

/** The phone's bcrypt of `password` with `salt` (client/api.ts's `hashPassword` option). */
export async function hashPassword(password: string, salt: string): Promise<string> {
  const known = memo.get(key(password, salt));
  if (known) return known;
  const base = memo.get(key(password, NEW_SALT));
  if (base && /^\$2[aby]\$10\$[./A-Za-z0-9]{22}$/.test(salt)) {
    hashes.modelled++;
    const h = salt + base.slice(29);
    memo.set(key(password, salt), h);
    return h;
  }
  hashes.late++;
  const h = await bcrypt(password, salt);
  memo.set(key(password, salt), h);
  return h;
}

/** The phone's proof of work for a registration_challenge (client/api.ts's `solveProof` option). */
export async function solveProof(c: Challenge): Promise<string> {
  if (!pow) throw new Error("client/pow.ts is missing");
  return await pow.solveChallenge(c, { digest: sha256 });
}
