// Names and phone numbers as people write and paste them: the client's zod schemas
// (client/schemas.ts FirstName, Phone) and the database's rules (private.clean_name,
// private.normalize_phone) give the same answer for the same input, on random strings drawn from
// what people type: letters of several scripts, combining marks, initials, apostrophes and
// hyphens, spaces of every kind, invisible characters (direction marks, zero-width, BOM), digits
// and separators, and now and then something that is no name at all.
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { check } from "../client/api";
import type { ApiError } from "../client/errors";
import * as S from "../client/schemas";
import { connect } from "./db";

const sql = connect(1);
afterAll(() => sql.end());
const runs = Number(process.env.FUZZ_RUNS ?? 200);

/** The database's answer: the tidy value, or "error <code>". */
async function server(call: string, input: string): Promise<string> {
  try {
    const [row] = await sql.unsafe(`select (${call})::text as v`, [input]);
    return row.v;
  } catch (e) {
    return `error ${(e as { message: string }).message}`;
  }
}
/** The client's answer, in the same form. */
function local(schema: "FirstName" | "Phone", input: string): string {
  try {
    return check(S[schema] as never, input) as string;
  } catch (e) {
    return `error ${(e as ApiError).code}`;
  }
}

const pieces = {
  letters: ["a", "Z", "é", "ß", "ø", "Ł", "ñ", "देव", "ना", "क्ष", "ज़", "ि", "்", "ம", "محمد", "שָׁ", "李", "Ελ", "я", "ǅ", "ﬁ", "𝐀", "ä"],
  marks: ["\u0301", "\u0308", "\u0327", "\u094D", "\u093C", "\u05B7", "\u20D7"],
  joins: [" ", "-", "'", "’", ".", "  ", "--", ".."],
  spaces: ["\u00A0", "\u2009", "\u202F", "\u3000", "\t", "\n", "\u2028"],
  invisible: ["\u200E", "\u200F", "\u202A", "\u202C", "\u200B", "\u200D", "\uFEFF", "\u2066", "\u2069", "\u00AD"],
  other: ["1", "٣", "_", "@", "!", "😀", "\u0007", "/", "*"],
};
const piece = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom(...pieces.letters) },
  { weight: 2, arbitrary: fc.constantFrom(...pieces.marks) },
  { weight: 3, arbitrary: fc.constantFrom(...pieces.joins) },
  { weight: 1, arbitrary: fc.constantFrom(...pieces.spaces) },
  { weight: 1, arbitrary: fc.constantFrom(...pieces.invisible) },
  { weight: 1, arbitrary: fc.constantFrom(...pieces.other) },
);
const name = fc.oneof(
  { weight: 9, arbitrary: fc.array(piece, { minLength: 0, maxLength: 30 }).map((a) => a.join("")) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", maxLength: 60 }) },
).map((s) => s.replace(/\0/g, "")); // NUL never reaches the database: the gateway answers 400 (tests/fuzz.test.ts)
const digit = fc.constantFrom(..."0123456789");
const separator = fc.constantFrom(" ", "-", ".", "(", ")", "\u00A0", "\u2009", "\u200E", "\u202A", "\u202C", "\u200B", "\uFEFF", "x", "+", "٣");
const phone = fc.tuple(fc.constantFrom("", "+", "00", "+351", "+44"), fc.array(fc.oneof({ weight: 6, arbitrary: digit }, { weight: 1, arbitrary: separator }),
  { minLength: 0, maxLength: 34 })).map(([p, a]) => p + a.join(""));

describe("names and numbers: the client and the database agree", { timeout: 120_000 }, () => {
  it("on the examples people reported", async () => {
    const cases: ["FirstName" | "Phone", string, string][] = [
      ["FirstName", "देवनागरी", "देवनागरी"], ["FirstName", "Jose\u0301", "José"], ["FirstName", "J.", "J."], ["FirstName", "A", "A"],
      ["FirstName", "J. R. R.", "J. R. R."], ["FirstName", "d’Ávila-Ó'Neil", "d’Ávila-Ó'Neil"], ["FirstName", "\u200FAna\u00A0Rita", "Ana Rita"],
      ["FirstName", "é".repeat(51), "error invalid_first_name"], ["FirstName", "R2D2", "error invalid_first_name"],
      ["Phone", "\u202A+351 912\u00A0345 678\u202C", "+351912345678"], ["Phone", "\u200E912\u200B345\uFEFF678", "+351912345678"],
    ];
    for (const [schema, input, want] of cases) {
      const call = schema === "Phone" ? "private.normalize_phone($1)" : "private.clean_name('first_name', $1)";
      expect([input, local(schema, input)]).toEqual([input, want]);
      expect([input, await server(call, input)]).toEqual([input, want]);
    }
  });

  it("on random names", async () => {
    await fc.assert(fc.asyncProperty(name, async (s) => {
      expect([s, local("FirstName", s)]).toEqual([s, await server("private.clean_name('first_name', $1)", s)]);
    }), { numRuns: runs, endOnFailure: true });
  });

  it("on random numbers, pasted with separators and invisible characters", async () => {
    await fc.assert(fc.asyncProperty(phone, async (s) => {
      expect([s, local("Phone", s)]).toEqual([s, await server("private.normalize_phone($1)", s)]);
    }), { numRuns: runs, endOnFailure: true });
  });
});
