// Crash safety: while guests register through HTTP with the page's client (client/api.ts,
// with the retry rule of client/retry.ts), Postgres is killed with SIGKILL and started again, then the gateway is
// killed and started again under the same load. Afterwards every pass a guest was shown exists,
// nobody has two accounts or two passes, every guest who kept retrying ended with a pass, and the
// gateway served again after the database came back without being restarted.
import { execFile, execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createApi } from "../client/api";
import type { Pass } from "../client/schemas";
import { connect } from "./db";
import { client, env, eventually, makeWorld, randomPhone, type World } from "./env";

const run = promisify(execFile);
const stackEnv = { ...process.env, STACK: process.env.STACK ?? "test" };
const [pgdata, stateDir] = execFileSync("bash", ["-c", "source local/lib.sh && echo \"$PGDATA\" && echo \"$STATE_DIR\""],
  { env: stackEnv, encoding: "utf8" }).trim().split("\n");
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let sql = connect(2);
let w: World;

beforeAll(async () => {
  w = await makeWorld();
  // Hosted Postgres commits synchronously; the throw-away test cluster does not (synchronous_commit
  // off loses the last acknowledged commits when Postgres itself dies), so this test runs as hosted
  // does. The setting reaches new connections only: the gateway's pooled ones are closed (its
  // pool reconnects by itself), or where that is not allowed the gateway is restarted.
  await sql`alter database postgres set synchronous_commit = on`;
  await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds, description)
            values ('event_registrations', ${w.open_event}, 100000, 60, 'crash test: a busy night')`;
  try {
    await sql`select pg_terminate_backend(pid) from pg_stat_activity
              where datname = current_database() and backend_type = 'client backend' and pid <> pg_backend_pid()`;
  } catch {
    process.kill(Number(readFileSync(`${stateDir}/gateway.pid`, "utf8")), "SIGTERM");
    await run("bash", ["local/stack.sh", "up"], { env: stackEnv });
  }
  await sql.end();
  sql = connect(2);
  expect((await sql`select current_setting('synchronous_commit') s`)[0].s).toBe("on");
}, 120_000);

afterAll(async () => {
  // Leave the stack serving for the next test file even when this one failed half-way.
  if ((await cheapCall()) !== 200) await startPostgres().then(() => run("bash", ["local/stack.sh", "up"], { env: stackEnv }));
  await sql`alter database postgres reset synchronous_commit`;
  await sql.end();
});

const exists = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/**
 * Starts Postgres again and waits until it takes connections. The killed postmaster must be gone
 * first (until its parent reaps it, `pg_ctl status` still finds its pid and `db.sh up` thinks it
 * runs), and the first tries may find its backends still exiting.
 */
async function startPostgres(killed?: number) {
  if (killed) await eventually(() => (exists(killed) ? undefined : true), 30_000);
  for (let i = 0; ; i++) {
    try {
      await run("bash", ["local/db.sh", "up"], { env: stackEnv });
      const probe = connect(1);
      await probe`select 1`.finally(() => probe.end());
      return;
    } catch (e) {
      if (i > 40) throw e;
      await sleep(500);
    }
  }
}

const cheapCall = (): Promise<number> =>
  fetch(`${env.apiUrl}/rest/v1/rpc/check_phone_with_cache`, {
    method: "POST",
    headers: { apikey: env.anonKey, "content-type": "application/json" },
    body: JSON.stringify({ p_phone: "912000001" }),
    signal: AbortSignal.timeout(5000),
  }).then((r) => r.status, () => 0);

describe("crash safety", () => {
  it("SIGKILL of Postgres and a gateway restart under load lose no pass and duplicate nobody", async () => {
    const link = { eventId: w.open_event, promoterId: w.promoter, teamId: w.team };
    const shown: (Pass & { phone: string })[] = [];
    const finalErrors: string[] = [];
    const phones: string[] = [];
    let stop = false;

    // Eight guests' phones in a row each, every one retrying until it holds a pass.
    const worker = async () => {
      const gl = createApi(client());
      while (!stop) {
        const phone = randomPhone();
        phones.push(phone);
        try {
          const pass = await gl.register({ phone, firstName: "Cris", lastName: "Crash", email: "cris@example.com", password: "Crash-2026x" }, link);
          shown.push({ ...pass, phone });
        } catch (e) {
          finalErrors.push(`${phone}: ${(e as Error).message}`);
        }
        await sleep(100);
      }
    };
    const workers = Array.from({ length: 8 }, worker);

    await eventually(() => (shown.length >= 5 ? true : undefined), 30_000);
    const postmaster = Number(readFileSync(`${pgdata}/postmaster.pid`, "utf8").split("\n")[0]);
    const gatewayPid = readFileSync(`${stateDir}/gateway.pid`, "utf8").trim();
    await sql.end({ timeout: 1 });
    process.kill(postmaster, "SIGKILL");
    const beforeCrash = shown.length;
    await startPostgres(postmaster);
    sql = connect(2);

    // The gateway serves again by itself (same process), and guests keep getting passes.
    const alive = () => { try { process.kill(Number(gatewayPid), 0); return true; } catch { return false; } };
    const seen: number[] = [];
    await eventually(async () => {
      seen.push(await cheapCall());
      return seen.at(-1) === 200 || !alive() ? true : undefined;
    }, 30_000).catch(() => undefined);
    // A gateway that died instead says why in its log (which the restart below would overwrite).
    expect(alive(), `the gateway died when Postgres did:\n${readFileSync(`${stateDir}/gateway.log`, "utf8").slice(-1500)}`).toBe(true);
    expect(seen.at(-1), `answers while Postgres came back: ${[...new Set(seen)].join(", ")}; the gateway's log:\n` +
      readFileSync(`${stateDir}/gateway.log`, "utf8").slice(-1500)).toBe(200);
    await eventually(() => (shown.length >= beforeCrash + 5 ? true : undefined), 60_000);

    // Now the gateway dies under load and is started again.
    process.kill(Number(gatewayPid), "SIGKILL");
    await sleep(500);
    await run("bash", ["local/stack.sh", "up"], { env: stackEnv });
    const beforeRestart = shown.length;
    await eventually(() => (shown.length >= beforeRestart + 5 ? true : undefined), 60_000);

    stop = true;
    await Promise.all(workers);

    expect(finalErrors).toEqual([]);
    expect(shown.length).toBe(phones.length);
    const rows = await sql`select u.phone, g.id::text guest_id, g.qr_token
      from private.client_users u join public.guests g on g.client_user_id = u.id and g.event_id = ${w.open_event}
      where u.phone = any(${phones})`;
    const byPhone = new Map(rows.map((r) => [r.phone, r]));
    expect(rows).toHaveLength(phones.length);
    const lost = shown.filter((p) => byPhone.get(p.phone)?.guest_id !== p.guest_id || byPhone.get(p.phone)?.qr_token !== p.qr_token);
    expect(lost).toEqual([]);
    const [{ accounts }] = await sql`select count(*)::int accounts from private.client_users where phone = any(${phones})`;
    expect(accounts).toBe(phones.length);
  }, 240_000);
});
