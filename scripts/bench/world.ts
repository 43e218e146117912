// The benchmark's own organisation, nights, staff and returning guests; the ceilings a viral
// night needs (raised openly, restored afterwards); and the audit after each scenario.
import { type Guest, type Link, PASSWORD } from "./guest.ts";
import { sql, userToken } from "./lib.ts";
import { remember } from "./phone.ts";

export type World = {
  tag: string;
  org: string;
  owner: { id: string; token: string };
  scanners: { id: string; token: string }[];
  nights: Record<string, Link>;
  raised: string[];
  restore: () => Promise<void>;
};

const BIG = 10_000_000;

/** Removes what an interrupted earlier run left behind. */
export async function cleanLeftovers() {
  await sql`delete from private.client_users where email like '%@bench.example'`;
  const orgs = await sql`select id from public.organizations where name like 'Bench run %'`;
  for (const o of orgs) {
    await sql`delete from private.rate_limits where subject in (select id::text from public.events where organization_id = ${o.id})`;
    await sql`delete from public.organizations where id = ${o.id}`;
  }
  await sql`delete from auth.users where email like '%@bench.example'`;
  await sql`delete from private.rate_limits where description like 'bench:%' and subject <> '*'`;
}

export async function createWorld(nightNames: string[], scanners: number): Promise<World> {
  const tag = String(10 + Math.floor(Math.random() * 90));
  const [org] = await sql`insert into public.organizations (name) values (${"Bench run " + tag}) returning id`;
  const user = async (name: string, role: string) => {
    const email = `${name}-${tag}@bench.example`;
    const [u] = await sql`insert into auth.users (id, email) values (gen_random_uuid(), ${email}) returning id`;
    await sql`insert into public.organization_members values (${org.id}, ${u.id}, ${role})`;
    return { id: u.id as string, token: await userToken(u.id, email) };
  };
  const owner = await user("owner", "owner");
  const scannerUsers = [];
  for (let i = 0; i < scanners; i++) scannerUsers.push(await user(`scanner${i}`, "staff"));
  const [promoter] = await sql`insert into public.promoters (organization_id, slug, display_name)
    values (${org.id}, ${"bench-" + tag}, 'Bench Promoter') returning id, slug`;
  const nights: Record<string, Link> = {};
  for (const name of nightNames) {
    const slug = `${name}-${tag}`;
    const [e] = await sql`insert into public.events (organization_id, slug, name, starts_at, ends_at, guest_list_closes_at, is_published)
      values (${org.id}, ${slug}, ${"Bench " + name}, now() + interval '1 day', now() + interval '1 day 6 hours', now() + interval '1 day', true)
      returning id`;
    await sql`insert into public.event_promoters (event_id, promoter_id) values (${e.id}, ${promoter.id})`;
    nights[name] = { eventId: e.id, promoterId: promoter.id, teamId: null, promoterSlug: promoter.slug, eventSlug: slug };
  }

  // The ceilings of a viral night, in the limits table, said out loud.
  const raised: string[] = [];
  const limit = async (bucket: string, subject: string, max: number, why: string) => {
    const [d] = await sql`select max_hits, window_seconds from private.rate_limits where bucket = ${bucket} and subject = '*'`;
    if (!d) return null;
    await sql`insert into private.rate_limits (bucket, subject, max_hits, window_seconds, description)
      values (${bucket}, ${subject}, ${max}, ${d.window_seconds}, ${"bench: " + why})
      on conflict (bucket, subject) do update set max_hits = excluded.max_hits, description = excluded.description`;
    return `${d.max_hits} per ${d.window_seconds} s`;
  };
  // Every bench client is 127.0.0.1, like thousands of phones behind one carrier NAT: the
  // per-address limits would otherwise measure themselves.
  for (const bucket of ["ip", "address_passwords", "new_accounts"]) {
    const was = await limit(bucket, "127.0.0.1", BIG, "every bench client is 127.0.0.1, like thousands of phones behind one carrier NAT");
    if (was) raised.push(`\`${bucket}\` for 127.0.0.1: ${BIG} per window (default ${was}): every client of the run shares the loopback address`);
  }
  for (const [name, n] of Object.entries(nights)) await limit("event_registrations", n.eventId, BIG, `night ${name}`);
  raised.push(`\`event_registrations\` for each bench night: ${BIG}/min (default 1000/min): a viral night (an owner does this with set_event_registration_limit)`);
  for (const s of scannerUsers) {
    await limit("staff_scans", s.id, BIG, "a bench scanner");
    await limit("user", s.id, BIG, "a bench scanner");
  }
  raised.push(`\`staff_scans\` and \`user\` (per signed-in user, where it exists) for each of the ${scanners} bench scanners: ` +
    `${BIG}/min (defaults 300/min and 1200/min): scanners here run flat out`);
  // The registration's proof of work costs each phone its own CPU; here every phone is this
  // process on the guests' core, so the run asks for less work (openly, restored after). The
  // database's check is one sha256 whatever the difficulty.
  const powBits = Number(Deno.env.get("BENCH_POW_BITS") ?? 8);
  const [pow] = await sql`select value from private.settings where key = 'pow_difficulty'`;
  if (pow && Number(pow.value) > powBits) {
    await sql`update private.settings set value = ${sql.json(powBits)} where key = 'pow_difficulty'`;
    raised.push(`\`pow_difficulty\` setting: ${powBits} bits (default ${pow.value}): a phone solves the proof on its own CPU, ` +
      `here all guests' proofs are solved by one process on the guests' core (the database checks any difficulty with one sha256)`);
  }

  return {
    tag, org: org.id, owner, scanners: scannerUsers, nights, raised,
    restore: async () => {
      if (pow) await sql`update private.settings set value = ${sql.json(pow.value)} where key = 'pow_difficulty'`;
      await sql`delete from private.rate_limits where description like 'bench:%' and subject <> '*'`;
      await sql`delete from private.client_users where phone like ${"+3519" + tag + "%"} or email like '%@bench.example'`;
      await sql`delete from public.organizations where id = ${org.id}`;
      await sql`delete from auth.users where email like ${"%-" + tag + "@bench.example"}`;
    },
  };
}

/** Phone of guest `i` of scenario number `s` in this run: +3519 <tag> <s> <5 digits>. */
export const phoneOf = (w: World, s: number, i: number) => `+3519${w.tag}${s}${String(i).padStart(5, "0")}`;

let hash: string | null = null;
/**
 * Accounts for returning guests, made as the seed made them (`crypt(password, gen_salt('bf',
 * 10))`, one bcrypt for all: they share the bench password) and stored as the database stores
 * them: the salt and sha256 of the string (private.stored_password). The phones are told the
 * string (phone.ts), so a login costs them nothing on the clock.
 */
export async function createAccounts(phones: string[]) {
  hash ??= (await sql`select extensions.crypt(${PASSWORD}, extensions.gen_salt('bf', 10)) as h`)[0].h as string;
  remember(PASSWORD, hash);
  for (let i = 0; i < phones.length; i += 1000) {
    await sql`insert into private.client_users (phone, first_name, last_name, email, password_salt, password_digest)
      select p, 'Rita', 'Returning', 'r' || substr(p, 2) || '@bench.example', s.salt, s.digest
      from unnest(${phones.slice(i, i + 1000)}::text[]) p cross join private.stored_password(${hash}) s`;
  }
}

/** Passes straight in the database (for the door): returns their QR tokens. */
export async function createPasses(link: Link, phones: string[]): Promise<string[]> {
  await createAccounts(phones);
  const rows = await sql`insert into public.guests (event_id, client_user_id, promoter_id)
    select ${link.eventId}, u.id, ${link.promoterId} from private.client_users u where u.phone = any (${phones}::text[])
    returning qr_token`;
  return rows.map((r) => r.qr_token as string);
}

export type Audit = {
  shown: number; rowsForShown: number; wrongRows: number; finalAnswers: number; unfinished: number; duplicates: number;
  rowsWithoutPass: number; lost: number; ok: boolean;
};

/**
 * Every guest shown a pass has exactly one guest row (with the QR they were shown); no phone has
 * two rows on the night; no row exists for a guest who was not shown a pass. `lost` counts the
 * guests whose answer and the database disagree; `unfinished` the guests still being told to
 * wait when the run stopped waiting for them (the database owes them nothing yet).
 */
export async function audit(link: Link, guests: Guest[]): Promise<Audit> {
  const rows = await sql`select u.phone, g.qr_token from public.guests g join private.client_users u on u.id = g.client_user_id
    where g.event_id = ${link.eventId}`;
  const byPhone = new Map<string, string[]>();
  for (const r of rows) byPhone.set(r.phone, [...(byPhone.get(r.phone) ?? []), r.qr_token]);
  let rowsForShown = 0, wrongRows = 0, duplicates = 0, rowsWithoutPass = 0;
  for (const qrs of byPhone.values()) if (qrs.length > 1) duplicates++;
  for (const g of guests) {
    const qrs = byPhone.get(g.phone) ?? [];
    if (g.outcome === "pass") {
      if (qrs.length === 1 && qrs[0] === g.qr) rowsForShown++;
      else wrongRows++;
    } else if (qrs.length) {
      rowsWithoutPass++;
    }
  }
  const shown = guests.filter((g) => g.outcome === "pass").length;
  const finalAnswers = guests.filter((g) => g.outcome === "final").length;
  const unfinished = guests.filter((g) => g.outcome !== "pass" && g.outcome !== "final").length;
  const lost = wrongRows + rowsWithoutPass;
  return { shown, rowsForShown, wrongRows, finalAnswers, unfinished, duplicates, rowsWithoutPass, lost,
    ok: lost === 0 && duplicates === 0 };
}

/** Sets the registration proof's difficulty (bits); returns the previous value. */
export async function setPowBits(bits: number): Promise<number> {
  const [pow] = await sql`select value from private.settings where key = 'pow_difficulty'`;
  if (pow) await sql`update private.settings set value = ${sql.json(bits)} where key = 'pow_difficulty'`;
  return pow ? Number(pow.value) : bits;
}
