// Draws the pages' app icons (client/pages/public/icons/icon-<size>.png, for the web app manifest
// and the home screen) with no image library: a pass with a QR-like mark, in the product's green,
// written as PNG by hand (zlib + CRC-32). Run once after changing the drawing: node scripts/icons.mjs
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { deflateSync } from "node:zlib";

const out = resolve(dirname(fileURLToPath(import.meta.url)), "../client/pages/public/icons");
const GREEN = [0x0b, 0x5a, 0x2a], WHITE = [0xff, 0xff, 0xff], INK = [0x11, 0x11, 0x11];
// A 7×7 mark on a 9×9 grid (a quiet module around it), like a QR code's corner and a few modules.
const MARK = ["1111111", "1000001", "1011101", "1011101", "1011101", "1000001", "1111111"];
const EXTRA = new Set(["0,8", "2,8", "8,0", "8,2", "8,4", "6,8", "8,8", "4,8", "8,6"]);

function pixel(x, y, size) {
  // Safe zone for maskable icons: the pass (white card) within the middle 70 %.
  const card0 = size * 0.18, card1 = size * 0.82;
  if (x < card0 || x >= card1 || y < card0 || y >= card1) return GREEN;
  const cell = (card1 - card0) / 11;
  const cx = Math.floor((x - card0) / cell) - 1, cy = Math.floor((y - card0) / cell) - 1;
  if (cx < 0 || cy < 0 || cx > 8 || cy > 8) return WHITE;
  if (cx < 7 && cy < 7) return MARK[cy][cx] === "1" ? INK : WHITE;
  return EXTRA.has(`${cx},${cy}`) ? INK : WHITE;
}

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
const crc32 = (buf) => {
  let c = 0xffffffff;
  for (const b of buf) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
};
function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function png(size) {
  const raw = Buffer.alloc((size * 3 + 1) * size);
  for (let y = 0; y < size; y++) {
    raw[y * (size * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < size; x++) Buffer.from(pixel(x, y, size)).copy(raw, y * (size * 3 + 1) + 1 + x * 3);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })), chunk("IEND", Buffer.alloc(0))]);
}

mkdirSync(out, { recursive: true });
for (const size of [180, 192, 512]) writeFileSync(resolve(out, `icon-${size}.png`), png(size));
console.error(`icons written to ${out}`);
