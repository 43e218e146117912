// A gateway of a test's own on the test database, with settings of its own in its environment
// (small limits, a short tick…), started and stopped by the test.
import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { createServer } from "node:net";
import { env, eventually } from "../../tests/env";

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Starts local/gateway/main.ts with `settings` added to its environment; resolves once it listens. */
export async function ownGateway(settings: Record<string, string>): Promise<{ url: string; stop: () => void }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const root = process.cwd();
  const log = openSync(`${root}/.stack/${process.env.STACK ?? "test"}/gateway-${port}.log`, "w");
  const child: ChildProcess = spawn(`${root}/node_modules/.bin/deno`, ["run", "--allow-all", "--config", `${root}/deno.json`, `${root}/local/gateway/main.ts`], {
    env: {
      ...process.env, API_PORT: String(port), DB_PORT: new URL(process.env.DB_URL!).port, API_URL: url,
      FUNCTIONS_DIR: `${root}/supabase/functions`, PAGES_DIR: "/nonexistent", SUPABASE_CONFIG: `${root}/supabase/config.toml`,
      ANON_KEY: env.anonKey, SERVICE_ROLE_KEY: env.serviceKey, ...settings,
    },
    // Its log beside the stack's, for a failing test to be read.
    stdio: ["ignore", log, log],
  });
  closeSync(log);
  await eventually(async () => {
    const res = await fetch(`${url}/health`).catch(() => null);
    return res?.ok && (await res.json()).realtime === "listening" ? true : undefined;
  }, 60_000);
  return { url, stop: () => child.kill("SIGTERM") };
}
