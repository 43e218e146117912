// Builds the static pages (client/pages) into a folder that any static host can serve in front
// of a Supabase project, and writes the one config file they read (config.js: the project's
// URL and anon key). Bundled with Vite (rolldown); no third-party asset is loaded at run time.
//   node scripts/build-pages.mjs --out <dir> --url <supabase url> --anon-key <key>
// Without --url/--anon-key the config is left as it is (edit <dir>/config.js by hand).
import { writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
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
  publicDir: false,
  build: {
    outDir: out,
    emptyOutDir: true,
    target: "es2022",
    reportCompressedSize: false,
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
console.error(`pages built into ${out}`);
