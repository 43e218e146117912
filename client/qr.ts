// A pass's QR code as an SVG string, drawn on the device with qrcode-generator (no QR service:
// the pass shows offline once loaded). One path of dark modules on a white quiet zone.
import qrcode from "qrcode-generator";

export function qrSvg(text: string, options: { margin?: number; title?: string } = {}): string {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount();
  const m = options.margin ?? 4;
  const size = n + 2 * m;
  let d = "";
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (qr.isDark(r, c)) d += `M${c + m} ${r + m}h1v1h-1z`;
    }
  }
  const title = options.title ? `<title>${options.title.replace(/[<&>"]/g, "")}</title>` : "";
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${size} ${size}" shape-rendering="crispEdges" role="img">` +
    `${title}<rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`;
}
