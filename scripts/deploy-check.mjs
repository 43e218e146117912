// npm run deploy:check: verifies a deployed project over HTTP with its URL and keys only
// (docs/deploy.md, "Check the deployment"). Environment:
//   API_URL (or SUPABASE_URL)   the project's URL
//   ANON_KEY, SERVICE_ROLE_KEY  its keys
//   PAGES_URL                   where the pages are hosted (default: API_URL, as locally)
//   MY_ADDRESS                  this machine's public address (default: asked of the project's
//                               edge at /cdn-cgi/trace; the socket address for a loopback URL)
//   SECOND_LOCAL_ADDRESS        a second local address to call from (default: 127.0.0.2 for a
//                               loopback URL; otherwise the two-caller check is skipped, said so)
//   CRON_WAIT_SECONDS           how long to wait for every-minute jobs' first run (default 90)
// Checks: every function answers; the pre-request hook is installed; every cron job of the
// migrations exists, is active and has run without failing; the pages' config.js points at the
// project and /ops answers; e-mail delivery is configured; the database sees each caller's own
// address. Exit status: the number of failed checks (0: all passed).
import http from "node:http";
import https from "node:https";
import { cronJobs, functionNames } from "./deploy-lib.mjs";

const apiUrl = (process.env.API_URL ?? process.env.SUPABASE_URL ?? "").replace(/\/$/, "");
const anonKey = process.env.ANON_KEY ?? process.env.SUPABASE_ANON_KEY ?? "";
const serviceKey = process.env.SERVICE_ROLE_KEY ?? process.env.SUPABASE_SERVICE_ROLE_KEY ?? "";
const pagesUrl = (process.env.PAGES_URL ?? apiUrl).replace(/\/$/, "");
if (!apiUrl || !anonKey || !serviceKey) {
  console.error("deploy:check needs API_URL, ANON_KEY and SERVICE_ROLE_KEY in the environment");
  process.exit(2);
}
const loopback = /^https?:\/\/(127\.\d+\.\d+\.\d+|localhost)(:\d+)?$/.test(apiUrl);

let failed = 0;
const pass = (what) => console.log(`ok    ${what}`);
const fail = (what) => (failed++, console.log(`FAIL  ${what}`));
const note = (what) => console.log(`note  ${what}`);

/** One HTTP request (node:http, so that the local address can be chosen). */
function request(url, { method = "GET", headers = {}, body, localAddress } = {}) {
  const u = new URL(url);
  const lib = u.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = lib.request(u, { method, headers, localAddress }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (text += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
    });
    req.on("error", reject);
    req.setTimeout(15_000, () => req.destroy(new Error("timed out")));
    if (body !== undefined) req.write(body);
    req.end();
  });
}
const keyHeaders = (key) => ({ apikey: key, authorization: `Bearer ${key}`, "content-type": "application/json" });
const rpc = (fn, key, extra = {}) =>
  request(`${apiUrl}/rest/v1/rpc/${fn}`, { method: "POST", headers: { ...keyHeaders(key), ...extra.headers }, body: "{}", localAddress: extra.localAddress });
const parse = (text) => { try { return JSON.parse(text); } catch { return null; } };

// ---- functions ------------------------------------------------------------------------------
for (const name of functionNames()) {
  const res = await request(`${apiUrl}/functions/v1/${name}`, {
    method: "OPTIONS", headers: { origin: "https://example.test", "access-control-request-method": "POST" },
  }).catch((e) => ({ status: 0, text: e.message }));
  if (res.status === 200) pass(`function ${name} answers`);
  else fail(`function ${name}: OPTIONS answered ${res.status} ${res.text.slice(0, 120)} (deployed? npm run deploy)`);
}

// ---- the database: hook, cron, outbox -------------------------------------------------------
async function status() {
  const res = await rpc("deploy_status", serviceKey);
  if (res.status !== 200) throw new Error(`deploy_status answered ${res.status} ${res.text.slice(0, 200)} (migrations pushed? service role key right?)`);
  return JSON.parse(res.text);
}
let state;
try {
  state = await status();
} catch (e) {
  fail(e.message);
}
if (state) {
  if (state.pre_request?.setting === "private.check_request" && state.pre_request.exists) {
    pass("pre-request hook installed (authenticator: pgrst.db_pre_request = private.check_request)");
  } else {
    fail(`pre-request hook: ${JSON.stringify(state.pre_request)} (expected private.check_request; then notify pgrst, 'reload config')`);
  }

  const expected = cronJobs();
  const everyMinute = [...expected].filter(([, j]) => j.schedule === "* * * * *").map(([n]) => n);
  const deadline = Date.now() + Number(process.env.CRON_WAIT_SECONDS ?? 90) * 1000;
  const unrun = () => everyMinute.filter((n) => !(state.cron.find((j) => j.jobname === n)?.runs > 0));
  while (state.cron.length && unrun().length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 5000));
    state = await status();
  }
  for (const [name, { schedule }] of expected) {
    const job = state.cron.find((j) => j.jobname === name);
    if (!job) fail(`cron job ${name} (${schedule}) is missing`);
    else if (!job.active) fail(`cron job ${name} is not active`);
    else if (job.schedule !== schedule) fail(`cron job ${name} runs on ${job.schedule}, the migrations say ${schedule}`);
    else if (job.runs > 0 && job.last_status !== "succeeded") fail(`cron job ${name}: last run ${job.last_status}: ${job.last_message}`);
    else if (job.runs > 0) pass(`cron job ${name} (${schedule}) ran, last ${job.last_start}: ${job.last_status}`);
    else if (everyMinute.includes(name)) fail(`cron job ${name} (${schedule}) has not run (is pg_cron running in this database?)`);
    else pass(`cron job ${name} (${schedule}) scheduled, not due yet`);
  }
  for (const job of state.cron) if (!expected.has(job.jobname)) note(`cron job ${job.jobname} is not from the migrations`);
}

// ---- pages ----------------------------------------------------------------------------------
const configJs = await request(`${pagesUrl}/config.js`).catch((e) => ({ status: 0, text: e.message }));
const config = parse(configJs.text.match(/GUESTLIST_CONFIG\s*=\s*(\{[\s\S]*\})\s*;/)?.[1] ?? "");
if (configJs.status !== 200 || !config) fail(`${pagesUrl}/config.js: ${configJs.status}, no GUESTLIST_CONFIG`);
else if (config.supabaseUrl.replace(/\/$/, "") !== apiUrl) fail(`config.js points at ${config.supabaseUrl}, not ${apiUrl}`);
else if (config.anonKey !== anonKey) fail("config.js carries another anon key than the project's");
else pass(`pages' config.js points at ${apiUrl}`);
const ops = await request(`${pagesUrl}/ops`).catch((e) => ({ status: 0, text: e.message }));
if (ops.status === 200 && /<html/i.test(ops.text)) pass("/ops answers");
else fail(`${pagesUrl}/ops answered ${ops.status} (the host's rewrites: docs/deploy.md, "Pages")`);

// ---- e-mail ---------------------------------------------------------------------------------
const drained = await request(`${apiUrl}/functions/v1/send-outbox`, {
  method: "POST", headers: keyHeaders(anonKey), body: "{}",
}).catch((e) => ({ status: 0, text: e.message }));
const drainBody = parse(drained.text);
if (drained.status !== 200 || typeof drainBody?.sent !== "number") {
  fail(`e-mail: send-outbox answered ${drained.status} ${drainBody?.message ?? drained.text.slice(0, 160)}`);
} else if (state) {
  const outbox = (await status()).outbox;
  if (outbox.failed > 0) fail(`e-mail: ${outbox.failed} message(s) failed to send, last error: ${outbox.last_error}`);
  else pass(`e-mail: the outbox sends (${drainBody.sent} sent now, ${outbox.waiting} waiting)`);
}

// ---- the client address ---------------------------------------------------------------------
async function myAddress() {
  if (process.env.MY_ADDRESS) return process.env.MY_ADDRESS;
  if (loopback) return "127.0.0.1";
  const trace = await request(`${apiUrl}/cdn-cgi/trace`).catch(() => null);
  return trace?.text.match(/^ip=(.+)$/m)?.[1] ?? null;
}
const seen = async (localAddress, headers = {}) => {
  const res = await rpc("client_address", anonKey, { localAddress, headers });
  if (res.status !== 200) throw new Error(`client_address answered ${res.status} ${res.text.slice(0, 160)}`);
  return JSON.parse(res.text);
};
try {
  const mine = await myAddress();
  const first = await seen(undefined);
  const hint = (s) => {
    const chain = s.chain.split(",").map((v) => v.trim()).filter(Boolean);
    const at = chain.lastIndexOf(mine);
    return at < 0 ? `your address is not in ${s.header} (${s.chain || "absent"}): try another header`
      : `your address is value ${chain.length - at} from the right of ${s.header} (${s.chain}): set client_ip_trusted_hops = ${chain.length - at}`;
  };
  if (!mine) {
    fail("client address: this machine's public address is unknown (set MY_ADDRESS)");
  } else if (first.address !== mine) {
    fail(`client address: the database sees ${first.address}, this machine is ${mine} (a proxy's address?); ${hint(first)}`);
  } else {
    pass(`client address: the database sees this caller as ${mine} (${first.header}, trusted hops ${first.trusted_hops})`);
  }
  const forged = await seen(undefined, { "x-forwarded-for": "203.0.113.1" });
  if (forged.address === "203.0.113.1") fail(`client address: a caller chose its own address by sending x-forwarded-for; ${hint(forged)}`);
  else pass("client address: a caller's own x-forwarded-for does not choose its address");
  const second = process.env.SECOND_LOCAL_ADDRESS ?? (loopback ? "127.0.0.2" : "");
  if (second) {
    const other = await seen(second);
    if (other.address === first.address) fail(`client address: two callers (${mine}, ${second}) are both seen as ${first.address}`);
    else pass(`client address: two callers are two addresses (${first.address}, ${other.address})`);
  } else {
    note("client address: no second local address to call from (SECOND_LOCAL_ADDRESS); two-caller check skipped");
  }
} catch (e) {
  fail(`client address: ${e.message}`);
}

console.log(failed ? `\ndeploy:check: ${failed} check(s) failed` : "\ndeploy:check: every check passed");
process.exit(Math.min(failed, 100));
