// The guest's password hash, computed on the phone (docs/security.md): bcrypt of the password
// with the account's salt, as the standard 60-character string `$2b$10$<salt><hash>`. The
// database stores only sha256 of that string and never runs bcrypt on a guest path, so this is
// the one slow step of logging in or registering. The library is hash-wasm (WebAssembly; chosen
// by measurement, docs/pages.md); in a browser it runs in a Web Worker (client/bcrypt.worker.ts)
// so the page stays responsive while it works, and directly where there is no Worker (tests).
/** bcrypt(password, salt) as the standard 60-character string; `salt` is its first 29 characters. */
export type HashPassword = (password: string, salt: string) => Promise<string>;

/** The cost of a salt the phone makes (the database refuses less). */
export const COST = 10;

/** bcrypt's own base64 alphabet (not RFC 4648's). */
const ALPHABET = "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const SALT = /^\$2[ab]\$(0[4-9]|[12][0-9]|3[01])\$[./A-Za-z0-9]{22}$/;

function encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length;) {
    const a = bytes[i++];
    out += ALPHABET[a >> 2];
    if (i >= bytes.length) { out += ALPHABET[(a & 3) << 4]; break; }
    const b = bytes[i++];
    out += ALPHABET[((a & 3) << 4) | (b >> 4)];
    if (i >= bytes.length) { out += ALPHABET[(b & 15) << 2]; break; }
    const c = bytes[i++];
    out += ALPHABET[((b & 15) << 2) | (c >> 6)] + ALPHABET[c & 63];
  }
  return out;
}

function decode(text: string, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const v = (i: number) => ALPHABET.indexOf(text[i]);
  for (let i = 0, o = 0; o < length; i += 4) {
    const [a, b, c, d] = [v(i), v(i + 1), v(i + 2), v(i + 3)];
    out[o++] = (a << 2) | (b >> 4);
    if (o < length) out[o++] = ((b & 15) << 4) | (c >> 2);
    if (o < length) out[o++] = ((c & 3) << 6) | d;
  }
  return out;
}

/** A new random salt, `$2b$10$` and 22 characters (16 random bytes). */
export function newSalt(cost = COST): string {
  return `$2b$${String(cost).padStart(2, "0")}$${encode(crypto.getRandomValues(new Uint8Array(16)))}`;
}

/** Whether a text is a bcrypt salt (the first 29 characters of a hash). */
export const isSalt = (salt: string) => SALT.test(salt);

/** hash-wasm's bcrypt function. */
type WasmBcrypt = typeof import("hash-wasm").bcrypt;

/**
 * bcrypt with hash-wasm. Like pgcrypto's crypt(), it reads at most 72 bytes of the UTF-8
 * password, so a hash made by the database's `crypt(p, gen_salt('bf', 10))` is reproduced
 * exactly from its first 29 characters ($2a$ and $2b$ compute the same for such passwords).
 */
export async function hashWith(wasmBcrypt: WasmBcrypt, password: string, salt: string): Promise<string> {
  if (!isSalt(salt)) throw new Error("not a bcrypt salt");
  const hash = await wasmBcrypt({
    password: new TextEncoder().encode(password).slice(0, 72),
    salt: decode(salt.slice(7), 16),
    costFactor: Number(salt.slice(4, 6)),
    outputType: "encoded",
  });
  // hash-wasm writes `$2a$`; the salt's own version is kept so that the string is the account's.
  return salt.slice(0, 4) + hash.slice(4);
}

/**
 * bcrypt on this thread (node and Deno; the browser's worker imports hash-wasm itself), the
 * library loaded on first use so that a page's bundle does not carry it.
 */
export const bcrypt: HashPassword = async (password, salt) =>
  hashWith((await import("hash-wasm")).bcrypt, password, salt);

/** bcrypt in a Web Worker: one worker for the page, started on first use (or by `warmHashWorker`). */
let worker: Worker | null = null;
const waiting = new Map<number, { resolve: (h: string) => void; reject: (e: Error) => void }>();
let nextId = 0;

function startWorker(): Worker {
  if (worker) return worker;
  worker = new Worker(new URL("./bcrypt.worker.ts", import.meta.url), { type: "module" });
  worker.onmessage = (e: MessageEvent<{ id: number; hash?: string; error?: string }>) => {
    const w = waiting.get(e.data.id);
    waiting.delete(e.data.id);
    if (e.data.hash) w?.resolve(e.data.hash);
    else w?.reject(new Error(e.data.error ?? "bcrypt failed"));
  };
  worker.onerror = (e) => {
    for (const w of waiting.values()) w.reject(new Error(e.message || "bcrypt worker failed"));
    waiting.clear();
    worker = null;
  };
  return worker;
}

const workerBcrypt: HashPassword = (password, salt) => new Promise((resolve, reject) => {
  const id = nextId++;
  waiting.set(id, { resolve, reject });
  startWorker().postMessage({ id, password, salt });
});

const hasWorker = () => typeof Worker === "function" && typeof window !== "undefined";

/** Loads the worker ahead of the first hash (a page calls this while the guest types). */
export function warmHashWorker(): void {
  if (hasWorker()) startWorker();
}

/** The default: a Web Worker in a browser, this thread elsewhere (node and Deno tests). */
export const defaultHashPassword: HashPassword = (password, salt) =>
  hasWorker() ? workerBcrypt(password, salt) : bcrypt(password, salt);
