// The product's e-mail: the provider (Resend's POST /emails at RESEND_API_URL, default
// https://api.resend.com; the local stack points it at its mail catcher, which takes the same
// call), the messages the outbox holds rendered by kind, and the drain that sends them with the
// service role (claim_outbox / complete_outbox). The database decides who gets what; this only
// renders and sends. Never logs an address, a link or a token.
import qrcode from "qrcode-generator";

export type Provider = { url: string; key: string; from: string };

/** The email provider's settings, or null when the project has no provider key. */
export function provider(): Provider | null {
  const key = Deno.env.get("RESEND_API_KEY");
  if (!key) return null;
  return {
    url: (Deno.env.get("RESEND_API_URL") || "https://api.resend.com").replace(/\/+$/, ""),
    key,
    from: Deno.env.get("EMAIL_FROM") ?? "no-reply@example.com",
  };
}

export type Attachment = { filename: string; content: string; content_type: string; content_id?: string };
export type Email = { subject: string; text: string; html?: string; attachments?: Attachment[] };

export type OutboxMessage =
  | { id: number; kind: "guest_password_reset"; to_email: string; payload: { first_name: string; token: string; expires_at: string } }
  | { id: number; kind: "alert"; to_email: string; payload: { alert: string; firing: boolean; detail: string; threshold: number; at: string } }
  | {
    id: number; kind: "guest_pass"; to_email: string;
    payload: { first_name: string; event_name: string; venue: string | null; starts_at: string; qr_token: string; short_code: string | null };
  };

export function resetEmail(m: Extract<OutboxMessage, { kind: "guest_password_reset" }>, site: string) {
  const link = `${site}/me#reset=${encodeURIComponent(m.payload.token)}`;
  return {
    link,
    subject: "Nova palavra-passe / New password",
    text: `Olá ${m.payload.first_name},\n\nPara escolher uma nova palavra-passe abre este link (válido uma vez, durante uma hora):\n${link}\n\n` +
      `Hi ${m.payload.first_name},\n\nTo choose a new password open this link (it works once, for an hour):\n${link}\n\n` +
      "Se não pediste isto, ignora este email. / If you did not ask for this, ignore this email.\n",
  };
}

/** An alert that started or ended, for the operators (English, like the webhook's message). */
export function alertEmail(m: Extract<OutboxMessage, { kind: "alert" }>): Email {
  const p = m.payload;
  const state = p.firing ? "ALERT" : "RESOLVED";
  return {
    subject: `[${state}] ${p.alert}`,
    text: `[${state}] ${p.alert}: ${p.detail} (threshold ${p.threshold}) at ${p.at}.\n\n` +
      `${p.firing ? "The alert started." : "The alert ended."} What to do: docs/operations.md, "The night: what to watch and what to do".\n`,
  };
}

/** The pass's QR as a GIF (qrcode-generator, the same encoding the pass screen draws), base64. */
export function qrGif(token: string): string {
  const qr = qrcode(0, "M");
  qr.addData(token);
  qr.make();
  return qr.createDataURL(8, 4).replace(/^data:image\/gif;base64,/, "");
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** When the night starts, as the guest reads it (Portugal's time, the product's default country). */
function when(iso: string, locale: string): string {
  return new Intl.DateTimeFormat(locale, { dateStyle: "full", timeStyle: "short", timeZone: "Europe/Lisbon" }).format(new Date(iso));
}

/**
 * A guest's pass: the QR as an inline image (a CID attachment: `<img src="cid:pass-qr">`, which
 * mail clients show where data: URLs are blocked), the short code when the pass has one, the
 * night, venue and time, in Portuguese and English.
 */
export function passEmail(m: Extract<OutboxMessage, { kind: "guest_pass" }>): Email {
  const p = m.payload;
  const place = p.venue ? ` · ${p.venue}` : "";
  const code = p.short_code ? { pt: `Código: ${p.short_code}\n`, en: `Code: ${p.short_code}\n` } : { pt: "", en: "" };
  const text = `Olá ${p.first_name},\n\nO teu passe para ${p.event_name}${place}, ${when(p.starts_at, "pt-PT")}.\n` +
    `Mostra o código QR (na imagem) à porta.\n${code.pt}\n` +
    `Hi ${p.first_name},\n\nYour pass for ${p.event_name}${place}, ${when(p.starts_at, "en-GB")}.\n` +
    `Show the QR code (in the image) at the door.\n${code.en}`;
  const codeHtml = p.short_code ? `<p style="font-size:1.5em;letter-spacing:.1em"><strong>${esc(p.short_code)}</strong></p>` : "";
  const html = `<!doctype html><html><body style="font-family:sans-serif">` +
    `<p>${esc(p.first_name)}, ${esc(p.event_name)}${esc(place)}</p>` +
    `<p>${esc(when(p.starts_at, "pt-PT"))}<br>${esc(when(p.starts_at, "en-GB"))}</p>` +
    `<p><img src="cid:pass-qr" alt="QR" width="264" height="264"></p>${codeHtml}` +
    `<p>Mostra este código à porta. / Show this code at the door.</p></body></html>`;
  return {
    subject: `O teu passe / Your pass: ${p.event_name}`,
    text,
    html,
    attachments: [{ filename: "pass-qr.gif", content: qrGif(p.qr_token), content_type: "image/gif", content_id: "pass-qr" }],
  };
}

export function render(m: OutboxMessage, site: string): Email {
  switch (m.kind) {
    case "guest_password_reset": {
      const { subject, text } = resetEmail(m, site);
      return { subject, text };
    }
    case "alert": return alertEmail(m);
    case "guest_pass": return passEmail(m);
  }
}

/** Calls a database function with the service role (the outbox is the service role's only). */
async function serviceRpc(fn: string, args: Record<string, unknown>): Promise<unknown> {
  const key = Deno.env.get("SUPABASE_SERVICE_ROLE_KEY") ?? "";
  const res = await fetch(`${Deno.env.get("SUPABASE_URL")}/rest/v1/rpc/${fn}`, {
    method: "POST",
    headers: { apikey: key, authorization: `Bearer ${key}`, "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  if (!res.ok) throw new Error(`${fn}: HTTP ${res.status}`);
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

async function deliver(p: Provider, to: string, email: Email): Promise<void> {
  const res = await fetch(`${p.url}/emails`, {
    method: "POST",
    headers: { authorization: `Bearer ${p.key}`, "content-type": "application/json" },
    body: JSON.stringify({ from: p.from, to: [to], ...email }),
  });
  await res.body?.cancel();
  if (!res.ok) throw new Error(`provider answered HTTP ${res.status}`);
}

/** Sends every email the outbox holds; each outcome is recorded, so a failure is retried later. */
export async function drainOutbox(p: Provider): Promise<number> {
  const site = Deno.env.get("SITE_URL") ?? Deno.env.get("SUPABASE_URL") ?? "";
  const messages = await serviceRpc("claim_outbox", { p_limit: 20 }) as OutboxMessage[];
  for (const m of messages) {
    let error: string | null = null;
    try {
      await deliver(p, m.to_email, render(m, site));
    } catch (e) {
      error = (e as Error).message;
    }
    await serviceRpc("complete_outbox", { p_id: m.id, p_error: error });
  }
  return messages.length;
}
