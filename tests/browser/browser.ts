// The browser for the page tests: Debian's Chromium driven by playwright-core (scripts/chromium.sh
// installs it; Playwright's own browser downloads are not used). Each launch gets a fresh
// profile from Playwright; the flags keep Chromium off the network except for the local stack.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import qrcode from "qrcode-generator";
import { chromium, type Browser, type BrowserContext, type Locator, type Page } from "playwright-core";
import { env } from "../env";

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", ...extraArgs],
  });
}

/** A phone-sized context (360 px wide), Portuguese, at the stack's origin. */
export function phone(browser: Browser, width = 360): Promise<BrowserContext> {
  return browser.newContext({ viewport: { width, height: 780 }, locale: "pt-PT", baseURL: env.apiUrl, deviceScaleFactor: 1 });
}

const ARTEFACTS = "test-results/screenshots";
/**
 * Saves a screenshot as a test artefact (test-results/screenshots, git-ignored); with
 * SCREENSHOTS=docs also as the README's copy in docs/screenshots. The whole page, or only `part`
 * of it (a long page such as /manage or /live, where one card is the picture).
 */
export async function screenshot(page: Page, name: string, part?: Locator) {
  const take = (path: string) => part ? part.screenshot({ path }) : page.screenshot({ path, fullPage: true });
  mkdirSync(ARTEFACTS, { recursive: true });
  await take(`${ARTEFACTS}/${name}.png`);
  if (process.env.SCREENSHOTS === "docs") {
    mkdirSync("docs/screenshots", { recursive: true });
    await take(`docs/screenshots/${name}.png`);
  }
}

/** The serious and critical violations axe-core finds on the page as it is now. */
export async function axeViolations(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => "axe" in window))) await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(o: unknown): Promise<{ violations: { id: string; impact: string; nodes: { target: string[] }[] }[] }> } }).axe;
    return axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"] } });
  });
  return result.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.id} (${v.impact}): ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`);
}

/** Whether the page scrolls sideways (it must not at 360 px). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth);
}

/** The RGBA pixels of the pass's QR code, drawn from its SVG onto a canvas in the page. */
export function qrPixels(page: Page): Promise<{ data: Uint8ClampedArray; size: number }> {
  return page.evaluate(async () => {
    const svg = document.querySelector("#qr svg")!.outerHTML;
    const img = new Image();
    img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
    await img.decode();
    const size = 320;
    const canvas = document.createElement("canvas");
    canvas.width = canvas.height = size;
    const ctx = canvas.getContext("2d")!;
    ctx.drawImage(img, 0, 0, size, size);
    // Sent back as base64: far cheaper to carry out of the page than an array of numbers.
    const bytes = ctx.getImageData(0, 0, size, size).data;
    let binary = "";
    for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
    return { base64: btoa(binary), size };
  }).then(({ base64, size }) => ({ data: new Uint8ClampedArray(Buffer.from(base64, "base64")), size }));
}

/**
 * Writes a Y4M video (what Chromium's fake camera plays, --use-file-for-fake-video-capture) that
 * shows the QR code of `text`, black on white, so the door scanner's camera path can be tested.
 */
export function qrVideo(text: string, path: string) {
  const qr = qrcode(0, "M");
  qr.addData(text);
  qr.make();
  const n = qr.getModuleCount(), size = 480, cell = Math.floor(size / (n + 8)), offset = Math.floor((size - cell * n) / 2);
  const y = Buffer.alloc(size * size, 235);
  for (let r = 0; r < n; r++) for (let c = 0; c < n; c++) {
    if (!qr.isDark(r, c)) continue;
    for (let dy = 0; dy < cell; dy++) y.fill(16, (offset + r * cell + dy) * size + offset + c * cell, (offset + r * cell + dy) * size + offset + (c + 1) * cell);
  }
  const chroma = Buffer.alloc((size / 2) * (size / 2) * 2, 128);
  const frame = Buffer.concat([Buffer.from("FRAME\n"), y, chroma]);
  writeFileSync(path, Buffer.concat([Buffer.from(`YUV4MPEG2 W${size} H${size} F10:1 Ip A1:1 C420jpeg\n`), frame, frame, frame]));
}

/** A message with its true wait: the sentence's "{wait}" filled with whatever wait the page gave. */
export const withWait = (text: string) =>
  new RegExp(`^${text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&").replace("\\{wait\\}", ".+")}$`);
