import { describe, expect, it } from "vitest";
import { AppError } from "../errors";
import { checkRows, DATASET_LIMITS, parseCsv, parseJsonl } from "./datasets-parse";

function failure(fn: () => unknown): AppError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe("INVALID_INPUT");
    return err as AppError;
  }
  throw new Error("expected an INVALID_INPUT error");
}

describe("parseCsv", () => {
  it("reads a header and rows, values as strings", () => {
    expect(parseCsv("id,name,amount\n1,Ada,42\n2,Grace,true\n")).toEqual([
      { id: "1", name: "Ada", amount: "42" },
      { id: "2", name: "Grace", amount: "true" },
    ]);
  });

  it("handles quotes, escaped quotes, commas and line breaks inside quotes, CRLF and a BOM", () => {
    const text = '\uFEFFid,note\r\n1,"say ""hi"", then\r\nleave"\r\n2,""\r\n3,plain\r\n';
    expect(parseCsv(text)).toEqual([
      { id: "1", note: 'say "hi", then\r\nleave' },
      { id: "2", note: "" },
      { id: "3", note: "plain" },
    ]);
  });

  it("skips empty lines, keeps empty fields, and needs no final line break", () => {
    expect(parseCsv("a,b\n\n1,\n,2")).toEqual([
      { a: "1", b: "" },
      { a: "", b: "2" },
    ]);
  });

  it("types columns on request; empty typed cells are null", () => {
    const rows = parseCsv('n,ok,meta,s\n1.5,TRUE,"{""x"":1}",7\n,false,,8\n', {
      n: "number",
      ok: "boolean",
      meta: "json",
    });
    expect(rows).toEqual([
      { n: 1.5, ok: true, meta: { x: 1 }, s: "7" },
      { n: null, ok: false, meta: null, s: "8" },
    ]);
  });

  it("names the line of a bad typed cell", () => {
    expect(failure(() => parseCsv("n\n1\n0x10\n", { n: "number" })).message).toMatch(
      /^Line 3, column "n": "0x10" is not a number/,
    );
    expect(failure(() => parseCsv("b\nyes\n", { b: "boolean" })).message).toMatch(/^Line 2/);
    expect(failure(() => parseCsv("j\n{oops\n", { j: "json" })).message).toMatch(/^Line 2/);
    expect(failure(() => parseCsv("a\n1\n", { zz: "number" })).message).toMatch(/lacks/);
  });

  it("refuses malformed quoting with the line number", () => {
    expect(failure(() => parseCsv('a,b\n1,x"y\n')).message).toMatch(/^Line 2: a quote inside/);
    expect(failure(() => parseCsv('a,b\n1,"x"y\n')).message).toMatch(/^Line 2: text after/);
    expect(failure(() => parseCsv('a,b\n1,2\n3,"open\nmore\n')).message).toMatch(
      /^Line 3: a quoted field is never closed/,
    );
    // The line counter follows line breaks inside quoted fields.
    expect(failure(() => parseCsv('a,b\n1,"x\ny"\n2\n')).message).toMatch(/^Line 4: 1 fields/);
    expect(failure(() => parseCsv("a,b\r1,2\n")).message).toMatch(/lone carriage return/);
  });

  it("refuses bad headers and ragged rows", () => {
    expect(failure(() => parseCsv("a,,c\n1,2,3\n")).message).toMatch(/column 2 has no name/);
    expect(failure(() => parseCsv("a,b,a\n1,2,3\n")).message).toMatch(/"a" appears twice/);
    expect(failure(() => parseCsv("a,b\n1,2,3\n")).message).toMatch(
      /^Line 2: 3 fields where the header has 2/,
    );
    expect(failure(() => parseCsv("")).message).toMatch(/empty/);
    expect(failure(() => parseCsv("a,b\n")).message).toMatch(/no rows/);
  });

  it("keeps prototype-looking column names as plain data", () => {
    const [row] = parseCsv("__proto__,constructor\nx,y\n");
    expect(Object.keys(row!)).toEqual(["__proto__", "constructor"]);
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
  });

  it("enforces the caps: columns, rows, row bytes, upload bytes", () => {
    const wide = Array.from({ length: DATASET_LIMITS.columns + 1 }, (_, k) => `c${k}`).join(",");
    expect(failure(() => parseCsv(`${wide}\n`)).message).toMatch(/more than 200 fields/);
    const many = `a\n${"1\n".repeat(DATASET_LIMITS.rows + 1)}`;
    expect(failure(() => parseCsv(many)).message).toMatch(/at most 10000 rows/);
    const fat = `a\n"${"x".repeat(DATASET_LIMITS.rowBytes)}"\n`;
    expect(failure(() => parseCsv(fat)).message).toMatch(/^Line 2: the row is \d+ bytes/);
    const huge = "a\n" + "y".repeat(DATASET_LIMITS.uploadBytes);
    expect(failure(() => parseCsv(huge)).message).toMatch(/at most 5242880 bytes/);
  });
});

describe("parseJsonl", () => {
  it("reads one object per line, skipping empty lines and CRLF", () => {
    expect(parseJsonl('{"a":1}\r\n\n{"b":[true,null]}\n')).toEqual([{ a: 1 }, { b: [true, null] }]);
  });

  it("names the line of broken JSON and non-objects", () => {
    expect(failure(() => parseJsonl('{"a":1}\n{"a":\n')).message).toMatch(
      /^Line 2: not valid JSON/,
    );
    expect(failure(() => parseJsonl('{"a":1}\n\n[1,2]\n')).message).toMatch(
      /^Line 3: each line holds one JSON object/,
    );
    expect(failure(() => parseJsonl("null")).message).toMatch(/^Line 1/);
    expect(failure(() => parseJsonl("\n\n")).message).toMatch(/no rows/);
  });

  it("refuses rows nested too deep, without blowing the stack", () => {
    const deep = `{"a":${"[".repeat(30_000)}${"]".repeat(30_000)}}`;
    expect(failure(() => parseJsonl(`{}\n${deep}`)).message).toMatch(
      /^Line 2: the row nests objects and arrays deeper than 32 levels/,
    );
    const ok = `{"a":${"[".repeat(31)}${"]".repeat(31)}}`;
    expect(parseJsonl(ok)).toHaveLength(1);
  });

  it("enforces the row and line caps", () => {
    const long = JSON.stringify({ a: "x".repeat(DATASET_LIMITS.rowBytes) });
    expect(failure(() => parseJsonl(`{}\n${long}`)).message).toMatch(/^Line 2: longer than/);
    const many = '{"a":1}\n'.repeat(DATASET_LIMITS.rows + 1);
    expect(failure(() => parseJsonl(many)).message).toMatch(/at most 10000 rows/);
  });
});

describe("checkRows", () => {
  it("lists columns in first-seen order with their kinds", () => {
    expect(
      checkRows([
        { a: 1, b: null, c: "x" },
        { a: 2, b: "y", c: 3, d: [1] },
      ]),
    ).toEqual([
      { name: "a", type: "number" },
      { name: "b", type: "string" },
      { name: "c", type: "mixed" },
      { name: "d", type: "array" },
    ]);
  });

  it("refuses non-objects, empty sets and too many columns, naming the row", () => {
    expect(failure(() => checkRows([{ a: 1 }, [1]])).message).toMatch(/^Row 2/);
    expect(failure(() => checkRows([])).message).toMatch(/at least one row/);
    const wide = Object.fromEntries(
      Array.from({ length: DATASET_LIMITS.columns + 1 }, (_, k) => [`c${k}`, k]),
    );
    expect(failure(() => checkRows([{ a: 1 }, wide])).message).toMatch(/^Row 2: more than 200/);
  });
});
