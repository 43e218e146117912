// The promoter's live view through the real supabase-js: a promoter's private topic carries their
// own guests only, a team leader's the team's; nobody else may join them, and a promoter may not
// join the organisers' event:<id>.
import type { RealtimeChannel, SupabaseClient } from "@supabase/supabase-js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { signer } from "./manage-auth";
import { rawClient, phoneHash, proof, eventually, makeWorld, randomPhone, type World } from "./env";

const signedIn = signer("127.0.0.22");

const sql = connect(1);
let w: World;
const opened: SupabaseClient[] = [];
type Received = { event: string; payload: Record<string, unknown> };

function listen(c: SupabaseClient, topic: string) {
  const received: Received[] = [];
  const channel: RealtimeChannel = c.channel(topic, { config: { private: true } })
    .on("broadcast", { event: "*" }, (m) => received.push({ event: m.event, payload: m.payload }));
  const state = new Promise<string>((resolve) =>
    channel.subscribe((status, err) => {
      if (status === "SUBSCRIBED") resolve(status);
      if (status === "CHANNEL_ERROR" || status === "TIMED_OUT") resolve(`${status}: ${err?.message ?? ""}`);
    })
  );
  return { received, state };
}

async function register(first: string, promoter: string, team: string | null) {
  const { data, error } = await rawClient().rpc("register_and_create_guest_v2", {
    p_phone: randomPhone(), p_first_name: first, p_last_name: "Lima", p_email: "g@example.com", p_password: await phoneHash("Live-2026x"),
    p_event_id: w.open_event, p_promoter_id: promoter, p_team_id: team, p_proof: await proof(),
  });
  if (error) throw error;
  return data as { guest_id: string };
}

beforeAll(async () => {
  await makeWorld(); // loads the SQL helpers
  [{ v: w }] = await sql`select tests.manage_world() as v`;
});
afterAll(async () => {
  await Promise.all(opened.map((c) => c.removeAllChannels()));
  await sql.end();
});

describe("a promoter's live channel", () => {
  it("carries their own guests only; a team leader's carries the team's", async () => {
    const [pat, quinn, lee] = await Promise.all([signedIn(w.promoter_user), signedIn(w.other_user), signedIn(w.leader_user)]);
    opened.push(pat, quinn, lee);
    const patSub = listen(pat, `promoter:${w.promoter}`);
    const quinnSub = listen(quinn, `promoter:${w.other_promoter}`);
    const teamSub = listen(lee, `team:${w.team}`);
    expect(await Promise.all([patSub.state, quinnSub.state, teamSub.state])).toEqual(["SUBSCRIBED", "SUBSCRIBED", "SUBSCRIBED"]);

    const first = await register("Paula", w.promoter, w.team);
    const got = await eventually(() => patSub.received.find((m) => m.payload.guest_id === first.guest_id));
    expect(got.event).toBe("guest_registered");
    expect(got.payload.first_name).toBe("Paula");
    expect(JSON.stringify(got.payload)).not.toMatch(/Lima|g@example\.com|\+351|totals|qr_token/);
    await eventually(() => teamSub.received.find((m) => m.payload.guest_id === first.guest_id));

    const quinnsGuest = await register("Quim", w.other_promoter, null);
    await eventually(() => quinnSub.received.find((m) => m.payload.guest_id === quinnsGuest.guest_id));
    // A later guest of Pat's arrives after Quinn's would have: by then a leak would have shown.
    const second = await register("Pedro", w.promoter, w.team);
    await eventually(() => patSub.received.find((m) => m.payload.guest_id === second.guest_id));
    await eventually(() => teamSub.received.find((m) => m.payload.guest_id === second.guest_id));
    expect(patSub.received.map((m) => m.payload.first_name)).toEqual(["Paula", "Pedro"]);
    expect(teamSub.received.map((m) => m.payload.first_name)).toEqual(["Paula", "Pedro"]);
    expect(quinnSub.received.map((m) => m.payload.first_name)).toEqual(["Quim"]);
  });

  it("nobody else may join a promoter's or a team's topic, and promoters may not join the night's", async () => {
    const [pat, quinn, owner] = await Promise.all([signedIn(w.promoter_user), signedIn(w.other_user), signedIn(w.owner_a)]);
    opened.push(pat, quinn, owner);
    const attempts = [
      listen(quinn, `promoter:${w.promoter}`), listen(pat, `team:${w.team}`), listen(owner, `promoter:${w.promoter}`),
      listen(pat, `event:${w.open_event}`), listen(rawClient(), `promoter:${w.promoter}`),
    ];
    for (const a of attempts) expect(await a.state).toMatch(/^CHANNEL_ERROR.*Unauthorized/);
  });
});
