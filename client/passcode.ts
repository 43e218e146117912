// The pass's short code, as private.pass_code computes it in SQL: six characters of an alphabet
// without look-alikes, read from sha256 of the QR secret, so the guest page shows it without a
// call and the door's offline list can be searched by it. And sha256 in hex, how the door's
// offline list names each pass without holding its secret.
const ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

async function sha256(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)));
}

/** The short code of a pass (e.g. "42Y9RB" for the secret "abc"). */
export async function passCode(qrToken: string): Promise<string> {
  const d = await sha256(qrToken);
  return Array.from(d.subarray(0, 6), (b) => ALPHABET[b % 32]).join("");
}

/** A typed code as the door compares it: upper case, without spaces or dashes; null if not a code. */
export function normalizeCode(text: string): string | null {
  const c = text.replace(/[\s-]/g, "").toUpperCase();
  return /^[A-HJ-NP-Z2-9]{6}$/.test(c) ? c : null;
}

/** sha256 of a text, in hex. */
export async function sha256Hex(text: string): Promise<string> {
  return Array.from(await sha256(text), (b) => b.toString(16).padStart(2, "0")).join("");
}
