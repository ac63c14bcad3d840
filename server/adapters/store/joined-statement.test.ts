import { describe, expect, it } from "vitest";
import { joinStatements, rewriteSql } from "./joined-statement";

describe("rewriteSql", () => {
  const names = new Map([
    ["g", "g_1"],
    ["upd_run", "upd_run_1"],
  ]);

  it("renames whole words and shifts parameters, outside literals and quoted identifiers", () => {
    expect(
      rewriteSql(
        `SELECT ok FROM g WHERE "g" = 'g upd_run $1' AND x.g_x = $2::int - $10 AND E'it''s g' = u."upd_run" FROM upd_run u`,
        names,
        5,
      ),
    ).toBe(
      `SELECT ok FROM g_1 WHERE "g" = 'g upd_run $1' AND x.g_x = $7::int - $15 AND E'it''s g' = u."upd_run" FROM upd_run_1 u`,
    );
  });

  it("renames a table alias that shares a CTE's name with all its uses", () => {
    expect(
      rewriteSql(`SELECT array_agg(v ORDER BY g) FROM generate_series(1, $3::int) g`, names, 1),
    ).toBe(`SELECT array_agg(v ORDER BY g_1) FROM generate_series(1, $4::int) g_1`);
  });

  it("keeps doubled quotes inside quoted identifiers", () => {
    expect(rewriteSql(`SELECT "a""g" FROM g`, names, 0)).toBe(`SELECT "a""g" FROM g_1`);
  });

  it("refuses what it cannot read: comments, dollar quotes, unterminated quotes", () => {
    expect(() => rewriteSql(`SELECT 1 -- g`, names, 0)).toThrow(/comment/);
    expect(() => rewriteSql(`SELECT 1 /* g */`, names, 0)).toThrow(/comment/);
    expect(() => rewriteSql(`SELECT $$g$$`, names, 0)).toThrow(/dollar/);
    expect(() => rewriteSql(`SELECT 'g`, names, 0)).toThrow(/unterminated/);
  });

  it("keeps arithmetic minus and division", () => {
    expect(rewriteSql(`SELECT $1 - 1, $2 / 2 FROM g`, names, 1)).toBe(
      `SELECT $2 - 1, $3 / 2 FROM g_1`,
    );
  });
});

describe("joinStatements", () => {
  const part = (value: string) => ({
    ctes: [`g AS (SELECT $1::text AS v)`, `o AS (SELECT v FROM g WHERE v = $2::text)`],
    selects: [["(SELECT v FROM o)", "v"]] as Array<[string, string]>,
    values: [value, value],
    read: (row: Record<string, unknown>) => row.v,
  });

  it("joins parts into one statement and reads each part's columns back", () => {
    const joined = joinStatements([part("a"), { ...part("b"), aliases: { previous: "g_0" } }]);
    const extra = joined.add("c");
    joined.ctes.push(`last AS (SELECT ${extra}::text AS v FROM ${joined.name(1, "o")})`);
    expect(joined.values).toEqual(["a", "a", "b", "b", "c"]);
    expect(joined.text()).toBe(
      [
        "WITH g_0 AS (SELECT $1::text AS v)",
        "o_0 AS (SELECT v FROM g_0 WHERE v = $2::text)",
        "g_1 AS (SELECT $3::text AS v)",
        "o_1 AS (SELECT v FROM g_1 WHERE v = $4::text)",
        "last AS (SELECT $5::text AS v FROM o_1) SELECT (SELECT v FROM o_0) AS p0_v, (SELECT v FROM o_1) AS p1_v",
      ].join(",\n"),
    );
    expect(joined.read({ p0_v: "a", p1_v: "b" })).toEqual(["a", "b"]);
    expect(() => joined.name(2, "o")).toThrow(/no CTE/);
  });

  it("renames a part's aliases to what the caller names", () => {
    const p = {
      ...part("x"),
      ctes: [`g AS (SELECT ok FROM previous)`],
      selects: [] as Array<[string, string]>,
      values: [],
      aliases: { previous: "go_0" },
    };
    expect(joinStatements([p]).text()).toBe("WITH g_0 AS (SELECT ok FROM go_0) SELECT ");
  });
});
