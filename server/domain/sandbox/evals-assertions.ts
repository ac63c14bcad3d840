/**
 * The checks of an evaluation suite on one output (pure; the model-graded rubric is the one
 * check that is not: the runner grades it with a grading run, see `evals-rubric.ts`).
 *
 * - `exact`: the value at `path` equals the expected one as canonical JSON (key order aside).
 *   A string expected from a dataset column (CSV cells are strings) also matches the number or
 *   boolean it spells: `"42"` matches `42`, `"true"` matches `true`.
 * - `contains`: a string contains the expected text (optionally ignoring case); an array holds an
 *   element equal to the expected value.
 * - `json_schema`: the value is valid against the schema (draft 2020-12, the project's one Ajv).
 * - `numeric`: `|actual - expected| <= tolerance`, or `<= tolerance × |expected|` when `relative`;
 *   numeric strings count as numbers.
 */
import { canonicalJson, validatorFor } from "@/dsl";
import type { Assertion, Expected } from "./evals-schemas";

/** The verdict of one check on one output. */
export interface CheckResult {
  kind: Assertion["kind"];
  path: string;
  pass: boolean;
  /** Why it failed (or, for a rubric, the grader's rationale). */
  message: string;
}

const MISSING = Symbol("missing");

/** The value at a dot path (`data.items.0.id`; "" is the whole value), or MISSING. */
export function valueAt(value: unknown, path: string): unknown {
  if (path === "") return value;
  let cur: unknown = value;
  for (const seg of path.split(".")) {
    if (Array.isArray(cur) && /^\d+$/.test(seg)) {
      const i = Number(seg);
      if (i >= cur.length) return MISSING;
      cur = cur[i];
    } else if (cur !== null && typeof cur === "object" && Object.hasOwn(cur, seg)) {
      cur = (cur as Record<string, unknown>)[seg];
    } else {
      return MISSING;
    }
  }
  return cur;
}

/** The expected value of a check for `row`, or an error message when the row lacks the column. */
export function expectedValue(
  expected: Expected,
  row: Record<string, unknown>,
): { value: unknown } | { error: string } {
  if ("column" in expected) {
    if (!Object.hasOwn(row, expected.column)) {
      return { error: `the row has no column "${expected.column}"` };
    }
    return { value: row[expected.column] };
  }
  return { value: expected.value };
}

/** Short JSON for messages (at most 120 characters). */
function show(v: unknown): string {
  let s: string;
  try {
    s = JSON.stringify(v) ?? String(v);
  } catch {
    s = String(v);
  }
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

function equal(actual: unknown, expected: unknown): boolean {
  if (canonicalJson(actual) === canonicalJson(expected)) return true;
  if (typeof expected === "string" && (typeof actual === "number" || typeof actual === "boolean")) {
    return String(actual) === expected.trim();
  }
  return false;
}

function asNumber(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v.trim());
    if (Number.isFinite(n)) return n;
  }
  return undefined;
}

/**
 * The verdict of a deterministic check (every kind but `rubric`) on `output` for `row`. Never
 * throws: an invalid schema or a missing value is a failed check with its reason.
 */
export function checkAssertion(
  a: Exclude<Assertion, { kind: "rubric" }>,
  output: unknown,
  row: Record<string, unknown>,
): CheckResult {
  const path = a.path ?? "";
  const at = path ? `at ${path}` : "";
  const result = (pass: boolean, message = ""): CheckResult => ({
    kind: a.kind,
    path,
    pass,
    message,
  });
  const actual = valueAt(output, path);
  if (actual === MISSING) return result(false, `no value ${at || "in the output"}`.trim());

  if (a.kind === "json_schema") {
    let validate: ReturnType<typeof validatorFor>;
    try {
      validate = validatorFor(a.schema as object | boolean);
    } catch (e) {
      return result(false, `the JSON Schema does not compile: ${(e as Error).message}`);
    }
    if (validate(actual)) return result(true);
    const errs = (validate.errors ?? [])
      .slice(0, 3)
      .map((e) => `${e.instancePath || "value"} ${e.message ?? "is invalid"}`);
    return result(false, `does not match the schema: ${errs.join("; ")}`);
  }

  const exp = expectedValue(a.expected, row);
  if ("error" in exp) return result(false, exp.error);
  const expected = exp.value;

  switch (a.kind) {
    case "exact":
      return equal(actual, expected)
        ? result(true)
        : result(false, `expected ${show(expected)}, got ${show(actual)}`);
    case "contains": {
      if (typeof actual === "string") {
        if (typeof expected !== "string") {
          return result(false, `a string can only contain text; expected is ${show(expected)}`);
        }
        const hit = a.ignoreCase
          ? actual.toLowerCase().includes(expected.toLowerCase())
          : actual.includes(expected);
        return hit
          ? result(true)
          : result(false, `${show(actual)} does not contain ${show(expected)}`);
      }
      if (Array.isArray(actual)) {
        const hit = actual.some((el) =>
          a.ignoreCase && typeof el === "string" && typeof expected === "string"
            ? el.toLowerCase() === expected.toLowerCase()
            : equal(el, expected),
        );
        return hit ? result(true) : result(false, `${show(actual)} holds no ${show(expected)}`);
      }
      return result(false, `expected a string or an array, got ${show(actual)}`);
    }
    case "numeric": {
      const x = asNumber(actual);
      const e = asNumber(expected);
      if (x === undefined) return result(false, `expected a number, got ${show(actual)}`);
      if (e === undefined)
        return result(false, `the expected value ${show(expected)} is no number`);
      const allowed = a.relative ? a.tolerance * Math.abs(e) : a.tolerance;
      const diff = Math.abs(x - e);
      return diff <= allowed
        ? result(true)
        : result(false, `${x} is ${diff} away from ${e}, more than the tolerance ${allowed}`);
    }
  }
}

/** What a rubric grader reads: the rubric, and the (part of the) output it grades. */
export function rubricText(rubric: string, output: unknown, path: string): string {
  const actual = valueAt(output, path);
  const shown = actual === MISSING ? "(no value)" : JSON.stringify(actual, null, 2);
  const capped = shown.length > 16_000 ? `${shown.slice(0, 16_000)}\n…(cut)` : shown;
  return `Rubric:\n${rubric}\n\nAnswer to grade:\n${capped}`;
}

/** A sample passes when every check passes (a failed run passes nothing). */
export function allPass(checks: CheckResult[]): boolean {
  return checks.length > 0 && checks.every((c) => c.pass);
}
