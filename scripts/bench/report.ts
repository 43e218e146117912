// The report: a Markdown table (printed, and written to docs/benchmarks.md between markers),
// the full results as JSON, and SVG line charts over time.

type Series = { name: string; points: [number, number | null][] };

const COLORS = ["#3367d6", "#d93025", "#188038", "#f29900", "#9334e6", "#12b5cb"];

/** A small dependency-free line chart. */
export function svgChart(title: string, yLabel: string, series: Series[]): string {
  const W = 720, H = 300, L = 60, R = 150, T = 30, B = 40;
  const all = series.flatMap((s) => s.points.filter((p) => p[1] !== null)) as [number, number][];
  const xMax = Math.max(1, ...all.map((p) => p[0])), yMax = Math.max(1, ...all.map((p) => p[1])) * 1.05;
  const x = (v: number) => L + (v / xMax) * (W - L - R), y = (v: number) => H - B - (v / yMax) * (H - T - B);
  const ticks = (max: number) => Array.from({ length: 5 }, (_, i) => (max * i) / 4);
  const fmt = (v: number) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  const out = [`<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`, `<text x="${L}" y="18" font-size="13" font-weight="bold">${esc(title)}</text>`];
  for (const t of ticks(yMax)) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(t)}" y2="${y(t)}" stroke="#eee"/>`,
      `<text x="${L - 6}" y="${y(t) + 4}" text-anchor="end">${fmt(t)}</text>`);
  }
  for (const t of ticks(xMax)) out.push(`<text x="${x(t)}" y="${H - B + 16}" text-anchor="middle">${t.toFixed(0)}</text>`);
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 6}" text-anchor="middle">seconds since the scenario started</text>`,
    `<text x="14" y="${(T + H - B) / 2}" transform="rotate(-90 14 ${(T + H - B) / 2})" text-anchor="middle">${esc(yLabel)}</text>`,
    `<line x1="${L}" x2="${L}" y1="${T}" y2="${H - B}" stroke="#999"/><line x1="${L}" x2="${W - R}" y1="${H - B}" y2="${H - B}" stroke="#999"/>`);
  series.forEach((s, i) => {
    const pts = s.points.filter((p) => p[1] !== null).map((p) => `${x(p[0]).toFixed(1)},${y(p[1]!).toFixed(1)}`);
    if (pts.length) out.push(`<polyline fill="none" stroke="${COLORS[i % COLORS.length]}" stroke-width="1.5" points="${pts.join(" ")}"/>`);
    out.push(`<rect x="${W - R + 10}" y="${T + i * 16}" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/>`,
      `<text x="${W - R + 24}" y="${T + i * 16 + 9}">${esc(s.name)}</text>`);
  });
  out.push("</svg>");
  return out.join("\n");
}

export const fmtMs = (v: number | null | undefined) => (v === null || v === undefined ? "—" : v >= 10000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
export const fmtN = (v: number | null | undefined, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? "—" : v.toFixed(d));
export const codes = (o: Record<string, number>) => Object.entries(o).map(([k, v]) => `${k} ${v}`).join(", ") || "none";

export function table(head: string[], rows: (string | number)[][]): string {
  return [`| ${head.join(" | ")} |`, `|${head.map(() => "---").join("|")}|`, ...rows.map((r) => `| ${r.join(" | ")} |`)].join("\n");
}

/** Replaces the text between the markers in `file` (or the whole generated part when missing). */
export async function writeBetweenMarkers(file: string, body: string) {
  const begin = "<!-- bench:begin (written by npm run bench) -->", end = "<!-- bench:end -->";
  let text = "";
  try {
    text = await Deno.readTextFile(file);
  } catch { /* new file */ }
  const i = text.indexOf(begin), j = text.indexOf(end);
  text = i >= 0 && j > i ? text.slice(0, i) + begin + "\n" + body + "\n" + text.slice(j) : `${text}\n${begin}\n${body}\n${end}\n`;
  await Deno.writeTextFile(file, text);
}
