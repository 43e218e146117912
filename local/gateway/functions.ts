// Edge functions in-process, the way Supabase's edge runtime serves them: each
// `supabase/functions/<name>/index.ts` calls Deno.serve(handler); here that call is captured
// instead of listening, and /functions/v1/<name> hands the request (headers intact) to it.
// With verify_jwt (the default; `verify_jwt = false` in config.toml turns it off) a valid JWT
// is required first, as on Supabase, where the edge runtime checks it against the legacy JWT
// secret only: a user token signed with the project's asymmetric key (ES256) is refused there,
// so it is here. Preflight OPTIONS requests reach the function unchecked.
import { bearer, json } from "./http.ts";
import type { Keys } from "./jwt.ts";
import { parse } from "smol-toml";

type Handler = (req: Request, info?: unknown) => Response | Promise<Response>;

export class Functions {
  #handlers = new Map<string, Handler>();
  #verifyJwt = new Map<string, boolean>();

  constructor(readonly dir: string, readonly configToml: string, readonly keys: Keys) {}

  async load() {
    const toml = await Deno.readTextFile(this.configToml).catch(() => "");
    const config = (parse(toml) as { functions?: Record<string, { verify_jwt?: unknown }> }).functions ?? {};
    for (const entry of Deno.readDirSync(this.dir)) {
      if (!entry.isDirectory || entry.name.startsWith("_") || entry.name.startsWith(".")) continue;
      const file = `${this.dir}/${entry.name}/index.ts`;
      try {
        Deno.statSync(file);
      } catch {
        continue;
      }
      this.#verifyJwt.set(entry.name, config[entry.name]?.verify_jwt !== false);
      this.#handlers.set(entry.name, await captureHandler(file));
    }
    return [...this.#handlers.keys()];
  }

  async handle(req: Request, name: string): Promise<Response> {
    const handler = this.#handlers.get(name);
    if (!handler) return json(404, { code: "NOT_FOUND", message: "Requested function was not found" });
    if (req.method !== "OPTIONS" && this.#verifyJwt.get(name)) {
      const token = bearer(req);
      if (!token) return json(401, { code: 401, message: "Missing authorization header" });
      try {
        await this.keys.verify(token, { legacyOnly: true });
      } catch {
        return json(401, { code: 401, message: "Invalid JWT" });
      }
    }
    try {
      return await handler(req);
    } catch (e) {
      console.error(`function ${name} failed:`, e);
      return json(500, { code: "WORKER_ERROR", message: "Function exited due to an error (please check logs)" });
    }
  }
}

/** Imports an edge function module and returns the handler it passed to Deno.serve. */
async function captureHandler(file: string): Promise<Handler> {
  const realServe = Deno.serve;
  let captured: Handler | undefined;
  const fakeServe = (a: unknown, b?: unknown) => {
    captured = (typeof a === "function" ? a : typeof b === "function" ? b : (a as { handler: Handler }).handler) as Handler;
    return { finished: Promise.resolve(), shutdown: () => Promise.resolve(), ref() {}, unref() {}, addr: null };
  };
  Object.defineProperty(Deno, "serve", { value: fakeServe, configurable: true, writable: true });
  try {
    await import(new URL(`file://${file}`).href);
  } finally {
    Object.defineProperty(Deno, "serve", { value: realServe, configurable: true, writable: true });
  }
  if (!captured) throw new Error(`${file} did not call Deno.serve`);
  return captured;
}
