// The door with real parallel clients: two devices scanning one pass (by its QR and by its short
// code), two offline devices reconciling the same pass, the same upload sent twice at once, and
// two re-entries at once. One arrival each time; the rest amber or a conflict, never counted twice;
// an arrival judged offline on two devices is recorded at the earlier scan, whichever uploaded first.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { callAs, callWithRetry, connect } from "./db";
import { makeWorld, phoneHash, proof, randomPhone } from "./env";

const password = await phoneHash("Porta-2026x");
const sql = connect(20);
afterAll(() => sql.end());

let w: Record<string, string>;
beforeAll(async () => { w = await makeWorld(); });

async function newPass(first: string): Promise<{ qr_token: string; code: string }> {
  const pass = await callWithRetry(sql, "anon", "register_and_create_guest_v2", {
    p_phone: randomPhone(), p_first_name: first, p_last_name: "Paralelo", p_email: "p@example.com", p_password: password,
    p_event_id: w.open_event, p_promoter_id: w.promoter, p_team_id: w.team, p_proof: await proof(),
  });
  const qr = pass.qr_token as string;
  const [{ code }] = await sql`select short_code code from public.guests where qr_token = ${qr}`;
  return { qr_token: qr, code: code as string };
}
const checkins = (qr: string) => sql`select c.result, c.nonce from public.checkins c join public.guests g on g.id = c.guest_id
  where g.qr_token = ${qr}`;
const offlineScan = (code: string, verdict = "checked_in") =>
  ({ nonce: crypto.randomUUID(), code, direction: "in", at: new Date().toISOString(), verdict });

describe("the door, in parallel", () => {
  it("two devices scan one pass at once, by QR and by short code: one checked_in, one already_checked_in", async () => {
    const pass = await newPass("Duas");
    const answers = await Promise.all([
      callAs(sql, "authenticated", "check_in_guest", { p_event_id: w.open_event, p_qr_token: pass.qr_token, p_nonce: crypto.randomUUID() }, w.staff_a),
      callAs(sql, "authenticated", "check_in_guest", { p_event_id: w.open_event, p_qr_token: pass.code, p_nonce: crypto.randomUUID() }, w.owner_a),
    ]);
    expect(answers.map((a) => a.verdict).sort()).toEqual(["already_checked_in", "checked_in"]);
    expect((await checkins(pass.qr_token)).filter((r) => r.result === "checked_in")).toHaveLength(1);
  });

  it("two offline devices reconcile the same pass at once: one check-in, one conflict", async () => {
    const pass = await newPass("Offline");
    const [a, b] = (await Promise.all([
      callAs(sql, "authenticated", "door_sync", { p_event_id: w.open_event, p_scans: [offlineScan(pass.qr_token)] }, w.staff_a),
      callAs(sql, "authenticated", "door_sync", { p_event_id: w.open_event, p_scans: [offlineScan(pass.code)] }, w.owner_a),
    ])) as unknown as { verdict: string }[][];
    expect([a[0].verdict, b[0].verdict].sort()).toEqual(["checked_in", "conflict"]);
    expect((await checkins(pass.qr_token)).map((r) => r.result).sort()).toEqual(["checked_in", "conflict"]);
    const [{ n }] = await sql`select count(*)::int n from public.guests where qr_token = ${pass.qr_token} and checked_in_at is not null`;
    expect(n).toBe(1);
  });

  it("the same upload sent twice at once is counted once", async () => {
    const [p1, p2] = [await newPass("Retry"), await newPass("Again")];
    const scans = [offlineScan(p1.qr_token), offlineScan(p2.code), offlineScan("forged-0000000000000", "unknown")];
    const uploads = (await Promise.all([1, 2, 3].map(() =>
      callAs(sql, "authenticated", "door_sync", { p_event_id: w.open_event, p_scans: scans }, w.staff_a)))) as unknown as { verdict: string }[][];
    expect(new Set(uploads.map((u) => JSON.stringify(u))).size).toBe(1);
    expect(uploads[0].map((r) => r.verdict)).toEqual(["checked_in", "checked_in", "unknown"]);
    const [{ n }] = await sql`select count(*)::int n from public.checkins where nonce = any(${scans.map((s) => s.nonce)})`;
    expect(n).toBe(3);
  });

  it("two offline devices that admitted one guest at different times sync at once: one arrival, at the earlier scan", async () => {
    const [{ starts }] = await sql`select starts_at starts from public.events where id = ${w.open_event}`;
    await sql`update public.events set starts_at = now() - interval '1 hour' where id = ${w.open_event}`;
    try {
      for (let round = 0; round < 3; round++) {
        const pass = await newPass(["Cedo", "Cedinho", "Cedissimo"][round]);
        await sql`update public.guests set created_at = now() - interval '1 hour' where qr_token = ${pass.qr_token}`;
        const early = new Date(Date.now() - 20 * 60_000).toISOString();
        const late = new Date(Date.now() - 5 * 60_000).toISOString();
        // Each round, the other device's upload may win the row: the arrival is the earlier scan either way.
        const uploads = [
          callAs(sql, "authenticated", "door_sync", { p_event_id: w.open_event, p_scans: [{ ...offlineScan(pass.qr_token), scanned_at: late }] }, w.staff_a),
          callAs(sql, "authenticated", "door_sync", { p_event_id: w.open_event, p_scans: [{ ...offlineScan(pass.code), scanned_at: early }] }, w.owner_a),
        ];
        const [a, b] = (await Promise.all(round % 2 ? uploads.reverse() : uploads)) as unknown as { verdict: string }[][];
        expect([a[0].verdict, b[0].verdict].sort()).toEqual(["checked_in", "conflict"]);
        const [{ at }] = await sql`select checked_in_at at from public.guests where qr_token = ${pass.qr_token}`;
        expect((at as Date).toISOString()).toBe(early);
      }
    } finally {
      await sql`update public.events set starts_at = ${starts} where id = ${w.open_event}`;
    }
  });

  it("two devices let the same guest back in at once on a night with exit scans: one re_entered", async () => {
    await sql`insert into private.door_settings (event_id, exit_scans) values (${w.open_event}, true)
              on conflict (event_id) do update set exit_scans = true`;
    try {
      const pass = await newPass("Volta");
      const scan = (fn: string, user: string) => callAs(sql, "authenticated", fn,
        { p_event_id: w.open_event, p_qr_token: pass.qr_token, p_nonce: crypto.randomUUID() }, user);
      expect((await scan("check_in_guest", w.staff_a)).verdict).toBe("checked_in");
      expect((await scan("check_out_guest", w.staff_a)).verdict).toBe("checked_out");
      const again = await Promise.all([scan("check_in_guest", w.staff_a), scan("check_in_guest", w.owner_a)]);
      expect(again.map((a) => a.verdict).sort()).toEqual(["already_checked_in", "re_entered"]);
    } finally {
      await sql`delete from private.door_settings where event_id = ${w.open_event}`;
    }
  });
});
