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

describe("raw driver (transactions)", () => {
  const onPostgres = process.env.TEST_DB === "postgres";
  beforeAll(async () => {
    await db.driver.query(`CREATE TABLE "DriverScratch" ("k" text PRIMARY KEY, "n" int NOT NULL)`);
  });
  const rows = async (prefix: string) =>
    (
      await db.driver.query<{ k: string; n: number }>(
        `SELECT "k", "n" FROM "DriverScratch" WHERE "k" LIKE $1 ORDER BY "k"`,
        [`${prefix}%`],
      )
    ).map((r) => [r.k, r.n]);
  const insert = `INSERT INTO "DriverScratch" ("k", "n") VALUES ($1, $2) RETURNING "n"`;

  it("pipelined: statements sent without waiting run in order and commit together", async () => {
    const out = await db.driver.transaction(
      async (tx) => {
        const sent = [1, 2, 3].map((n) => tx.query<{ n: number }>(insert, [`p-${n}`, n]));
        // The second one reads what the first wrote in the same transaction.
        const sum = tx.query<{ s: number }>(
          `SELECT sum("n")::int AS s FROM "DriverScratch" WHERE "k" LIKE 'p-%'`,
        );
        return [...(await Promise.all(sent)).map((r) => r[0]!.n), (await sum)[0]!.s];
      },
      { pipelined: true },
    );
    expect(out).toEqual([1, 2, 3, 6]);
    expect(await rows("p-")).toEqual([
      ["p-1", 1],
      ["p-2", 2],
      ["p-3", 3],
    ]);
  });

  it("pipelined: a failed statement fails the transaction; nothing of it is written", async () => {
    await expect(
      db.driver.transaction(
        async (tx) => {
          const a = tx.query(insert, ["f-1", 1]);
          const dup = tx.query(insert, ["f-1", 2]); // the primary key refuses it
          const b = tx.query(insert, ["f-2", 3]); // behind it: the transaction is aborted
          await a;
          await Promise.allSettled([dup, b]);
          await dup;
        },
        { pipelined: true },
      ),
    ).rejects.toThrow(/duplicate key/);
    expect(await rows("f-")).toEqual([]);
  });

  it.runIf(onPostgres)(
    "a transaction whose failed statement was caught rejects at COMMIT instead of passing as committed",
    async () => {
      for (const pipelined of [false, true])
        await expect(
          db.driver.transaction(
            async (tx) => {
              await tx.query(insert, [`c-${pipelined}`, 1]);
              await tx.query(insert, [`c-${pipelined}`, 2]).catch(() => undefined);
              return "done";
            },
            { pipelined },
          ),
        ).rejects.toThrow(/rolled back/);
      expect(await rows("c-")).toEqual([]);
    },
  );

  it.runIf(onPostgres)(
    "pipelined: commit() sends COMMIT behind the statements; a failure before it writes nothing",
    async () => {
      const done = await db.driver.transaction(
        async (tx) => {
          const sent = [1, 2].map((n) => tx.query(insert, [`e-${n}`, n]));
          tx.commit!();
          await Promise.all(sent);
          return "committed";
        },
        { pipelined: true },
      );
      expect(done).toBe("committed");
      expect(await rows("e-")).toEqual([
        ["e-1", 1],
        ["e-2", 2],
      ]);
      await expect(
        db.driver.transaction(
          async (tx) => {
            const sent = [tx.query(insert, ["g-1", 1]), tx.query(insert, ["e-1", 9])];
            tx.commit!();
            await Promise.allSettled(sent);
            await Promise.all(sent);
          },
          { pipelined: true },
        ),
      ).rejects.toThrow(/duplicate key/);
      expect(await rows("g-")).toEqual([]);
      expect(await rows("e-")).toEqual([
        ["e-1", 1],
        ["e-2", 2],
      ]);
    },
  );

  it.runIf(onPostgres)(
    "pipelined: one tick's statements go out as one group and bind every kind of value as a plain query does",
    async () => {
      const sql = `SELECT $1::timestamptz AS at, $2::int[] AS ints, $3::jsonb AS doc, $4::text AS none,
        $5::bytea AS bytes, $6::boolean AS yes, $7::float8 AS x, $8::text AS quote`;
      const values = [
        new Date("2026-12-07T12:34:56.789Z"),
        [1, 2, 3],
        { a: [1, "two", null], "b'": { c: true } },
        null,
        Buffer.from([0, 1, 254, 255]),
        true,
        -1.25,
        `it's "quoted" \\ $1`,
      ];
      const plain = await db.driver.query(sql, values);
      const grouped = await db.driver.transaction(
        async (tx) => {
          // Three in one tick (one group with BEGIN), then one more in a group of its own.
          const first = await Promise.all([1, 2, 3].map(() => tx.query(sql, values)));
          const again = await tx.query(sql, values);
          return [...first, again];
        },
        { pipelined: true },
      );
      expect(grouped).toHaveLength(4);
      for (const rows of grouped) expect(rows).toEqual(plain);
      expect((plain[0] as { at: Date }).at.toISOString()).toBe("2026-12-07T12:34:56.789Z");
    },
  );

  it.runIf(onPostgres)(
    "pipelined: a value that cannot be bound rejects its statement alone; the transaction rolls back",
    async () => {
      const circular: Record<string, unknown> = {};
      circular.self = circular;
      await expect(
        db.driver.transaction(
          async (tx) => {
            const ok = tx.query(insert, ["v-1", 1]);
            const bad = tx.query(`SELECT $1::jsonb AS j`, [circular]);
            await expect(bad).rejects.toThrow(/circular/i);
            await ok;
            await tx.query(insert, ["v-2", 2]);
            throw new Error("the caller gives up");
          },
          { pipelined: true },
        ),
      ).rejects.toThrow(/gives up/);
      expect(await rows("v-")).toEqual([]);
    },
  );

  it.runIf(onPostgres)(
    "pipelined: a statement is prepared once per connection, also after a failed transaction",
    async () => {
      const count = `SELECT count(*)::int AS n FROM pg_prepared_statements WHERE statement LIKE $1`;
      const counts: number[] = [];
      for (let i = 0; i < 3; i++) {
        if (i === 1)
          // A failed transaction: its connection is dropped, not reused.
          await expect(
            db.driver.transaction(
              async (tx) => {
                await tx.query(insert, ["r-0", 0]);
                await tx.query(insert, ["r-0", 1]);
              },
              { pipelined: true },
            ),
          ).rejects.toThrow(/duplicate key/);
        const [row] = await db.driver.transaction(
          async (tx) => {
            await tx.query(insert, [`r-${i + 1}`, i + 1]);
            return tx.query<{ n: number }>(count, [`%INSERT INTO "DriverScratch"%`]);
          },
          { pipelined: true },
        );
        counts.push(row!.n);
      }
      // Each connection prepared the insert once; none holds it twice.
      expect(counts.every((n) => n === 1)).toBe(true);
      expect(await rows("r-")).toEqual([
        ["r-1", 1],
        ["r-2", 2],
        ["r-3", 3],
      ]);
    },
  );

  it.runIf(onPostgres)(
    "pipelined: a script runs in order with the statements around it",
    async () => {
      await db.driver.transaction(
        async (tx) => {
          const before = tx.query(insert, ["s-1", 1]);
          await tx.exec(
            `INSERT INTO "DriverScratch" VALUES ('s-2', 2); INSERT INTO "DriverScratch" VALUES ('s-3', 3)`,
          );
          await before;
          await tx.query(insert, ["s-4", 4]);
        },
        { pipelined: true },
      );
      expect((await rows("s-")).map(([, n]) => n)).toEqual([1, 2, 3, 4]);
    },
  );
});
