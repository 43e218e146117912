// Bans under parallel clients: two identical bans at once give one row, and a ban racing a
// registration of the same number leaves no pass that enters, whichever commits first. Real
// connections, each a transaction as PostgREST runs it; the races are held open on purpose (one
// transaction waits uncommitted while the other runs), so that the result does not depend on luck.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type postgres from "postgres";
import { connect } from "./db";
import { makeWorld, type World } from "./env";

const sql = connect(6);
afterAll(() => sql.end());

let w: World;
beforeAll(async () => {
  w = await makeWorld();
});

const owner = () => ({ role: "authenticated", sub: w.owner_a });
const anon = (address: string) => ({ role: "anon", address });

/** A transaction on its own connection, acting as `claims` (and from `address`, for anon). */
async function open(claims: { role: string; sub?: string; address?: string }) {
  const c = await sql.reserve();
  await c`begin`;
  await c`select set_config('request.jwt.claims', ${JSON.stringify({ role: claims.role, sub: claims.sub })}, true),
                 set_config('request.headers', ${JSON.stringify({ "x-forwarded-for": claims.address ?? "198.51.100.1" })}, true),
                 set_config('role', ${claims.role}, true)`;
  return c;
}
const done = async (c: postgres.ReservedSql, ok = true) => {
  await (ok ? c`commit` : c`rollback`);
  c.release();
};
const ban = (c: postgres.ReservedSql, phone: string, reason = "Fight") =>
  c`select public.ban_phone(${w.org_a}, ${phone}, ${reason}) v`;
const register = (c: postgres.ReservedSql, phone: string) =>
  c`select public.register_and_create_guest_v2(${phone}, 'Rita', 'Race', 'rita@example.com', tests.bcrypt('Noite-2026'),
      ${w.open_event}, ${w.promoter}, ${w.team}, tests.proof()) v`;
/** Whether the number holds a pass for the open night that is not revoked. */
const activePass = async (phone: string) =>
  (await sql`select count(*)::int n from public.guests g join private.client_users u on u.id = g.client_user_id
             where u.phone = ${phone} and g.event_id = ${w.open_event} and g.status <> 'revoked'`)[0].n > 0;
const number = (i: number) => `+35193${String(Date.now() % 10000).padStart(4, "0")}${String(i).padStart(3, "0")}`;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("bans under parallel clients", () => {
  it("two identical bans at once give one ban", async () => {
    for (let round = 0; round < 3; round++) {
      const phone = number(100 + round);
      const conns = await Promise.all([open(owner()), open(owner()), open(owner())]);
      const rs = await Promise.allSettled(conns.map(async (c) => {
        try {
          const r = await ban(c, phone);
          await done(c);
          return r;
        } catch (e) {
          await done(c, false);
          throw e;
        }
      }));
      expect(rs.map((r) => r.status)).toEqual(["fulfilled", "fulfilled", "fulfilled"]);
      const [{ n }] = await sql`select count(*)::int n from private.organization_bans where organization_id = ${w.org_a} and phone = ${phone}`;
      expect(n).toBe(1);
    }
  });

  it("a registration first, uncommitted, then a ban: the ban waits and revokes the new pass", async () => {
    const phone = number(200);
    const guest = await open(anon("198.51.100.201"));
    const r = await register(guest, phone);
    expect(r[0].v).toHaveProperty("qr_token");
    const admin = await open(owner());
    const banned = ban(admin, phone).then((x) => x);
    await pause(300);
    await done(guest);
    const [{ v }] = await banned;
    await done(admin);
    expect(v.revoked).toBe(1);
    expect(await activePass(phone)).toBe(false);
  });

  it("a ban first, uncommitted, then a registration: the registration waits and is refused", async () => {
    const phone = number(300);
    const admin = await open(owner());
    await ban(admin, phone);
    const guest = await open(anon("198.51.100.202"));
    const registered = register(guest, phone).then((x) => x);
    await pause(300);
    await done(admin);
    const [{ v }] = await registered;
    await done(guest);
    expect(v.message).toBe("not_admitted");
    expect(await activePass(phone)).toBe(false);
    const [{ n }] = await sql`select count(*)::int n from private.client_users where phone = ${phone}`;
    expect(n).toBe(0);
  });

  it("a login first, uncommitted, then the operator's suspension: the suspension waits and revokes the pass", async () => {
    const phone = number(400);
    await sql`select tests.create_guest_account(${phone})`;
    const guest = await open(anon("198.51.100.203"));
    const [{ v: pass }] = await guest`select public.authenticate_and_create_guest_v2(${phone}, tests.bcrypt('Guest-2026', ${phone}),
        ${w.open_event}, ${w.promoter}, ${w.team}) v`;
    expect(pass).toHaveProperty("qr_token");
    const operator = await open({ role: "service_role" });
    const suspended = operator`select public.suspend_guest_account(${phone}, 'Fraud') v`.then((x) => x);
    await pause(300);
    await done(guest);
    const [{ v }] = await suspended;
    await done(operator);
    expect(v.revoked).toBe(1);
    expect(await activePass(phone)).toBe(false);
  });
});
