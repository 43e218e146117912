// Management under concurrency, with real parallel connections (each call its own transaction,
// as PostgREST runs it). A third connection holds the contended row while both calls start, so
// they really overlap, then lets go.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { apiCode, callAs, connect } from "./db";
import { makeWorld, type World } from "./env";

const sql = connect(6);
let w: World;

beforeAll(async () => {
  w = await makeWorldWithAdmins();
});
afterAll(() => sql.end());

async function makeWorldWithAdmins(): Promise<World> {
  const base = await makeWorld();
  const [{ a1 }] = await sql`select tests.create_user('admin1-' || gen_random_uuid() || '@a.test') as a1`;
  const [{ a2 }] = await sql`select tests.create_user('admin2-' || gen_random_uuid() || '@a.test') as a2`;
  await sql`insert into public.organization_members values (${base.org_a}, ${a1}, 'admin'), (${base.org_a}, ${a2}, 'admin')`;
  return { ...base, admin1: a1, admin2: a2 };
}

/**
 * Runs `calls` in parallel while another transaction holds `lockSql` (a SELECT … FOR UPDATE),
 * releasing it once every call has reached the database, and returns their settled results.
 */
async function contended<T>(lockSql: string, params: unknown[], calls: (() => Promise<T>)[]) {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  let locked!: () => void;
  const isLocked = new Promise<void>((r) => (locked = r));
  const holder = sql.begin(async (tx) => {
    await tx.unsafe(lockSql, params as never[]);
    locked();
    await held;
  });
  await isLocked;
  const running = calls.map((c) => c());
  // Both calls are waiting on the lock once two backends show a lock wait.
  for (let i = 0; i < 200; i++) {
    const [{ n }] = await sql`select count(*)::int n from pg_stat_activity where wait_event_type = 'Lock' and datname = current_database()`;
    if (n >= calls.length) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  release();
  await holder;
  return Promise.allSettled(running);
}

const codes = (results: PromiseSettledResult<unknown>[]) =>
  results.map((r) => (r.status === "fulfilled" ? "ok" : apiCode(r.reason))).sort();

describe("management under concurrency", () => {
  it("two admins saving the same night at once: one edit wins, the other is told, nothing is lost unseen", async () => {
    const edit = (who: string, name: string) => () =>
      callAs(sql, "authenticated", "update_event", {
        p_event_id: w.open_event2, p_version: 1, p_slug: "both-edit-" + w.open_event2.slice(0, 8), p_name: name, p_venue: null,
        p_starts_at: "2031-01-01T22:00:00Z", p_ends_at: "2031-01-02T06:00:00Z", p_guest_list_closes_at: "2031-01-02T01:00:00Z",
        p_capacity: null, p_is_published: true,
      }, who);
    const results = await contended("select 1 from public.events where id = $1 for update", [w.open_event2],
      [edit(w.admin1, "Edit one"), edit(w.admin2, "Edit two")]);
    expect(codes(results)).toEqual(["event_changed", "ok"]);
    const winner = results.find((r) => r.status === "fulfilled") as PromiseFulfilledResult<Record<string, unknown>>;
    const [row] = await sql`select name, version from public.events where id = ${w.open_event2}`;
    expect(row).toEqual({ name: winner.value.name, version: 2 });
  });

  it("two admins creating the same slug at once: one night", async () => {
    const slug = "same-" + w.org_a.slice(0, 8);
    const create = (who: string) => () =>
      callAs(sql, "authenticated", "create_event", {
        p_organization_id: w.org_a, p_slug: slug, p_name: "Same", p_venue: null, p_starts_at: "2031-02-01T22:00:00Z",
        p_ends_at: "2031-02-02T06:00:00Z", p_guest_list_closes_at: "2031-02-02T01:00:00Z",
      }, who);
    const results = await Promise.allSettled([create(w.admin1)(), create(w.admin2)()]);
    expect(codes(results)).toEqual(["ok", "slug_taken"]);
    const [{ n }] = await sql`select count(*)::int n from public.events where organization_id = ${w.org_a} and slug = ${slug}`;
    expect(n).toBe(1);
  });

  it("an invitation accepted twice at once: one membership, both taps answered", async () => {
    const email = `twice-${Date.now()}@example.com`;
    const [{ id: invitee }] = await sql`select tests.create_user(${email}) as id`;
    const inv = await callAs(sql, "authenticated", "invite_member", { p_organization_id: w.org_a, p_email: email, p_role: "staff" }, w.admin1);
    const accept = () => callAs(sql, "authenticated", "accept_invitation", { p_token: inv.token }, invitee);
    const results = await contended("select 1 from public.invitations where id = $1 for update", [inv.id], [accept, accept]);
    expect(codes(results)).toEqual(["ok", "ok"]);
    const answers = results.map((r) => (r as PromiseFulfilledResult<Record<string, unknown>>).value.already_accepted).sort();
    expect(answers).toEqual([false, true]);
    const rows = await sql`select role from public.organization_members where organization_id = ${w.org_a} and user_id = ${invitee}`;
    expect(rows).toEqual([{ role: "staff" }]);
  });

  it("two owners stepping down at once: the organisation keeps one owner", async () => {
    const [{ id: second }] = await sql`select tests.create_user('owner2-' || gen_random_uuid() || '@a.test') as id`;
    await sql`insert into public.organization_members values (${w.org_a}, ${second}, 'owner')`;
    const leave = (who: string) => () => callAs(sql, "authenticated", "remove_member", { p_organization_id: w.org_a, p_user_id: who }, who);
    const results = await contended("select 1 from public.organizations where id = $1 for update", [w.org_a],
      [leave(w.owner_a), leave(second)]);
    expect(codes(results)).toEqual(["last_owner", "ok"]);
    const [{ n }] = await sql`select count(*)::int n from public.organization_members where organization_id = ${w.org_a} and role = 'owner'`;
    expect(n).toBe(1);
    w.owner_a = (await sql`select user_id from public.organization_members where organization_id = ${w.org_a} and role = 'owner'`)[0].user_id;
  });

  it("two owners removing each other at once: one removal happens, the organisation keeps an owner", async () => {
    const [{ id: second }] = await sql`select tests.create_user('owner3-' || gen_random_uuid() || '@a.test') as id`;
    await sql`insert into public.organization_members values (${w.org_a}, ${second}, 'owner')`;
    const remove = (who: string, whom: string) => () =>
      callAs(sql, "authenticated", "remove_member", { p_organization_id: w.org_a, p_user_id: whom }, who);
    const results = await contended("select 1 from public.organizations where id = $1 for update", [w.org_a],
      [remove(w.owner_a, second), remove(second, w.owner_a)]);
    // The one removed first can no longer act: its call is refused, not applied.
    expect(codes(results)).toEqual(["membership_changed", "ok"]);
    const [{ n }] = await sql`select count(*)::int n from public.organization_members where organization_id = ${w.org_a} and role = 'owner'`;
    expect(n).toBe(1);
  });

  it("linking the same promoter twice at once gives one link", async () => {
    const link = () => callAs(sql, "authenticated", "link_promoter", { p_event_id: w.open_event2, p_promoter_id: w.other_promoter }, w.admin1);
    const results = await Promise.allSettled([link(), link()]);
    expect(codes(results)).toEqual(["ok", "ok"]);
    const [{ n }] = await sql`select count(*)::int n from public.event_promoters where event_id = ${w.open_event2} and promoter_id = ${w.other_promoter}`;
    expect(n).toBe(1);
  });
});
