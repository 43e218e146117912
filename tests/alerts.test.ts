// Alerts delivered: private.evaluate_alerts() (pg_cron, every minute) posts each alert that
// starts or ends through pg_net (net.http_post; locally the stand-in's queue and worker) to the
// webhook of the setting alert_webhook_url; here a local receiver. Each alert is fired by making
// its condition true for real, and must clear when the condition ends.
import { createServer, type Server } from "node:http";
import postgres from "postgres";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect, dbUrl } from "./db";

const sql = connect(4);
const received: string[] = [];
let server: Server;
let url = "";

async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 20_000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error("condition not reached in time");
    await new Promise((r) => setTimeout(r, 250));
  }
}

const evaluate = async () => (await sql`select private.evaluate_alerts() as s`)[0].s as Record<string, { firing: boolean }>;

/** Evaluates until the receiver has a message starting with `[kind] name:` (kind ALERT or RESOLVED). */
async function delivered(kind: "ALERT" | "RESOLVED", name: string, timeoutMs = 20_000) {
  const prefix = `[${kind}] ${name}:`;
  return eventually(async () => {
    await evaluate();
    return received.find((m) => m.startsWith(prefix));
  }, timeoutMs);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      received.push(JSON.parse(body).text);
      res.writeHead(200, { "content-type": "text/plain" }).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  await sql`update private.settings set value = ${sql.json(url)} where key = 'alert_webhook_url'`;
  await evaluate();
});

afterAll(async () => {
  await sql`update private.settings set value = '""' where key = 'alert_webhook_url'`;
  await sql`update private.alert_rules set threshold = 5, window_seconds = 60 where name = 'response_time'`;
  await sql`update private.alert_rules set window_seconds = 300, min_count = 20 where name = 'error_rate'`;
  await sql`select cron.unschedule(jobid) from cron.job where jobname = 'alerts-test-failing'`;
  await sql.end();
  server.close();
});

describe("alerts, evaluated in the database and posted through pg_net", () => {
  it("outbox backlog over 50: fires, is recorded by pg_net as answered, clears when the outbox drains", async () => {
    const ids = await sql`insert into private.outbox (kind, to_email, payload, locked_until)
      select 'guest_password_reset', 'backlog-' || g || '@example.test', '{}', now() + interval '1 hour'
      from generate_series(1, 51) g returning id`;
    try {
      const alert = await delivered("ALERT", "outbox_backlog");
      expect(alert).toMatch(/5[1-9] e-mails waiting/);
      // pg_net's interface: the request left the queue and its answer was recorded.
      const [answered] = await eventually(async () => {
        const rows = await sql`select status_code from net._http_response where content = 'ok' and status_code = 200 limit 1`;
        return rows.length ? rows : undefined;
      });
      expect(answered.status_code).toBe(200);
      expect((await sql`select count(*)::int as n from net.http_request_queue`)[0].n).toBe(0);
    } finally {
      await sql`delete from private.outbox where id in ${sql(ids.map((r) => r.id))}`;
    }
    expect(await delivered("RESOLVED", "outbox_backlog")).toContain("e-mails waiting");
  });

  it("error rate over 5 %: fires on rolled-back transactions, clears when they stop", async () => {
    await sql`update private.alert_rules set window_seconds = 0, min_count = 5 where name = 'error_rate'`;
    await evaluate();
    const failing = postgres(dbUrl, { max: 1, onnotice: () => {} });
    try {
      for (let i = 0; i < 40; i++) await failing`select 1 / 0`.catch(() => {});
      // Statistics reach pg_stat_database when the backend reports them (at most a few seconds later).
      await failing`select pg_stat_force_next_flush()`.catch(() => {});
      await failing`select 1`;
    } finally {
      await failing.end();
    }
    expect(await delivered("ALERT", "error_rate")).toMatch(/% of transactions rolled back/);
    expect(await delivered("RESOLVED", "error_rate")).toContain("rolled back");
  });

  it("response time: fires while an API request (a PostgREST session) runs past the threshold, clears after", async () => {
    await sql`update private.alert_rules set threshold = 0.5, window_seconds = 0 where name = 'response_time'`;
    const api = postgres(dbUrl.replace("//postgres:", "//authenticator:"), { max: 1, onnotice: () => {} });
    try {
      const slow = api`select pg_sleep(4)`.then((r) => r); // postgres.js sends a query once it is awaited
      expect(await delivered("ALERT", "response_time")).toMatch(/longest API request running: [0-9.]+ s/);
      await slow;
    } finally {
      await api.end();
    }
    expect(await delivered("RESOLVED", "response_time")).toContain("longest API request running");
  });

  it("a failed cron job: fires when a job's last run failed, clears when it is gone", async () => {
    await sql`select cron.schedule('alerts-test-failing', '* * * * *', 'select 1 / 0')`;
    // pg_cron runs it at the next minute.
    expect(await delivered("ALERT", "cron_failed", 90_000)).toContain("alerts-test-failing");
    await sql`select cron.unschedule('alerts-test-failing')`;
    expect(await delivered("RESOLVED", "cron_failed")).toContain("no failed job");
  }, 120_000);
});
