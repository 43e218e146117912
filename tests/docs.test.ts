// The mechanical parts of the docs (README.md and docs/*.md) stay true, checked against the
// running test stack: every SQL function, edge function, pg_cron job, page, gateway route and file
// the docs name exists (and every image they show), and every SQL function, edge function, cron job and
// page that exists is named.
//
// What counts as naming one (so that a rename cannot slip through unnoticed):
// - a SQL function: a call in code (`name(…)`, `private.name(…)`: it must exist in that schema,
//   or for an unqualified name in any schema), `/rest/v1/rpc/name`, and README's "Public API"
//   lists, which must equal the allow-list `tests.api_functions()` role by role;
// - an edge function: `supabase/functions/<name>`, `/functions/v1/<name>`, and README's
//   "Public API" list of edge functions, which must equal the folders of supabase/functions;
// - a pg_cron job: a kebab-case name in code on a line that mentions cron, and the job table of
//   docs/operations.md, which must equal cron.job;
// - a file: a path in code (`tests/auth.test.ts`, `05-limits.sql`);
// - a route or page: a path in code (`/door`, `POST /auth/v1/token`, `/p/<promoter>/<event>`) or
//   a link to the local stack (http://127.0.0.1:54321/…), asked of the running gateway: it exists
//   when the gateway does not answer 404 (its answer for a path it does not serve).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./db";
import { env } from "./env";

const files = ["README.md", ...readdirSync("docs").filter((f) => f.endsWith(".md")).sort().map((f) => `docs/${f}`)];
const docs = new Map(files.map((f) => [f, readFileSync(f, "utf8")]));
const everything = [...docs.values()].join("\n");

/** Each line of code in a markdown text, with its file: fenced blocks' lines and inline code spans. */
function codeOf(file: string, text: string): { file: string; line: string; code: string }[] {
  const out: { file: string; line: string; code: string }[] = [];
  let fenced = false;
  for (const line of text.split("\n")) {
    if (/^\s*```/.test(line)) {
      fenced = !fenced;
      continue;
    }
    if (fenced) out.push({ file, line, code: line });
    else for (const m of line.matchAll(/`([^`]+)`/g)) out.push({ file, line, code: m[1].replaceAll("\\|", "|") });
  }
  return out;
}
const code = [...docs].flatMap(([file, text]) => codeOf(file, text));

/** Whether `name` stands in the docs as a word of its own (snake_case or kebab-case). */
const named = (name: string) => new RegExp(`(?<![\\w-])${name}(?![\\w-])`).test(everything);

/** The lines of a markdown section, from its heading to the next heading of the same level. */
function section(text: string, heading: string): string {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`no section "${heading}"`);
  const level = heading.split(" ")[0];
  const rest = text.slice(start + heading.length + 2);
  const end = rest.search(new RegExp(`^${level} `, "m"));
  return end < 0 ? rest : rest.slice(0, end);
}

/** The bullet of a section that starts with `label`, continuation lines included. */
function bullet(text: string, label: string): string {
  const m = text.match(new RegExp(`^- ${label}[\\s\\S]*?(?=^- |^\\S|(?![\\s\\S]))`, "m"));
  if (!m) throw new Error(`no bullet "- ${label}"`);
  return m[0];
}
const spans = (text: string) => [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]);

const sql = connect(1);
let procs: { schema: string; name: string }[] = [];
let schemas = new Set<string>();
let jobs: string[] = [];
let allowList: { name: string; caller: string }[] = [];
beforeAll(async () => {
  procs = await sql`select n.nspname::text as schema, p.proname::text as name from pg_proc p join pg_namespace n on n.oid = p.pronamespace`;
  schemas = new Set((await sql`select nspname::text as n from pg_namespace`).map((r) => r.n));
  jobs = (await sql`select jobname from cron.job order by jobname`).map((r) => r.jobname);
  await sql.unsafe(readFileSync("supabase/tests/helpers.sql", "utf8"));
  allowList = await sql`select name, caller from tests.api_functions()`;
});
afterAll(() => sql.end());

const publicFunctions = () => procs.filter((p) => p.schema === "public").map((p) => p.name).sort();
const edgeFunctions = readdirSync("supabase/functions")
  .filter((d) => !d.startsWith("_") && existsSync(`supabase/functions/${d}/index.ts`)).sort();
/** Each page file of client/pages and the path it is served at (or at that path + `.html`). */
const pages = readdirSync("client/pages").filter((f) => f.endsWith(".html") && f !== "404.html" && f !== "index.html")
  .map((f) => f.replace(/\.html$/, "")).sort()
  .map((p) => ({ page: p, path: p === "guest" ? "/p/<promoter>/<event>" : `/${p}` }));

describe("SQL functions", () => {
  it("every function the docs call exists (in the schema they name, or in any)", () => {
    const missing = new Set<string>();
    for (const c of code) {
      for (const m of c.code.matchAll(/(?<![\w.])(?:([a-z_][a-z0-9_]*)\.)?([a-z][a-z0-9_]*)\(/g)) {
        const [, schema, name] = m;
        if (schema ? !schemas.has(schema) : !name.includes("_")) continue; // JavaScript (api.register(…)) or a plain word
        if (!procs.some((p) => p.name === name && (!schema || p.schema === schema))) missing.add(`${c.file}: ${m[0]}`);
      }
      for (const m of c.code.matchAll(/\/rest\/v1\/rpc\/([a-z][a-z0-9_]*)/g)) {
        if (!publicFunctions().includes(m[1])) missing.add(`${c.file}: ${m[0]}`);
      }
    }
    expect([...missing]).toEqual([]);
  });

  it("every function of schema public is named in the docs", () => {
    expect(publicFunctions().filter((f) => !named(f))).toEqual([]);
  });

  it("README's Public API lists exactly the allow-list, role by role", () => {
    const api = section(docs.get("README.md")!, "## Public API");
    const listed = (role: string) =>
      spans(bullet(api, `[^\\n]*\\(\`${role}\``)).filter((s) => /^[a-z][a-z0-9_]*$/.test(s) && s !== role).sort();
    const allowed = (role: string) => allowList.filter((a) => a.caller === role).map((a) => a.name).sort();
    expect(listed("anon")).toEqual(allowed("anon"));
    expect(listed("authenticated")).toEqual(allowed("authenticated"));
    expect(listed("service_role")).toEqual(allowed("service_role"));
    // And the allow-list is every public function, nothing more (02-security.sql checks the grants).
    expect(allowList.map((a) => a.name).sort()).toEqual(publicFunctions());
  });
});

describe("edge functions", () => {
  it("every edge function the docs name exists in supabase/functions", () => {
    const missing = code.flatMap((c) => [...c.code.matchAll(/(?:supabase\/functions|\/functions\/v1)\/([a-z][a-z0-9-]*)/g)]
      .filter((m) => !edgeFunctions.includes(m[1])).map((m) => `${c.file}: ${m[0]}`));
    expect(missing).toEqual([]);
  });

  it("README's Public API lists exactly the edge functions, and each is named", () => {
    const api = section(docs.get("README.md")!, "## Public API");
    expect(spans(bullet(api, "Edge functions")).filter((s) => /^[a-z]+(-[a-z]+)+$/.test(s)).sort()).toEqual(edgeFunctions);
    expect(edgeFunctions.filter((f) => !named(f))).toEqual([]);
  });
});

describe("pg_cron jobs", () => {
  it("every job the docs name is scheduled", () => {
    const kebab = (s: string) => [...s.matchAll(/(?<![\w/.-])([a-z]+(?:-[a-z]+)+)(?![\w/.-])/g)].map((m) => m[1]);
    const mentioned = code.filter((c) => /cron/i.test(c.line)).flatMap((c) => kebab(c.code).map((j) => ({ file: c.file, j })));
    expect(mentioned.filter(({ j }) => !jobs.includes(j)).map(({ file, j }) => `${file}: ${j}`)).toEqual([]);
  });

  it("docs/operations.md's table of jobs is exactly cron.job, and every job is named", () => {
    const table = section(docs.get("docs/operations.md")!, "## Scheduled jobs (pg_cron)");
    const rows = table.split("\n").filter((l) => /^\| `[a-z-]+` \|/.test(l)).map((l) => l.match(/^\| `([a-z-]+)`/)![1]);
    expect(rows.sort()).toEqual(jobs);
    expect(jobs.filter((j) => !named(j))).toEqual([]);
  });
});

describe("files", () => {
  it("every file the docs name exists (from the root, or from docs/, local/ or supabase/tests/)", () => {
    const missing = code.flatMap((c) => {
      const m = c.code.match(/^(?:[\w.-]+\/)*[\w.-]+\.(?:ts|sql|mjs|js|sh|md|toml|json|html|css)$/);
      if (!m || !c.code.includes("/") && !/^\d\d-/.test(c.code) || c.code.includes("NN")) return [];
      const places = ["", "docs/", "local/", "supabase/tests/", "supabase/tests/database/", "local/bootstrap/"];
      return places.some((p) => existsSync(`${p}${c.code}`)) ? [] : [`${c.file}: ${c.code}`];
    });
    expect([...new Set(missing)]).toEqual([]);
  });

  it("every image the docs show exists, with an alt text", () => {
    const images = files.flatMap((f) => [...docs.get(f)!.matchAll(/!\[([^\]]*)\]\(([^)\s]+)\)/g)]
      .filter((m) => !/^https?:/.test(m[2])).map((m) => ({ file: f, alt: m[1], path: f.startsWith("docs/") && !m[2].startsWith("docs/") ? `docs/${m[2]}` : m[2] })));
    expect(images.length).toBeGreaterThan(0);
    expect(images.filter((i) => !existsSync(i.path) || !i.alt.trim()).map((i) => `${i.file}: ${i.path}`)).toEqual([]);
  });
});

describe("pages and routes", () => {
  it("every page of client/pages is named by its path", () => {
    const isNamed = ({ page, path }: { page: string; path: string }) =>
      page === "guest" ? everything.includes("`/p/<promoter>/<event>`") : everything.includes(`\`${path}\``) || everything.includes(`\`${path}.html\``);
    expect(pages.filter((p) => !isNamed(p))).toEqual([]);
  });

  it("every path the docs name is served by the running gateway", async () => {
    // Named as what hosted Supabase serves and the local stack does not (docs/manage.md says so).
    const hostedOnly = ["POST /auth/v1/otp"];
    // Placeholders filled with the seed's link and a function of each kind.
    const fill = (p: string) => p.replace(/<promoter>/g, "ana").replace(/<(event|night)>/g, "friday-lux")
      .replace(/<fn>/g, "registration_challenge").replace(/<name>/g, "door-checkin");
    const routes = new Map<string, string>(); // "METHOD path" (no method: any) → where it is named
    for (const c of code) {
      const m = c.code.match(/^(?:(GET|POST|PUT|PATCH|DELETE) )?(\/(?:rest|auth|functions|realtime)\/v1\/[^\s]*|\/[a-z][a-z0-9.-]*|\/p\/<promoter>\/<(?:event|night)>|\/)$/);
      // `/rest/v1/<table>` is named as what is not served; `/rest/v1/rpc/<name>`, as a function, above.
      if (!m || m[2].includes("<table>") || /^\/rest\/v1\/rpc\/[a-z]/.test(m[2])) continue;
      const route = `${m[1] ? `${m[1]} ` : ""}${fill(m[2]).replace(/\|[^&]*/, "")}`;
      if (!hostedOnly.includes(route)) routes.set(route, c.file);
    }
    for (const m of everything.matchAll(/http:\/\/127\.0\.0\.1:54321(\/[^\s)>`]*)/g)) routes.set(`GET ${m[1]}`, "a link");
    expect(routes.size).toBeGreaterThan(20); // the extraction itself still finds the paths
    const status = async (method: string, path: string) => {
      const res = await fetch(`${env.apiUrl}${path}`, {
        method, redirect: "manual",
        headers: { apikey: env.anonKey, "content-type": "application/json" },
        body: method === "GET" ? undefined : "{}",
      });
      await res.body?.cancel();
      return res.status;
    };
    const unserved: string[] = [];
    for (const [route, file] of routes) {
      const [method, path] = route.includes(" ") ? route.split(" ") : [null, route];
      // A path named without a method: a page is fetched (GET); an API path may be either.
      const api = /^\/(rest|auth|functions|realtime)\/v1\//.test(path);
      const statuses = method ? [await status(method, path)] : api ? [await status("GET", path), await status("POST", path)] : [await status("GET", path)];
      if (statuses.every((s) => s === 404)) unserved.push(`${file}: ${route}`);
    }
    expect(unserved).toEqual([]);
  });
});
