/**
 * The rule "stricter input schema" (issue 18, item 3), pure: a failing input the flow accepted
 * but a step could not handle (the step refused it as malformed, or an expression could not use
 * it). When the failing step reads `inputs.<name>` and a constraint separates the values of the
 * recorded failing runs from those of the recent successful runs — every failing value breaks it,
 * every successful one keeps it — the flow's input schema gets that constraint (the
 * `set-flow-input` edit: only that input's schema is re-rendered). A run with such an input is
 * then refused when it starts, with a message naming the input, instead of failing at the step;
 * the proof counts a recorded failing input refused at the door as fixed (`proof-evaluate.ts`).
 */
import type { FlowEdit, FlowIR } from "@/dsl";

/** Input values of the group's failing runs and of the flow's recent successful runs. */
export interface InputSamples {
  failing: readonly Record<string, unknown>[];
  succeeded: readonly Record<string, unknown>[];
}

interface Constraint {
  /** The JSON Schema type the constraint belongs to. */
  type: "string" | "number";
  key: string;
  value: unknown;
  words: string;
  holds(v: unknown): boolean;
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const TRIMMED = "^\\S(?:[\\s\\S]*\\S)?$";

/** Candidate constraints, most specific first. */
const CONSTRAINTS: readonly Constraint[] = [
  {
    type: "string",
    key: "format",
    value: "email",
    words: "an email address",
    holds: (v) => typeof v === "string" && EMAIL.test(v),
  },
  {
    type: "string",
    key: "minLength",
    value: 1,
    words: "not empty",
    holds: (v) => typeof v === "string" && v.length >= 1,
  },
  {
    type: "string",
    key: "pattern",
    value: TRIMMED,
    words: "without leading or trailing spaces",
    holds: (v) => typeof v === "string" && new RegExp(TRIMMED).test(v),
  },
  {
    type: "number",
    key: "exclusiveMinimum",
    value: 0,
    words: "greater than 0",
    holds: (v) => typeof v === "number" && v > 0,
  },
  {
    type: "number",
    key: "minimum",
    value: 0,
    words: "0 or more",
    holds: (v) => typeof v === "number" && v >= 0,
  },
  {
    type: "number",
    key: "multipleOf",
    value: 1,
    words: "a whole number",
    holds: (v) => typeof v === "number" && Number.isInteger(v),
  },
];

/** Samples read at most on each side. */
const MAX_SAMPLES = 50;
const INPUT_REF =
  /\binputs\.([A-Za-z_][A-Za-z0-9_]*)|\binputs\[\s*\\?['"]([A-Za-z_][A-Za-z0-9_]*)\\?['"]\s*\]/g;

/**
 * The flow inputs a step's `with` reads (in source order, deduplicated): in its expressions and
 * in the literal strings blocks evaluate themselves (`data.transform`'s fields).
 */
export function inputsReadBy(ir: FlowIR, stepId: string): string[] {
  const step = ir.steps.find((s) => s.id === stepId);
  if (!step) return [];
  const text = JSON.stringify(step.inputs).slice(0, 200_000);
  return [...new Set([...text.matchAll(INPUT_REF)].map((m) => (m[1] ?? m[2])!))];
}

/** A stricter schema for the inputs the step reads, with its rationale; undefined: no evidence. */
export function stricterInputs(
  ir: FlowIR,
  stepId: string,
  samples: InputSamples,
): { edits: FlowEdit[]; said: string[] } | undefined {
  const failing = samples.failing.slice(0, MAX_SAMPLES);
  const succeeded = samples.succeeded.slice(0, MAX_SAMPLES);
  if (!failing.length) return undefined;
  const props = (ir.inputsSchema as { properties?: Record<string, Record<string, unknown>> })
    .properties;
  const edits: FlowEdit[] = [];
  const said: string[] = [];
  for (const name of inputsReadBy(ir, stepId)) {
    const schema = props?.[name];
    if (!schema) continue;
    const declared = schema.type;
    const bad = failing.map((i) => i[name]);
    const good = succeeded.map((i) => i[name]).filter((v) => v !== undefined);
    const pick = CONSTRAINTS.find(
      (c) =>
        (declared === undefined ||
          declared === c.type ||
          (c.type === "number" && declared === "integer")) &&
        schema[c.key] === undefined &&
        bad.every((v) => v !== undefined && !c.holds(v)) &&
        good.every((v) => c.holds(v)) &&
        // The constraint must be about the values' kind (a string rule for strings, …).
        [...bad, ...good].every((v) => typeof v === c.type),
    );
    if (!pick) continue;
    edits.push({ type: "set-flow-input", name, path: [pick.key], value: pick.value });
    said.push(
      `\`${name}\` must be ${pick.words} (${pick.key}: ${JSON.stringify(pick.value)}): all ${bad.length} recorded failing value(s) break this${good.length ? `, all ${good.length} value(s) of recent successful runs keep it` : ""}`,
    );
  }
  return edits.length ? { edits, said } : undefined;
}
