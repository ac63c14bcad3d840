import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

describe("raw driver (prepared statements)", () => {
  it("round-trips every kind of parameter, the first time and from the cached plan", async () => {
    const tricky = [`it's`, `back\\slash`, `''`, `$1`, `ünïcödé ✓`, `line\nbreak`, `E'x'`, ""];
    for (let round = 0; round < 3; round++) {
      for (const text of tricky) {
        const [row] = await db.driver.query<{ t: string; n: number; b: boolean; z: null }>(
          `SELECT $1::text AS t, $2::float8 AS n, $3::boolean AS b, $4::text AS z`,
          [text, 1.5 + round, round % 2 === 0, null],
        );
        expect(row).toEqual({ t: text, n: 1.5 + round, b: round % 2 === 0, z: null });
      }
    }
  });

  it("runs statements whose parameters are not plain values, and reports SQL errors", async () => {
    const [row] = await db.driver.query<{ n: number }>(`SELECT cardinality($1::text[])::int AS n`, [
      ["a", "b", "c"],
    ]);
    expect(row?.n).toBe(3);
    await expect(db.driver.query(`SELECT $1::int AS n`, ["not a number"])).rejects.toThrow(
      /invalid input syntax/,
    );
    await expect(db.driver.query(`SELECT * FROM "NoSuchTable" WHERE x = $1`, [1])).rejects.toThrow(
      /NoSuchTable|does not exist/,
    );
  });
});
