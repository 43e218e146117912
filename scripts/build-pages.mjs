// Builds the static pages (client/pages) into a folder that any static host can serve in front
// of a Supabase project, and writes the one config file they read (config.js: the project's
// URL and anon key). Bundled with Vite (rolldown); no third-party asset is loaded at run time.
//   node scripts/build-pages.mjs --out <dir> --url <supabase url> --anon-key <key>
// Without --url/--anon-key the config is left as it is (edit <dir>/config.js by hand).
// Last, the service worker (sw.js, from client/pages/sw.js) is written with the guest page's files
// and a version that is a hash of everything built, so each deploy replaces the cached pass page.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { build } from "vite";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const { values } = parseArgs({ options: { out: { type: "string" }, url: { type: "string" }, "anon-key": { type: "string" } } });
if (!values.out) throw new Error("usage: node scripts/build-pages.mjs --out <dir> [--url <url> --anon-key <key>]");
const out = resolve(values.out);
const pages = resolve(root, "client/pages");

await build({
  root: pages,
  base: "/",
  logLevel: "error",
  configFile: false,
  publicDir: resolve(pages, "public"), // the web app manifest and its icons, copied as they are
  build: {
    outDir: out,
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
    manifest: true, // which files each page loads: the service worker keeps the guest page's
    rollupOptions: {
      input: Object.fromEntries(["index", "guest", "door", "live", "404", "manage", "promoter", "me", "ops"]
        .map((p) => [p, resolve(pages, `${p}.html`)])),
    },
  },
});

if (values.url && values["anon-key"]) {
  const config = { supabaseUrl: values.url, anonKey: values["anon-key"] };
  writeFileSync(resolve(out, "config.js"),
    `// The Supabase project the pages talk to (URL and anon key; both are public by design).\n` +
    `window.GUESTLIST_CONFIG = ${JSON.stringify(config, null, 2)};\n`);
} else {
  writeFileSync(resolve(out, "config.js"),
    `// Set the Supabase project's URL and anon key here.\nwindow.GUESTLIST_CONFIG = { supabaseUrl: "", anonKey: "" };\n`);
}
// The service worker: the guest page, the files it loads at once (Vite's manifest: its entry, the
// chunks it imports, at once or later, and their CSS), config.js and the web app manifest with its icons; the
// version is a hash of every file of the build, so any change is a new worker and a new cache.
const viteManifest = JSON.parse(readFileSync(resolve(out, ".vite/manifest.json"), "utf8"));
const guestFiles = new Set(["/guest.html", "/config.js", "/manifest.webmanifest",
  ...readdirSync(resolve(pages, "public/icons")).map((f) => `/icons/${f}`)]);
const walk = (key) => {
  const chunk = viteManifest[key];
  if (!chunk || guestFiles.has(`/${chunk.file}`)) return;
  guestFiles.add(`/${chunk.file}`);
  for (const css of chunk.css ?? []) guestFiles.add(`/${css}`);
  for (const imported of [...chunk.imports ?? [], ...chunk.dynamicImports ?? []]) walk(imported);
};
walk("guest.html");
rmSync(resolve(out, ".vite"), { recursive: true, force: true });
const hash = createHash("sha256");
const files = (dir) => readdirSync(dir, { withFileTypes: true })
  .flatMap((d) => (d.isDirectory() ? files(resolve(dir, d.name)) : [resolve(dir, d.name)]));
for (const f of files(out).sort()) hash.update(relative(out, f)).update(readFileSync(f));
const worker = readFileSync(resolve(pages, "sw.js"), "utf8");
const fileList = JSON.stringify([...guestFiles].sort());
const version = hash.update(worker).update(fileList).digest("hex").slice(0, 16);
writeFileSync(resolve(out, "sw.js"), worker.replace('"__VERSION__"', JSON.stringify(version)).replace("__FILES__", fileList));
console.error(`pages built into ${out} (service worker ${version})`);
