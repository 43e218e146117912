// Registration proof of work (the database issues and checks it: registration_challenge and
// register_and_create_guest_v2's p_proof). A challenge {challenge, difficulty} is solved by
// finding a decimal nonce such that SHA-256 of the UTF-8 text "<challenge>:<nonce>" starts with
// `difficulty` zero bits; the proof is that text itself. At the default 16 bits that is about
// 65,000 hashes: a second or so of WebCrypto on a phone, and a cost a flood of registrations
// pays on every single one. A challenge is single use (one phone) and expires after 10 minutes;
// a retry of the same registration sends the same proof again.
// Works wherever WebCrypto does: browsers, Deno, Node 20.

/** What registration_challenge() answers. */
export type Challenge = { challenge: string; difficulty: number; algorithm?: string; expires_at?: string };

/** Leading zero bits of a digest. */
export function leadingZeroBits(digest: Uint8Array): number {
  let bits = 0;
  for (const byte of digest) {
    if (byte === 0) {
      bits += 8;
      continue;
    }
    return bits + Math.clz32(byte) - 24;
  }
  return bits;
}

/** SHA-256 of some bytes, synchronous or not. */
export type Digest = (data: Uint8Array<ArrayBuffer>) => Uint8Array | Promise<Uint8Array>;

/** WebCrypto's SHA-256: what a browser has. */
const webCrypto: Digest = async (data) => new Uint8Array(await crypto.subtle.digest("SHA-256", data));

/**
 * Finds the proof for a challenge: "<challenge>:<nonce>". Hashes in batches so that the
 * promise overhead of WebCrypto stays small; `signal` stops it (the page was left). `digest`
 * replaces WebCrypto where a synchronous SHA-256 exists (node:crypto): one process solving
 * thousands of proofs at once, as the benchmark's guests do, would otherwise keep hundreds of
 * thousands of WebCrypto operations in flight.
 */
export async function solveChallenge(c: Challenge, options: { signal?: AbortSignal; batch?: number; digest?: Digest } = {}): Promise<string> {
  if (c.algorithm && c.algorithm !== "SHA-256") throw new Error(`unsupported proof-of-work algorithm ${c.algorithm}`);
  const batch = options.batch ?? 512;
  const digest = options.digest ?? webCrypto;
  const encoder = new TextEncoder();
  for (let start = 0; ; start += batch) {
    options.signal?.throwIfAborted();
    const texts = Array.from({ length: batch }, (_, i) => `${c.challenge}:${start + i}`);
    const digests = await Promise.all(texts.map((t) => digest(encoder.encode(t))));
    const hit = digests.findIndex((d) => leadingZeroBits(d) >= c.difficulty);
    if (hit >= 0) return texts[hit];
  }
}
