// vitest global setup: every test request reaches the gateway from 127.0.0.1, so treat that
// address as a carrier NAT with its own higher per-IP limit (a row in private.rate_limits, as an
// operator would add one) for the run, and take it away afterwards.
import { connect } from "./db";

export async function setup() {
  const sql = connect(1);
  await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds, description)
            values ('ip', '127.0.0.1', 100000, 60, 'test run: all clients share the loopback address')
            on conflict (bucket, subject) do update set max_hits = excluded.max_hits`;
  await sql.end();
}

export async function teardown() {
  const sql = connect(1);
  await sql`delete from private.rate_limits where bucket = 'ip' and subject = '127.0.0.1'`;
  await sql.end();
}
