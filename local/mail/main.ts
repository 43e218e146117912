// The local mail catcher, as `supabase start` runs Mailpit (formerly Inbucket) beside the API:
// nothing leaves the machine; every email the local platform sends is kept here, listed on a page
// and readable over HTTP. One Deno process on 127.0.0.1:MAIL_PORT (local/stack.sh starts it).
//
// What sends to it:
//   POST /api/v1/send   Mailpit's send API ({From, To, Subject, Text, HTML}); the local Auth
//                       (gateway/auth.ts) delivers invitations, magic links and recovery mails here
//                       where GoTrue would use SMTP.
//   POST /emails        the transactional email provider's send call (Resend's shape: bearer key,
//                       {from, to, subject, text, html}), so code written for the provider runs
//                       unchanged with its base URL pointed here.
// What reads it (a subset of Mailpit's API, same paths and field names):
//   GET    /api/v1/messages              newest first: {total, count, start, messages: [summary]}
//   GET    /api/v1/search?query=to:<a>   the same, filtered (to:, from:, subject:, free text)
//   GET    /api/v1/message/<ID|latest>   one message: {ID, From, To, Subject, Date, Text, HTML, Inline,
//                                        Attachments, …}; an attachment with a content_id is Inline
//   GET    /api/v1/message/<ID>/part/<PartID>  one attachment's bytes, with its content type
//   DELETE /api/v1/messages              all, or {IDs: [...]}
//   GET    /                             the page listing the messages; /view/<ID> opens one
//   GET    /livez                        health
// Messages live in memory (the newest MAIL_MAX_MESSAGES, 1000 by default), as Mailpit keeps a
// bounded store; restarting the catcher empties it. It imports nothing from the product.

type Address = { Name: string; Address: string };
/** An attachment as Mailpit lists it, with its bytes kept beside it. */
type Part = { PartID: string; FileName: string; ContentType: string; ContentID: string; Size: number; bytes: Uint8Array<ArrayBuffer> };
type Message = {
  Parts?: Part[];
  ID: string; MessageID: string; Read: boolean; From: Address; To: Address[]; Cc: Address[]; Bcc: Address[];
  ReplyTo: Address[]; Subject: string; Created: string; Text: string; HTML: string; Size: number; Via: string;
};

const port = Number(Deno.env.get("MAIL_PORT") ?? "54324");
const max = Number(Deno.env.get("MAIL_MAX_MESSAGES") ?? "1000");
const messages: Message[] = []; // oldest first

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json; charset=utf-8" } });

/** "Name <a@b>" or "a@b" as Mailpit's {Name, Address}. */
function parseAddress(s: string): Address {
  const m = s.match(/^\s*"?([^"<]*?)"?\s*<([^>]+)>\s*$/);
  return m ? { Name: m[1].trim(), Address: m[2].trim().toLowerCase() } : { Name: "", Address: s.trim().toLowerCase() };
}

function store(m: Omit<Message, "ID" | "MessageID" | "Read" | "Created" | "Size" | "Parts">, parts: Part[] = []): Message {
  const id = crypto.randomUUID();
  const message: Message = {
    ...m, Parts: parts, ID: id, MessageID: `${id}@mail.local`, Read: false, Created: new Date().toISOString(),
    Size: new TextEncoder().encode(m.Text + m.HTML).length,
  };
  messages.push(message);
  if (messages.length > max) messages.splice(0, messages.length - max);
  return message;
}

const summary = (m: Message) => ({
  ID: m.ID, MessageID: m.MessageID, Read: m.Read, From: m.From, To: m.To, Cc: m.Cc, Bcc: m.Bcc, ReplyTo: m.ReplyTo,
  Subject: m.Subject, Created: m.Created, Tags: [], Size: m.Size, Attachments: m.Parts?.length ?? 0,
  Snippet: (m.Text || m.HTML.replace(/<[^>]*>/g, " ")).replace(/\s+/g, " ").trim().slice(0, 250),
});

/** Mailpit's search terms: to:, from:, subject: (quoted or not); anything else matches subject or body. */
function matches(m: Message, query: string): boolean {
  const terms = [...query.matchAll(/(?:(to|from|subject):)?(?:"([^"]*)"|(\S+))/gi)];
  return terms.every(([, field, quoted, bare]) => {
    const v = (quoted ?? bare ?? "").toLowerCase();
    const has = (s: string) => s.toLowerCase().includes(v);
    switch (field?.toLowerCase()) {
      case "to": return [...m.To, ...m.Cc, ...m.Bcc].some((a) => has(a.Address) || has(a.Name));
      case "from": return has(m.From.Address) || has(m.From.Name);
      case "subject": return has(m.Subject);
      default: return has(m.Subject) || has(m.Text) || has(m.HTML);
    }
  });
}

function list(url: URL, query: string | null) {
  const newest = [...messages].reverse().filter((m) => query === null || matches(m, query));
  const start = Math.max(0, Number(url.searchParams.get("start") ?? "0") || 0);
  const limit = Math.max(1, Number(url.searchParams.get("limit") ?? "50") || 50);
  const page = newest.slice(start, start + limit);
  return {
    total: messages.length, unread: messages.filter((m) => !m.Read).length, count: page.length,
    messages_count: newest.length, start, tags: [], messages: page.map(summary),
  };
}

function find(id: string): Message | undefined {
  return id === "latest" ? messages.at(-1) : messages.find((m) => m.ID === id);
}

// ---------------------------------------------------------------------------------------------
// Senders
// ---------------------------------------------------------------------------------------------

/** Mailpit's POST /api/v1/send. */
async function mailpitSend(req: Request): Promise<Response> {
  const b = await req.json().catch(() => null) as Record<string, unknown> | null;
  const addr = (a: unknown): Address | null => {
    const o = a as { Email?: unknown; Name?: unknown } | null;
    return o && typeof o.Email === "string" ? { Name: typeof o.Name === "string" ? o.Name : "", Address: o.Email.toLowerCase() } : null;
  };
  const from = addr(b?.From);
  const to = Array.isArray(b?.To) ? (b!.To as unknown[]).map(addr) : [];
  if (!from || to.length === 0 || to.some((a) => a === null)) return json(400, { Error: "From and To (with Email) are required" });
  const m = store({
    From: from, To: to as Address[], Cc: [], Bcc: [], ReplyTo: [], Subject: String(b?.Subject ?? ""),
    Text: String(b?.Text ?? ""), HTML: String(b?.HTML ?? ""), Via: "send API",
  });
  return json(200, { ID: m.ID });
}

/** The provider's POST /emails, with its answers: 401 without a key, 422 for a body it would refuse. */
async function providerSend(req: Request): Promise<Response> {
  const fail = (statusCode: number, name: string, message: string) => json(statusCode, { statusCode, name, message });
  if (!/^Bearer\s+\S+/i.test(req.headers.get("authorization") ?? "")) {
    return fail(401, "missing_api_key", "Missing API key in the authorization header.");
  }
  const b = await req.json().catch(() => null) as Record<string, unknown> | null;
  if (!b || typeof b !== "object") return fail(422, "validation_error", "The request body is not valid JSON.");
  const many = (v: unknown) => (typeof v === "string" ? [v] : Array.isArray(v) ? v.filter((x) => typeof x === "string") : []);
  const to = many(b.to);
  if (typeof b.from !== "string" || !b.from) return fail(422, "validation_error", "The `from` field is required.");
  if (to.length === 0 || to.length > 50) return fail(422, "validation_error", "The `to` field must hold 1 to 50 addresses.");
  if (![b.from, ...to].every((a) => /^[^@\s<>]+@[^@\s<>]+$/.test(parseAddress(a).Address))) {
    return fail(422, "validation_error", "Invalid `from` or `to` field: use an email address or `Name <email@example.com>`.");
  }
  if (typeof b.subject !== "string" || !b.subject) return fail(422, "validation_error", "The `subject` field is required.");
  if (typeof b.text !== "string" && typeof b.html !== "string") return fail(422, "validation_error", "Send `text` or `html`.");
  const parts: Part[] = [];
  for (const [i, a] of (Array.isArray(b.attachments) ? b.attachments : []).entries()) {
    const x = a as { filename?: unknown; content?: unknown; content_type?: unknown; content_id?: unknown };
    if (typeof x?.filename !== "string" || typeof x.content !== "string") {
      return fail(422, "validation_error", "Each attachment needs `filename` and base64 `content`.");
    }
    let bytes: Uint8Array<ArrayBuffer>;
    try {
      bytes = new Uint8Array(Array.from(atob(x.content), (c) => c.charCodeAt(0)));
    } catch {
      return fail(422, "validation_error", "An attachment's `content` is not base64.");
    }
    parts.push({
      PartID: String(i + 2), FileName: x.filename, ContentType: typeof x.content_type === "string" ? x.content_type : "application/octet-stream",
      ContentID: typeof x.content_id === "string" ? x.content_id : "", Size: bytes.length, bytes,
    });
  }
  const m = store({
    From: parseAddress(b.from), To: to.map(parseAddress), Cc: many(b.cc).map(parseAddress), Bcc: many(b.bcc).map(parseAddress),
    ReplyTo: many(b.reply_to).map(parseAddress), Subject: b.subject, Text: typeof b.text === "string" ? b.text : "",
    HTML: typeof b.html === "string" ? b.html : "", Via: "provider API (POST /emails)",
  }, parts);
  return json(200, { id: m.ID });
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Plain text with its http(s) links made clickable (a sentence's closing punctuation stays outside; the rest escaped). */
const linkify = (s: string) =>
  s.split(/(https?:\/\/[^\s<>"]*[^\s<>".,;:!?)])/g)
    .map((part, i) => (i % 2 ? `<a href="${esc(part)}">${esc(part)}</a>` : esc(part))).join("");
const who = (a: Address) => esc(a.Name ? `${a.Name} <${a.Address}>` : a.Address);

function page(title: string, body: string, status = 200): Response {
  return new Response(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; margin: 0 auto; max-width: 60rem; padding: 1rem; color: #111; background: #fff; }
  table { border-collapse: collapse; width: 100%; } th, td { text-align: left; padding: .4rem; border-bottom: 1px solid #ccc; vertical-align: top; }
  a { color: #0645ad; } pre { white-space: pre-wrap; overflow-wrap: anywhere; background: #f4f4f4; padding: 1rem; }
  dl { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; } dt { font-weight: 600; } dd { margin: 0; overflow-wrap: anywhere; }
  iframe { width: 100%; min-height: 20rem; border: 1px solid #ccc; }
</style></head>
<body><main>${body}</main></body></html>`, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}

function listPage(): Response {
  const rows = [...messages].reverse().map((m) => `<tr><td>${esc(new Date(m.Created).toLocaleString("en-GB", { timeZone: "UTC" }))} UTC</td>
    <td>${m.To.map(who).join(", ")}</td><td><a href="/view/${m.ID}">${esc(m.Subject || "(no subject)")}</a></td><td>${who(m.From)}</td></tr>`);
  return page("Local mail", `<h1>Local mail</h1>
<p>Every email the local stack sent (Auth's invitations, sign-in and recovery links; the product's own emails), newest first.
Nothing here left this machine. The same messages over HTTP: <a href="/api/v1/messages">/api/v1/messages</a>.</p>
${rows.length ? `<table><caption>${messages.length} message${messages.length === 1 ? "" : "s"}</caption>
<thead><tr><th scope="col">Received</th><th scope="col">To</th><th scope="col">Subject</th><th scope="col">From</th></tr></thead>
<tbody>${rows.join("")}</tbody></table>` : "<p>No messages yet.</p>"}`);
}

function viewPage(m: Message): Response {
  m.Read = true;
  return page(m.Subject || "(no subject)", `<p><a href="/">All messages</a></p>
<h1>${esc(m.Subject || "(no subject)")}</h1>
<dl><dt>From</dt><dd>${who(m.From)}</dd><dt>To</dt><dd>${m.To.map(who).join(", ")}</dd>
<dt>Received</dt><dd>${esc(m.Created)}</dd><dt>Sent through</dt><dd>${esc(m.Via)}</dd></dl>
${m.Text ? `<h2>Text</h2><pre>${linkify(m.Text)}</pre>` : ""}
${m.HTML ? `<h2>HTML</h2><iframe title="The message as HTML" sandbox="allow-popups allow-popups-to-escape-sandbox" srcdoc="${esc(m.HTML.replace(/<a /gi, '<a target="_blank" '))}"></iframe>` : ""}`);
}

// ---------------------------------------------------------------------------------------------
// Routes
// ---------------------------------------------------------------------------------------------

export async function handle(req: Request): Promise<Response> {
  const url = new URL(req.url);
  const path = url.pathname;
  const method = req.method;
  if (path === "/livez" || path === "/readyz") return new Response("ok");
  if (path === "/api/v1/send" && method === "POST") return await mailpitSend(req);
  if (path === "/emails" && method === "POST") return await providerSend(req);
  if (path === "/api/v1/messages" && method === "GET") return json(200, list(url, null));
  if (path === "/api/v1/search" && method === "GET") return json(200, list(url, url.searchParams.get("query") ?? ""));
  if (path === "/api/v1/messages" && method === "DELETE") {
    const b = await req.json().catch(() => null) as { IDs?: unknown } | null;
    const ids = Array.isArray(b?.IDs) ? new Set(b!.IDs as string[]) : null;
    const keep = ids ? messages.filter((m) => !ids.has(m.ID)) : [];
    messages.splice(0, messages.length, ...keep);
    return new Response("ok");
  }
  const one = path.match(/^\/api\/v1\/message\/([^/]+)$/);
  if (one && method === "GET") {
    const m = find(decodeURIComponent(one[1]));
    if (!m) return new Response("message not found", { status: 404 });
    const { Via: _via, Read: _read, Created, Parts: parts = [], ...rest } = m;
    const listed = (inline: boolean) => parts.filter((p) => (p.ContentID !== "") === inline).map(({ bytes: _b, ...p }) => p);
    return json(200, { ...rest, Date: Created, ReturnPath: m.From.Address, Tags: [], Inline: listed(true), Attachments: listed(false) });
  }
  const part = path.match(/^\/api\/v1\/message\/([^/]+)\/part\/([^/]+)$/);
  if (part && method === "GET") {
    const p = find(decodeURIComponent(part[1]))?.Parts?.find((x) => x.PartID === part[2]);
    if (!p) return new Response("part not found", { status: 404 });
    return new Response(p.bytes, { headers: { "content-type": p.ContentType } });
  }
  if (path === "/" && method === "GET") return listPage();
  const view = path.match(/^\/view\/([^/]+)$/);
  if (view && method === "GET") {
    const m = find(decodeURIComponent(view[1]));
    return m ? viewPage(m) : page("Not found", `<h1>Message not found</h1><p><a href="/">All messages</a></p>`, 404);
  }
  return new Response("not found", { status: 404 });
}

if (import.meta.main) {
  Deno.serve({ hostname: "127.0.0.1", port, onListen: () => console.log(`mail catcher listening on http://127.0.0.1:${port}`) },
    (req) => handle(req).catch((e) => (console.error(e), new Response("internal error", { status: 500 }))));
}
