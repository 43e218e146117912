// The night's list under parallel clients: the last place taken by a plus-one, a promoter's quota,
// the night's counts kept by many connections at once, and two places freed at once with a waiting list. Real parallel connections, each a
// transaction as PostgREST runs it, all opened with their role set before the calls are fired
// together, so that the calls meet at the count (a race that only sometimes happens proves nothing).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type postgres from "postgres";
import { apiCode, connect } from "./db";
import { makeWorld, type World } from "./env";

const GUESTS = 30;
const sql = connect(GUESTS + 1);
afterAll(() => sql.end());

let w: World;
let tokens: string[] = [];

beforeAll(async () => {
  w = await makeWorld();
  tokens = Array.from({ length: GUESTS }, () => crypto.randomUUID() + crypto.randomUUID());
  await sql`with hash as (select s.salt, s.digest from private.stored_password(extensions.crypt('List-2026x', extensions.gen_salt('bf', 10))) s),
    users as (
      insert into private.client_users (phone, first_name, last_name, password_salt, password_digest)
      select '+3519' || lpad((floor(random() * 1e8))::int::text, 8, '0'), 'List', 'Guest' || i, hash.salt, hash.digest
      from generate_series(1, ${GUESTS}) i, hash
      returning id)
    insert into private.guest_sessions (token_hash, client_user_id, expires_at)
    select private.sha256(t), u.id, now() + interval '1 day'
    from (select id, row_number() over () n from users) u
    join (select t, row_number() over () n from unnest(${tokens}::text[]) t) s on s.n = u.n`;
});

async function night(capacity: number | null, plusOnesMax = 0, waitingList = false) {
  const [{ id }] = await sql`insert into public.events
      (organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, capacity, is_published,
       plus_ones_max, waiting_list)
    values (${w.org_a}, ${"list-" + crypto.randomUUID().slice(0, 8)}, 'The list', now() + interval '1 day',
            now() + interval '1 day 6 hours', now() + interval '1 day', ${capacity}, true, ${plusOnesMax}, ${waitingList})
    returning id`;
  await sql`insert into public.event_promoters (event_id, promoter_id, team_id) values (${id}, ${w.promoter}, ${w.team})`;
  return id as string;
}

/** Runs each call in its own transaction on its own connection, all opened before any call is fired. */
async function together(calls: ((c: postgres.ReservedSql) => Promise<unknown>)[], claims: Record<string, string>) {
  const conns = await Promise.all(calls.map(() => sql.reserve()));
  try {
    const role = claims.role;
    await Promise.all(conns.map(async (c) => {
      await c`begin`;
      await c`select set_config('request.jwt.claims', ${JSON.stringify(claims)}, true), set_config('role', ${role}, true)`;
    }));
    return await Promise.allSettled(conns.map(async (c, i) => {
      try {
        const r = await calls[i](c);
        await c`commit`;
        return r;
      } catch (e) {
        await c`rollback`;
        throw e;
      }
    }));
  } finally {
    conns.forEach((c) => c.release());
  }
}

const anon = { role: "anon" };
const join = (eventId: string, i: number) => (c: postgres.ReservedSql) =>
  c`select public.join_event_with_session(${tokens[i]}, ${eventId}, ${w.promoter}, ${w.team}) v`;
const places = async (eventId: string) =>
  Number((await sql`select private.places_taken(${eventId}) n`)[0].n);
const refusals = (rs: PromiseSettledResult<unknown>[]) =>
  new Set(rs.filter((r) => r.status === "rejected").map((r) => apiCode((r as PromiseRejectedResult).reason)));

describe("the list under parallel clients", () => {
  it("the last places: a guest's +2 against new guests joining, never past the capacity", async () => {
    for (let round = 0; round < 3; round++) {
      const eventId = await night(3, 2);
      await sql`select public.join_event_with_session(${tokens[0]}, ${eventId}, ${w.promoter}, ${w.team})`;
      const rs = await together([
        (c) => c`select public.set_my_plus_ones(${tokens[0]}, ${eventId}, 2)`,
        ...Array.from({ length: 10 }, (_, i) => join(eventId, i + 1)),
      ], anon);
      expect(await places(eventId)).toBe(3);
      const plusOnes = rs[0].status === "fulfilled";
      const joined = rs.slice(1).filter((r) => r.status === "fulfilled").length;
      expect(joined).toBe(plusOnes ? 0 : 2);
      expect([...refusals(rs)].every((c) => ["guest_list_closed", "not_enough_places"].includes(c))).toBe(true);
    }
  });

  it("a promoter's quota of 3 with 25 guests joining at once: 3 passes, the rest quota_full", async () => {
    const eventId = await night(null);
    await sql`insert into private.event_quotas (event_id, promoter_id, places) values (${eventId}, ${w.promoter}, 3)`;
    const rs = await together(Array.from({ length: 25 }, (_, i) => join(eventId, i)), anon);
    expect(rs.filter((r) => r.status === "fulfilled")).toHaveLength(3);
    expect(refusals(rs)).toEqual(new Set(["quota_full"]));
    expect(await places(eventId)).toBe(3);
  });

  it("a night's counts with 30 guests joining at once and 10 revoked at once, on as many connections: equal to the passes", async () => {
    // No capacity and no quota: nothing serialises the night, so every connection writes its own
    // counter row at the same time (private.event_guest_counts).
    const eventId = await night(null);
    const joined = await together(Array.from({ length: GUESTS }, (_, i) => join(eventId, i)), anon);
    expect(joined.filter((r) => r.status === "fulfilled")).toHaveLength(GUESTS);
    const counted = async () => (await sql`select private.list_totals(${eventId}) as kept,
        (select jsonb_build_object('registered', count(*) filter (where g.status not in ('waiting', 'pending', 'revoked')),
                                   'revoked', count(*) filter (where g.status = 'revoked'))
         from public.guests g where g.event_id = ${eventId}) as passes,
        (select count(*)::int from private.event_guest_counts c where c.event_id = ${eventId}) as rows`)[0];
    const afterJoins = await counted();
    expect(afterJoins.kept.registered).toBe(GUESTS);
    expect(afterJoins.rows).toBeGreaterThan(1);
    const passes = await sql`select g.id from public.guests g where g.event_id = ${eventId} order by g.created_at, g.id limit 10`;
    const revoked = await together(passes.map((p) => (c: postgres.ReservedSql) =>
      c`select public.revoke_guest(${eventId}, ${p.id}, 'Ten at once')`), { role: "authenticated", sub: w.owner_a });
    expect(revoked.every((r) => r.status === "fulfilled")).toBe(true);
    const after = await counted();
    expect({ registered: after.kept.registered, revoked: after.kept.revoked }).toEqual(after.passes);
    expect(after.passes).toEqual({ registered: GUESTS - 10, revoked: 10 });
    expect(await places(eventId)).toBe(GUESTS - 10);
  });

  it("two places freed at once: each of the first two waiting guests gets one, in order", async () => {
    for (let round = 0; round < 3; round++) {
      const eventId = await night(2, 0, true);
      // Two on the list, then four waiting, one after the other.
      for (let i = 0; i < 6; i++) await sql`select public.join_event_with_session(${tokens[i]}, ${eventId}, ${w.promoter}, ${w.team})`;
      const passes = await sql`select g.id, g.status from public.guests g where g.event_id = ${eventId} order by g.created_at, g.id`;
      expect(passes.map((p) => p.status)).toEqual(["registered", "registered", "waiting", "waiting", "waiting", "waiting"]);
      const rs = await together(passes.slice(0, 2).map((p) => (c: postgres.ReservedSql) =>
        c`select public.revoke_guest(${eventId}, ${p.id}, 'Two at once')`), { role: "authenticated", sub: w.owner_a });
      expect(rs.every((r) => r.status === "fulfilled")).toBe(true);
      const after = await sql`select g.status from public.guests g where g.event_id = ${eventId} order by g.created_at, g.id`;
      expect(after.map((p) => p.status)).toEqual(["revoked", "revoked", "registered", "registered", "waiting", "waiting"]);
      expect(await places(eventId)).toBe(2);
    }
  });
});
