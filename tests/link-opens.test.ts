// Opens of a promoter's link counted from many phones at once: every open counts, exactly once,
// through the real gateway with parallel clients (the counter is an upsert on a few rows, which
// must lose no increment when opens collide on the same row).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { client, makeWorld, type World } from "./env";

const sql = connect(1);
let w: World;
beforeAll(async () => { w = await makeWorld(); });
afterAll(() => sql.end());

const opens = async (event: string) =>
  Number((await sql`select coalesce(sum(opens), 0) n from private.link_opens where event_id = ${event} and promoter_id = ${w.promoter}`)[0].n);

describe("record_link_open under a burst", () => {
  it("counts each of 200 opens from 20 parallel clients", async () => {
    const before = await opens(w.open_event);
    // Each phone opens the link ten times in a row, twenty phones at once; a call the platform
    // turned away before running it (504, its pool busy) is repeated, as clients do.
    const open = async (c: ReturnType<typeof client>): Promise<void> => {
      const { error, status } = await c.rpc("record_link_open", { p_promoter_slug: w.promoter_slug, p_event_slug: w.open_slug });
      // A pool timeout, or the early refusal that keeps capacity for staff: both say "again".
      if (error && (status === 504 || error.message === "busy")) return open(c);
      expect(error).toBeNull();
    };
    await Promise.all(Array.from({ length: 20 }, async () => {
      const c = client();
      for (let i = 0; i < 10; i++) await open(c);
    }));
    expect(await opens(w.open_event)).toBe(before + 200);
  });

  it("a draft night's link counts nothing, however often it is opened", async () => {
    await Promise.all(Array.from({ length: 10 }, () =>
      client().rpc("record_link_open", { p_promoter_slug: w.promoter_slug, p_event_slug: w.draft_slug })));
    expect(await opens(w.draft_event)).toBe(0);
  });
});
