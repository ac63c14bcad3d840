/**
 * Evaluation suites (issue 16, item 8): the inputs of the use cases and the assertions a suite
 * checks on every row's output. Every bound is named here; a bound that trips is a clear
 * INVALID_INPUT, never a stall.
 */
import { z } from "zod";
import { AGENT_BLOCK_IDS } from "./evals-blocks";

/** Assertions a suite may hold. */
export const MAX_ASSERTIONS = 20;
/** Repetitions per row: at least 3 (pass^n and flakiness need them), at most 10. */
export const MIN_REPETITIONS = 3;
export const MAX_REPETITIONS = 10;
/** Rows × repetitions one eval run may execute. */
export const MAX_EVAL_SAMPLES = 2_000;
/** Characters of a rubric. */
export const MAX_RUBRIC_CHARS = 2_000;
/** Characters of an expected value, a JSON Schema or a block's fixed inputs, as JSON. */
export const MAX_ASSERTION_JSON_CHARS = 32 * 1024;
/** Segments of an output path (`data.items.0.id`). */
export const MAX_PATH_SEGMENTS = 20;
/** Runs of one eval run executing at once. */
export const EVAL_CONCURRENCY = 3;
/** Eval runs a workspace may have running at once. */
export const MAX_ACTIVE_EVAL_RUNS = 3;

const jsonSize = (v: unknown): number => {
  try {
    return JSON.stringify(v ?? null).length;
  } catch {
    return Infinity;
  }
};

const bounded = <T extends z.ZodType>(schema: T, what: string) =>
  schema.refine((v) => jsonSize(v) <= MAX_ASSERTION_JSON_CHARS, {
    message: `${what} is at most ${MAX_ASSERTION_JSON_CHARS / 1024} KB as JSON.`,
  });

/** Where in the output a check looks: dot-separated keys, numbers index arrays; "" the whole. */
export const ZOutputPath = z
  .string()
  .trim()
  .max(300, "Use at most 300 characters.")
  .refine((p) => p === "" || p.split(".").length <= MAX_PATH_SEGMENTS, {
    message: `A path has at most ${MAX_PATH_SEGMENTS} segments.`,
  })
  .refine((p) => p === "" || p.split(".").every((s) => s.length > 0), {
    message: "A path is keys separated by single dots, e.g. data.amount or labels.0.",
  })
  .default("");

const ZColumn = z.string().trim().min(1, "Name the column.").max(200);

/** The value a check expects: a literal, or the value of one of the row's columns. */
export const ZExpected = z.union([
  z.object({ column: ZColumn }).strict(),
  z
    .object({ value: bounded(z.unknown(), "An expected value") })
    .strict()
    .refine((o) => "value" in o && o.value !== undefined, { message: "Give the expected value." }),
]);
export type Expected = z.infer<typeof ZExpected>;

export const ZAssertion = z.discriminatedUnion("kind", [
  /** Equal as JSON (a string expected from a CSV column also matches the number or boolean it spells). */
  z.object({ kind: z.literal("exact"), path: ZOutputPath, expected: ZExpected }).strict(),
  /** The string contains the expected text, or the array holds the expected element. */
  z
    .object({
      kind: z.literal("contains"),
      path: ZOutputPath,
      expected: ZExpected,
      ignoreCase: z.boolean().default(false),
    })
    .strict(),
  /** Valid against a JSON Schema (draft 2020-12). */
  z
    .object({
      kind: z.literal("json_schema"),
      path: ZOutputPath,
      schema: bounded(z.union([z.boolean(), z.record(z.string(), z.unknown())]), "A JSON Schema"),
    })
    .strict(),
  /** A number within `tolerance` of the expected one (absolute, or a fraction of it when `relative`). */
  z
    .object({
      kind: z.literal("numeric"),
      path: ZOutputPath,
      expected: ZExpected,
      tolerance: z.number().min(0, "The tolerance is 0 or more.").max(1e12),
      relative: z.boolean().default(false),
    })
    .strict(),
  /**
   * Model-graded: a grading run asks the session's model (through the model router; the demo
   * model in a sandbox) whether the output meets the rubric: `pass` or `fail`.
   */
  z
    .object({
      kind: z.literal("rubric"),
      path: ZOutputPath,
      rubric: z
        .string()
        .trim()
        .min(1, "Write the rubric.")
        .max(MAX_RUBRIC_CHARS, `A rubric is at most ${MAX_RUBRIC_CHARS} characters.`),
    })
    .strict(),
]);
export type Assertion = z.infer<typeof ZAssertion>;
export type AssertionInput = z.input<typeof ZAssertion>;

/** What a suite runs: a workflow (its versions are the variants), or one agent block. */
export const ZEvalTarget = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("flow"), workflowId: z.uuid("Not a workflow id.") }).strict(),
  z
    .object({
      kind: z.literal("block"),
      block: z.enum(AGENT_BLOCK_IDS, { message: "Pick an agent block." }),
      /** Inputs every row gets (e.g. classify's `labels`); the row's mapped columns win. */
      with: bounded(z.record(z.string().max(200), z.unknown()), "The block's fixed inputs").default(
        {},
      ),
    })
    .strict(),
]);
export type EvalTarget = z.infer<typeof ZEvalTarget>;

/** Target input -> row column; omitted: the whole row is the inputs. */
export const ZInputMap = z
  .record(z.string().trim().min(1).max(200), ZColumn)
  .refine((m) => Object.keys(m).length <= 200, { message: "Map at most 200 inputs." });

export const ZCreateSuiteInput = z.object({
  name: z.string().trim().min(1, "Name the suite.").max(100, "Use at most 100 characters."),
  description: z.string().trim().max(2000).default(""),
  datasetVersionId: z.uuid("Not a dataset version id."),
  target: ZEvalTarget,
  inputMap: ZInputMap.optional(),
  assertions: z
    .array(ZAssertion)
    .min(1, "Add at least one assertion.")
    .max(MAX_ASSERTIONS, `At most ${MAX_ASSERTIONS} assertions per suite.`),
  repetitions: z
    .number()
    .int()
    .min(MIN_REPETITIONS, `Run each row at least ${MIN_REPETITIONS} times.`)
    .max(MAX_REPETITIONS, `Run each row at most ${MAX_REPETITIONS} times.`)
    .default(MIN_REPETITIONS),
  /** Let this suite's latest results steer the model router for its block (block suites only). */
  steersRouter: z.boolean().default(false),
});
export type CreateSuiteInput = z.input<typeof ZCreateSuiteInput>;

/**
 * One side of a comparison: a model route for a block suite (a configured model's name or a
 * task type, as a step's `model.route`), a saved version or the draft for a flow suite.
 */
export const ZEvalVariant = z
  .object({
    route: z.string().trim().min(1).max(200).optional(),
    version: z.string().trim().min(1).max(64).optional(),
    draft: z.boolean().optional(),
  })
  .strict()
  .refine((v) => !(v.version && v.draft), {
    message: "Run either a saved version or the draft, not both.",
    path: ["version"],
  });
export type EvalVariant = z.infer<typeof ZEvalVariant>;

export const ZStartEvalRunInput = z.object({
  suiteId: z.uuid("Not a suite id."),
  sessionId: z.uuid("Not a sandbox session id."),
  variant: ZEvalVariant.default({}),
});
export type StartEvalRunInput = z.input<typeof ZStartEvalRunInput>;

export const ZSuiteId = z.object({ id: z.uuid("Not a suite id.") });
export const ZEvalRunId = z.object({ id: z.uuid("Not an eval run id.") });
export const ZListSuitesInput = z
  .object({ includeArchived: z.boolean().default(false) })
  .default({ includeArchived: false });
export const ZCompareInput = z
  .object({ a: z.uuid("Not an eval run id."), b: z.uuid("Not an eval run id.") })
  .refine((i) => i.a !== i.b, { message: "Compare two different runs.", path: ["b"] });
