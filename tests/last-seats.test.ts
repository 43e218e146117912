// The last seats of a list with a capacity: many guests joining at once must not push the list
// past its capacity. Real parallel connections, each a transaction as PostgREST runs it; every
// connection has its transaction open and its role set before the joins are fired together, so
// the joins really meet at the seat check (a race that only sometimes happens proves nothing).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCode, connect } from "./db";
import { makeWorld, type World } from "./env";

const GUESTS = 40;
const CAPACITY = 3;
const ROUNDS = 3;
const sql = connect(GUESTS + 1);
afterAll(() => sql.end());

let w: World;
let tokens: string[] = [];

beforeAll(async () => {
  w = await makeWorld();
  // Returning guests with sessions: joining needs no bcrypt, so every join reaches the seat
  // check at once instead of queueing for password work.
  tokens = Array.from({ length: GUESTS }, () => crypto.randomUUID() + crypto.randomUUID());
  await sql`with hash as (select s.salt, s.digest from private.stored_password(extensions.crypt('Seat-2026x', extensions.gen_salt('bf', 10))) s),
    users as (
      insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
      select '+3519' || lpad((floor(random() * 1e8))::int::text, 8, '0'), 'Seat', 'Taker', hash.salt, hash.digest
      from generate_series(1, ${GUESTS}) i, hash
      returning id)
    insert into private.guest_sessions (token_hash, client_user_id, expires_at)
    select private.sha256(t), u.id, now() + interval '1 day'
    from (select id, row_number() over () n from users) u
    join (select t, row_number() over () n from unnest(${tokens}::text[]) t) s on s.n = u.n`;
});

async function smallEvent() {
  const [{ id }] = await sql`insert into public.events
      (organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, capacity, is_published)
    values (${w.org_a}, ${"seats-" + crypto.randomUUID().slice(0, 8)}, 'Last seats', now() + interval '1 day',
            now() + interval '1 day 6 hours', now() + interval '1 day', ${CAPACITY}, true)
    returning id`;
  await sql`insert into public.event_promoters (event_id, promoter_id, team_id) values (${id}, ${w.promoter}, ${w.team})`;
  return id as string;
}

describe("the last seats", () => {
  it(`${GUESTS} guests joining a list with ${CAPACITY} seats at once: ${CAPACITY} passes, the rest guest_list_closed`, async () => {
    const conns = await Promise.all(Array.from({ length: GUESTS }, () => sql.reserve()));
    try {
      for (let round = 0; round < ROUNDS; round++) {
        const eventId = await smallEvent();
        await Promise.all(conns.map(async (c) => {
          await c`begin`;
          await c`select set_config('request.jwt.claims', '{"role":"anon"}', true), set_config('role', 'anon', true)`;
        }));
        const results = await Promise.allSettled(conns.map(async (c, i) => {
          try {
            await c`select public.join_event_with_session(${tokens[i]}, ${eventId}, ${w.promoter}, ${w.team})`;
            await c`commit`;
          } catch (e) {
            await c`rollback`;
            throw e;
          }
        }));
        const passes = results.filter((r) => r.status === "fulfilled");
        const refusals = results.filter((r) => r.status === "rejected").map((r) => apiCode((r as PromiseRejectedResult).reason));
        expect(new Set(refusals)).toEqual(new Set(["guest_list_closed"]));
        expect(passes).toHaveLength(CAPACITY);
        const [{ n }] = await sql`select count(*)::int n from public.guests where event_id = ${eventId}`;
        expect(n).toBe(CAPACITY);
      }
    } finally {
      conns.forEach((c) => c.release());
    }
  });
});
