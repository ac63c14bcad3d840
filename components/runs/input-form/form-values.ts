/**
 * The Run form's state and its two directions, pure and tested (`form-values.test.ts`):
 *
 * - a **draft** is what the controls hold: text for strings, numbers, enums (the option's index)
 *   and JSON fields, `"true"`/`"false"`/`""` for booleans, a list for arrays, a record for
 *   objects; `""` is "not set" (the input is left out, so the flow's default applies);
 * - {@link readDrafts} turns drafts into the run's inputs, with an error message per field
 *   (required, pattern, length, range, whole number, items) keyed by its path (`lines/0/qty`);
 * - {@link draftsFromValue} turns inputs (JSON mode, defaults) back into drafts, and says what a
 *   form cannot show without changing it, so JSON → form → JSON never alters a value silently.
 */
import { showValue, type Field } from "./schema-fields";

export type Draft = string | Draft[] | { [name: string]: Draft };
export type Drafts = Record<string, Draft>;
/** Error messages by field path (`name`, `name/0`, `name/key`). */
export type FieldErrors = Record<string, string[]>;

/** Texts longer than this are refused by the form (the server caps a request at 2 MB). */
export const MAX_TEXT = 100_000;

const pathOf = (parent: string, key: string | number) =>
  parent === "" ? String(key) : `${parent}/${key}`;

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);
const isDraftRecord = (d: Draft | undefined): d is { [name: string]: Draft } =>
  d !== undefined && typeof d === "object" && !Array.isArray(d);

/** The draft of a field with no value: empty, or its default. */
export function emptyDraft(f: Field): Draft {
  if (f.hasDefault) {
    const d = draftOf(f, f.default, "", []);
    if (d !== undefined) return d;
  }
  if (f.kind === "array") return [];
  if (f.kind === "object") return Object.fromEntries(f.fields.map((c) => [c.name, emptyDraft(c)]));
  return "";
}

/** The drafts of a form's fields: defaults prefilled. */
export function initialDrafts(fields: Field[]): Drafts {
  return Object.fromEntries(fields.map((f) => [f.name, emptyDraft(f)]));
}

/**
 * The draft of `value` for field `f`, or undefined (with a message in `problems`) when the form
 * cannot hold it as it is (a number where text goes, an option the field does not offer...).
 */
function draftOf(f: Field, value: unknown, path: string, problems: string[]): Draft | undefined {
  const refuse = (what: string) => {
    problems.push(`${path || f.name}: ${what}`);
    return undefined;
  };
  switch (f.kind) {
    case "string":
      return typeof value === "string" ? value : refuse(`expected text, got ${showValue(value)}`);
    case "number":
    case "integer":
      return typeof value === "number" && Number.isFinite(value)
        ? String(value)
        : refuse(`expected a number, got ${showValue(value)}`);
    case "boolean":
      return typeof value === "boolean"
        ? String(value)
        : refuse(`expected true or false, got ${showValue(value)}`);
    case "enum": {
      const i = f.options.findIndex((o) => JSON.stringify(o) === JSON.stringify(value));
      return i >= 0 ? String(i) : refuse(`${showValue(value)} is not one of the choices`);
    }
    case "json":
      return JSON.stringify(value, null, 2);
    case "array": {
      if (!Array.isArray(value)) return refuse(`expected a list, got ${showValue(value)}`);
      const items = value.map((v, i) => draftOf(f.item, v, pathOf(path || f.name, i), problems));
      return items.every((d) => d !== undefined) ? (items as Draft[]) : undefined;
    }
    case "object": {
      if (!isRecord(value)) return refuse(`expected an object, got ${showValue(value)}`);
      const r = draftsFromFields(f.fields, value, path || f.name, problems);
      return r;
    }
  }
}

function draftsFromFields(
  fields: Field[],
  value: Record<string, unknown>,
  path: string,
  problems: string[],
): Drafts | undefined {
  const known = new Set(fields.map((f) => f.name));
  for (const k of Object.keys(value)) {
    if (!known.has(k))
      problems.push(`${pathOf(path, k)}: not an input of this ${path ? "object" : "flow"}`);
  }
  const out: Drafts = {};
  let ok = true;
  for (const f of fields) {
    if (!Object.hasOwn(value, f.name)) {
      // Left out: not set (a default applies at run time), not prefilled with it.
      out[f.name] = f.kind === "array" ? [] : f.kind === "object" ? emptyObject(f.fields) : "";
      continue;
    }
    const d = draftOf(f, value[f.name], pathOf(path, f.name), problems);
    if (d === undefined) ok = false;
    else out[f.name] = d;
  }
  return ok && problems.length === 0 ? out : undefined;
}

function emptyObject(fields: Field[]): Drafts {
  return Object.fromEntries(
    fields.map((c) => [
      c.name,
      c.kind === "array" ? [] : c.kind === "object" ? emptyObject(c.fields) : "",
    ]),
  );
}

/**
 * The drafts showing `value` (the inputs as JSON), or the reasons the form cannot show them
 * unchanged: keys that are not inputs, values of another type, options the field lacks.
 */
export function draftsFromValue(
  fields: Field[],
  value: unknown,
): { ok: true; drafts: Drafts } | { ok: false; problems: string[] } {
  if (!isRecord(value)) return { ok: false, problems: ["The inputs must be a JSON object."] };
  const problems: string[] = [];
  const drafts = draftsFromFields(fields, value, "", problems);
  return drafts ? { ok: true, drafts } : { ok: false, problems };
}

/** Parses the JSON mode's text: the inputs object, or why it is not one. */
export function parseInputsJson(
  text: string,
): { ok: true; value: Record<string, unknown> } | { ok: false; error: string } {
  if (text.length > MAX_TEXT * 10)
    return { ok: false, error: `The inputs are limited to ${MAX_TEXT * 10} characters.` };
  let value: unknown;
  try {
    value = JSON.parse(text.trim() || "{}");
  } catch (e) {
    return { ok: false, error: `Not valid JSON: ${(e as Error).message}` };
  }
  if (!isRecord(value))
    return { ok: false, error: 'The inputs must be a JSON object, e.g. { "amount": 10 }.' };
  return { ok: true, value };
}

/** A field's value read from its draft: undefined when not set. */
interface Read {
  value: unknown;
}

function addError(errors: FieldErrors, path: string, message: string) {
  (errors[path] ??= []).push(message);
}

/** Compiles a flow's `pattern` once per text; an invalid one is not checked here (the server will). */
const patterns = new Map<string, RegExp | null>();
function regexOf(pattern: string): RegExp | null {
  if (!patterns.has(pattern)) {
    let re: RegExp | null = null;
    try {
      re = new RegExp(pattern, "u");
    } catch {
      re = null;
    }
    if (patterns.size > 200) patterns.clear();
    patterns.set(pattern, re);
  }
  return patterns.get(pattern)!;
}

function readNumber(
  f: Field & { kind: "number" | "integer" },
  text: string,
  path: string,
  errors: FieldErrors,
) {
  const t = text.trim();
  const n = Number(t);
  // Text that is no number is kept as it is (the form refuses to submit it; JSON mode shows it).
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(t) || !Number.isFinite(n)) {
    addError(errors, path, f.kind === "integer" ? "Enter a whole number." : "Enter a number.");
    return text;
  }
  if (f.kind === "integer" && !Number.isInteger(n)) {
    addError(errors, path, "Enter a whole number.");
    return n;
  }
  if (f.minimum !== undefined && n < f.minimum)
    addError(errors, path, `Must be at least ${f.minimum}.`);
  if (f.exclusiveMinimum !== undefined && n <= f.exclusiveMinimum)
    addError(errors, path, `Must be more than ${f.exclusiveMinimum}.`);
  if (f.maximum !== undefined && n > f.maximum)
    addError(errors, path, `Must be at most ${f.maximum}.`);
  if (f.exclusiveMaximum !== undefined && n >= f.exclusiveMaximum)
    addError(errors, path, `Must be less than ${f.exclusiveMaximum}.`);
  if (f.multipleOf !== undefined && f.multipleOf > 0) {
    const q = n / f.multipleOf;
    if (Math.abs(q - Math.round(q)) > 1e-9)
      addError(errors, path, `Must be a multiple of ${f.multipleOf}.`);
  }
  return n;
}

function readField(f: Field, draft: Draft | undefined, path: string, errors: FieldErrors): Read {
  const unset = (): Read => {
    if (f.required) addError(errors, path, "Required.");
    return { value: undefined };
  };
  switch (f.kind) {
    case "string": {
      const text = typeof draft === "string" ? draft : "";
      if (text === "") return unset();
      if (text.length > MAX_TEXT) addError(errors, path, `Use at most ${MAX_TEXT} characters.`);
      const length = [...text].length;
      if (f.minLength !== undefined && length < f.minLength)
        addError(
          errors,
          path,
          `Use at least ${f.minLength} character${f.minLength === 1 ? "" : "s"}.`,
        );
      if (f.maxLength !== undefined && length > f.maxLength)
        addError(
          errors,
          path,
          `Use at most ${f.maxLength} character${f.maxLength === 1 ? "" : "s"}.`,
        );
      const re = f.pattern ? regexOf(f.pattern) : null;
      if (re && !re.test(text)) {
        const example = f.examples.find((e) => typeof e === "string" && re.test(e));
        addError(
          errors,
          path,
          `Does not match the pattern ${f.pattern}${example ? ` (e.g. ${example as string})` : ""}.`,
        );
      }
      return { value: text };
    }
    case "number":
    case "integer": {
      const text = typeof draft === "string" ? draft : "";
      if (text.trim() === "") return unset();
      return { value: readNumber(f, text, path, errors) };
    }
    case "boolean":
      if (draft === "true") return { value: true };
      if (draft === "false") return { value: false };
      return unset();
    case "enum": {
      const i = typeof draft === "string" && draft !== "" ? Number(draft) : NaN;
      if (!Number.isInteger(i) || i < 0 || i >= f.options.length) return unset();
      return { value: f.options[i] };
    }
    case "json": {
      const text = typeof draft === "string" ? draft : "";
      if (text.trim() === "") return unset();
      if (text.length > MAX_TEXT) {
        addError(errors, path, `Use at most ${MAX_TEXT} characters.`);
        return { value: text };
      }
      try {
        return { value: JSON.parse(text) };
      } catch (e) {
        // Kept as text, as for numbers: never lost on the way to JSON mode.
        addError(errors, path, `Not valid JSON: ${(e as Error).message}`);
        return { value: text };
      }
    }
    case "array": {
      const items = Array.isArray(draft) ? draft : [];
      if (items.length === 0 && !f.required) return { value: undefined };
      const values = items.map((d, i) => readField(f.item, d, pathOf(path, i), errors).value);
      if (f.minItems !== undefined && items.length < f.minItems)
        addError(errors, path, `Add at least ${f.minItems} item${f.minItems === 1 ? "" : "s"}.`);
      if (f.maxItems !== undefined && items.length > f.maxItems)
        addError(errors, path, `Use at most ${f.maxItems} item${f.maxItems === 1 ? "" : "s"}.`);
      if (f.uniqueItems) {
        const seen = new Set(values.map((v) => JSON.stringify(v)));
        if (seen.size < values.length) addError(errors, path, "Items must differ.");
      }
      return { value: values };
    }
    case "object": {
      const record = isDraftRecord(draft) ? draft : {};
      const value: Record<string, unknown> = {};
      const inner: FieldErrors = {};
      for (const c of f.fields) {
        const r = readField(c, record[c.name], pathOf(path, c.name), inner);
        if (r.value !== undefined) value[c.name] = r.value;
      }
      // An optional object with nothing set is left out, and its inner "Required." with it.
      if (Object.keys(value).length === 0 && !f.required) {
        for (const [k, v] of Object.entries(inner)) {
          const kept = v.filter((m) => m !== "Required.");
          if (kept.length) errors[k] = kept;
        }
        return { value: undefined };
      }
      Object.assign(errors, inner);
      return { value };
    }
  }
}

/**
 * The run's inputs from the form: the set fields' values (unset ones left out), and the error
 * messages by field path; `ok` when there are none. A field whose text is not a valid value
 * (`"12abc"` for a number, broken JSON) keeps that text as a string in `value`, so switching
 * to JSON mode never drops what was typed.
 */
export function readDrafts(
  fields: Field[],
  drafts: Drafts,
): { ok: boolean; value: Record<string, unknown>; errors: FieldErrors } {
  const errors: FieldErrors = {};
  const value: Record<string, unknown> = {};
  for (const f of fields) {
    const r = readField(f, drafts[f.name], f.name, errors);
    if (r.value !== undefined) value[f.name] = r.value;
  }
  return { ok: Object.keys(errors).length === 0, value, errors };
}

/** Sets the draft at `path` (`["lines", 0, "qty"]`) in a copy of `drafts`. */
export function setDraftAt(drafts: Drafts, path: Array<string | number>, next: Draft): Drafts {
  const put = (node: Draft | undefined, i: number): Draft => {
    if (i === path.length) return next;
    const key = path[i]!;
    if (typeof key === "number") {
      const list = Array.isArray(node) ? [...node] : [];
      list[key] = put(list[key], i + 1);
      return list;
    }
    const record = isDraftRecord(node) ? { ...node } : {};
    record[key] = put(record[key], i + 1);
    return record;
  };
  return put(drafts, 0) as Drafts;
}

/** The draft at `path`, or undefined. */
export function draftAt(drafts: Drafts, path: Array<string | number>): Draft | undefined {
  let node: Draft | undefined = drafts;
  for (const key of path) {
    if (node === undefined) return undefined;
    node =
      typeof key === "number"
        ? Array.isArray(node)
          ? node[key]
          : undefined
        : isDraftRecord(node)
          ? node[key]
          : undefined;
  }
  return node;
}

/**
 * The drafts with every unset field that has an example filled in with its first example (a
 * field with a default keeps it; a set field is left as typed). `filled` names the fields
 * filled. An example the form cannot show (not of the field's type) is skipped.
 */
export function fillExamples(
  fields: Field[],
  drafts: Drafts,
): { drafts: Drafts; filled: string[] } {
  const filled: string[] = [];
  let next = drafts;
  for (const f of fields) {
    if (!f.examples.length || !isUnset(drafts[f.name])) continue;
    const back = draftsFromValue([f], { [f.name]: f.examples[0] });
    if (!back.ok) continue;
    next = { ...next, [f.name]: back.drafts[f.name]! };
    filled.push(f.name);
  }
  return { drafts: next, filled };
}

/** A draft holding nothing: `""`, an empty list, or a record of unset drafts. */
function isUnset(d: Draft | undefined): boolean {
  if (d === undefined || d === "") return true;
  if (Array.isArray(d)) return d.length === 0;
  if (typeof d === "object") return Object.values(d).every(isUnset);
  return false;
}
