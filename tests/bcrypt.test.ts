// The phone's bcrypt (client/bcrypt.ts, hash-wasm) is the database's bcrypt: given the first 29
// characters of a hash that pgcrypto made (`crypt(p, gen_salt('bf', 10))`, as the seed's rows
// were made), it gives back exactly that hash, accented passwords included; and a salt the
// phone makes is one pgcrypto reads the same way.
import { afterAll, describe, expect, it } from "vitest";
import { bcrypt, isSalt, newSalt } from "../client/bcrypt";
import { connect } from "./db";

const sql = connect(1);
afterAll(() => sql.end());

const passwords = ["Noite-2026x", "Pão-de-Açúcar-1é", "ÉNORMEmente1", "😀 Emoji-2026", "a", `Aa1${"é".repeat(35)}`, "x".repeat(80)];

describe("bcrypt on the phone", () => {
  it("reproduces pgcrypto's crypt(p, gen_salt('bf', 10)) from its first 29 characters", async () => {
    for (const p of passwords) {
      const [{ h }] = await sql`select extensions.crypt(${p}, extensions.gen_salt('bf', 10)) as h`;
      expect(h).toMatch(/^\$2a\$10\$[./A-Za-z0-9]{53}$/);
      expect(await bcrypt(p, h.slice(0, 29)), p).toBe(h);
    }
  });

  it("makes a new $2b$ cost-10 salt that pgcrypto hashes to the same string", async () => {
    const salts = new Set<string>();
    for (const p of passwords.slice(0, 3)) {
      const salt = newSalt();
      salts.add(salt);
      expect(salt).toMatch(/^\$2b\$10\$[./A-Za-z0-9]{22}$/);
      expect(isSalt(salt)).toBe(true);
      const mine = await bcrypt(p, salt);
      expect(mine.slice(0, 29)).toBe(salt);
      // pgcrypto knows only $2a$; for passwords under 255 bytes $2a$ and $2b$ compute the same.
      const [{ h }] = await sql`select extensions.crypt(${p}, ${`$2a$${salt.slice(4)}`}) as h`;
      expect(`$2b$${h.slice(4)}`).toBe(mine);
    }
    expect(salts.size).toBe(3);
    await expect(bcrypt("x", "$2b$10$short")).rejects.toThrow(/salt/);
  });
});
