// The frozen migration history (scripts/check-migrations.mjs): on a copy of the migrations and
// their manifest, every way of rewriting history fails the check, and adding a file does not
// until it is frozen.
import { spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "..");
const script = join(root, "scripts/check-migrations.mjs");
const copies: string[] = [];

/** A checkout holding a copy of supabase/migrations and supabase/migrations.sha256. */
function copy(): { dir: string; files: string[] } {
  const base = mkdtempSync(join(tmpdir(), "migrations-"));
  copies.push(base);
  cpSync(join(root, "supabase/migrations"), join(base, "supabase/migrations"), { recursive: true });
  cpSync(join(root, "supabase/migrations.sha256"), join(base, "supabase/migrations.sha256"));
  return { dir: base, files: readdirSync(join(base, "supabase/migrations")).filter((f) => f.endsWith(".sql")).sort() };
}
function check(base: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [script, "--root", base, ...args], { encoding: "utf8" });
  return { status: r.status, out: r.stdout + r.stderr };
}
afterEach(() => {
  for (const c of copies.splice(0)) rmSync(c, { recursive: true, force: true });
});

describe("frozen migrations", () => {
  it("pass unchanged", () => {
    const { dir, files } = copy();
    expect(files.length).toBeGreaterThan(10);
    expect(check(dir)).toEqual({ status: 0, out: `migrations: ${files.length} frozen, unchanged\n` });
  });

  it("fail when a frozen migration changed", () => {
    const { dir, files } = copy();
    appendFileSync(join(dir, "supabase/migrations", files[3]), "\n-- an edit\n");
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain(`${files[3]}: a frozen migration was changed`);
  });

  it("fail when a frozen migration is removed or renamed", () => {
    const { dir, files } = copy();
    rmSync(join(dir, "supabase/migrations", files[0]));
    renameSync(join(dir, "supabase/migrations", files[1]), join(dir, "supabase/migrations", `29991231000000_renamed.sql`));
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain(`${files[0]}: a frozen migration was removed or renamed`);
    expect(r.out).toContain(`${files[1]}: a frozen migration was removed or renamed`);
  });

  it("fail on a migration that is not listed, until it is frozen", () => {
    const { dir } = copy();
    writeFileSync(join(dir, "supabase/migrations/29991231000000_new_topic.sql"), "select 1;\n");
    const r = check(dir);
    expect(r.status).toBe(1);
    expect(r.out).toContain("29991231000000_new_topic.sql: not in supabase/migrations.sha256");
    expect(check(dir, "--freeze")).toEqual({ status: 0, out: "migrations: froze 29991231000000_new_topic.sql\n" });
    expect(check(dir).status).toBe(0);
    appendFileSync(join(dir, "supabase/migrations/29991231000000_new_topic.sql"), "select 2;\n");
    expect(check(dir).status).toBe(1);
  });

  it("fail on a new migration that sorts before the last frozen one, even when freezing", () => {
    const { dir, files } = copy();
    const early = `${files.at(-2)!.slice(0, 14)}_late_arrival.sql`;
    expect(early < files.at(-1)!).toBe(true);
    writeFileSync(join(dir, "supabase/migrations", early), "select 1;\n");
    for (const args of [[], ["--freeze"]]) {
      const r = check(dir, ...args);
      expect(r.status).toBe(1);
      expect(r.out).toContain(`${early}: sorts before the last frozen migration (${files.at(-1)})`);
    }
  });
});
