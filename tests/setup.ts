// vitest global setup: every test request reaches the gateway from 127.0.0.1, so treat that
// address as a carrier NAT with its own higher per-IP limit (a row in private.rate_limits, as an
// operator would add one) for the run, and take it away afterwards.
import { connect } from "./db";

export async function setup() {
  const sql = connect(1);
  await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds, description)
            values ('ip', '127.0.0.1', 100000, 60, 'test run: all clients share the loopback address')
            on conflict (bucket, subject) do update set max_hits = excluded.max_hits`;
  // The same address registers every test guest: its password checks and new accounts too.
  await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds, description)
            values ('address_passwords', '127.0.0.1', 100000, 60, 'test run'), ('new_accounts', '127.0.0.1', 100000, 3600, 'test run')
            on conflict (bucket, subject) do update set max_hits = excluded.max_hits`;
  // Registration proofs at a low difficulty for speed (pgTAP 22-proof-of-work proves the default).
  await sql`update private.settings set value = '8' where key = 'pow_difficulty'`;
  await sql.end();
}

export async function teardown() {
  const sql = connect(1);
  await sql`delete from private.rate_limits where bucket in ('ip', 'address_passwords', 'new_accounts') and subject = '127.0.0.1'`;
  await sql`update private.settings set value = '16' where key = 'pow_difficulty'`;
  await sql.end();
}
