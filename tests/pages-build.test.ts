// The static build's service worker (scripts/build-pages.mjs, client/pages/sw.js): its version is
// a hash of the whole build, so a deploy that changes anything (here only config.js) is a new
// worker with a new cache, and a build that changes nothing keeps the phones' copy; the files it
// keeps for the offline pass are all in the build. docs/pages.md, "The pass without a network".
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dirs: string[] = [];
function build(anonKey: string): { dir: string; version: string; files: string[] } {
  const dir = mkdtempSync(join(tmpdir(), "pages-build-"));
  dirs.push(dir);
  execFileSync("node", ["scripts/build-pages.mjs", "--out", dir, "--url", "https://example.supabase.co", "--anon-key", anonKey], { stdio: "pipe" });
  const sw = readFileSync(join(dir, "sw.js"), "utf8");
  return { dir, version: sw.match(/const VERSION = "([0-9a-f]{16})";/)![1], files: JSON.parse(sw.match(/const FILES = (\[.*\]);/)![1]) };
}
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe("the static build's service worker", { timeout: 120_000 }, () => {
  it("keeps the guest page's files, is a new version when anything changes and the same one when nothing does", () => {
    const a = build("key-one");
    const again = build("key-one");
    const b = build("key-two");
    expect(again.version).toBe(a.version);
    expect(b.version).not.toBe(a.version);
    for (const f of ["/guest.html", "/config.js", "/manifest.webmanifest", "/icons/icon-192.png", "/icons/icon-512.png"]) expect(a.files).toContain(f);
    expect(a.files.filter((f) => /^\/assets\/guest-[\w-]+\.js$/.test(f))).toHaveLength(1);
    expect(a.files.some((f) => f.endsWith(".css"))).toBe(true);
    for (const f of a.files) expect(existsSync(join(a.dir, f)), f).toBe(true);
    expect(a.files.some((f) => /bcrypt|door|manage|jsQR/.test(f))).toBe(false); // only what the pass needs
    expect(existsSync(join(a.dir, ".vite"))).toBe(false);
    // The manifest starts where the page opens the kept pass.
    expect(JSON.parse(readFileSync(join(a.dir, "manifest.webmanifest"), "utf8")).start_url).toBe("/guest.html");
  });
});
