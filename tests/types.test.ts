// The committed database types (client/database.types.ts) must be what the generator gives for
// the migrated schema: after a migration changes a public function or table, run
// `npm run gen:types` and commit the result.
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without declarations
import { generateTypes, TYPES_FILE } from "../scripts/gen-types.mjs";

it("client/database.types.ts matches the database's schema (npm run gen:types)", () => {
  const generated: string = generateTypes(process.env.DB_URL!);
  expect(readFileSync(TYPES_FILE as string, "utf8"), "run `npm run gen:types` and commit the file").toBe(generated);
}, 60_000);
