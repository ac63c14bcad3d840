/**
 * Scripted models (issue 16, item 3): the inputs of the use cases and the shape of a script.
 * A script answers a sandbox session's model calls, in this order:
 *
 * 1. a **recorded answer** whose prompt hash (SHA-256 of the messages' roles and texts) and model
 *    match the call: the Nth identical call of a run gets repetition N; past the last
 *    repetition the last one repeats;
 * 2. the first **rule** whose pattern (RE2 syntax, linear time) or literal substring occurs in
 *    the prompt (every message's text, joined by newlines);
 * 3. the **fallback**: `demo` (the demo model's own answer) or `error` (a 422 naming the script,
 *    which fails the agent step without a retry of the same answer).
 *
 * Bounded: at most {@link MAX_SCRIPT_RULES} rules and {@link MAX_RECORDED_MODEL_ANSWERS} recorded
 * answers, patterns of {@link MAX_PATTERN_CHARS} characters, answers of
 * {@link MAX_SCRIPT_ANSWER_CHARS} characters and {@link MAX_SCRIPT_BYTES} in all.
 */
import { RE2JS } from "@bufbuild/re2";
import { z } from "zod";

export const MAX_SCRIPT_RULES = 100;
export const MAX_RECORDED_MODEL_ANSWERS = 500;
export const MAX_PATTERN_CHARS = 500;
/** An answer's characters (a recorded answer is capped at 256 KB when recorded). */
export const MAX_SCRIPT_ANSWER_CHARS = 256 * 1024;
/** A whole script's JSON (rules and recorded answers), at most. */
export const MAX_SCRIPT_BYTES = 4 * 1024 * 1024;
/** Scripted models a workspace may hold. */
export const MAX_SCRIPTS_PER_WORKSPACE = 200;
/** Repetitions of one prompt a script may record. */
export const MAX_REPETITION = 1000;

/** Whether `pattern` compiles as RE2 (never throws). */
export function re2Error(pattern: string): string | null {
  try {
    RE2JS.compile(pattern);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}

export const ZScriptRule = z
  .object({
    /** `contains`: a literal substring; `pattern`: an RE2 regular expression. */
    kind: z.enum(["contains", "pattern"], { error: "A rule matches by contains or pattern." }),
    value: z
      .string()
      .min(1, "A rule needs the text or pattern it matches.")
      .max(MAX_PATTERN_CHARS, `Use at most ${MAX_PATTERN_CHARS} characters.`),
    /** The model's answer (the message content; JSON text for agent steps). */
    answer: z
      .string()
      .max(MAX_SCRIPT_ANSWER_CHARS, `An answer has at most ${MAX_SCRIPT_ANSWER_CHARS} characters.`),
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.kind !== "pattern") return;
    const err = re2Error(r.value);
    if (err)
      ctx.addIssue({ code: "custom", path: ["value"], message: `Not an RE2 pattern: ${err}` });
  });
export type ScriptRule = z.infer<typeof ZScriptRule>;

export const ZRecordedModelAnswer = z
  .object({
    promptHash: z.string().regex(/^sha256:[0-9a-f]{64}$/, "Not a prompt hash (sha256:<64 hex>)."),
    /** The model that answered when it was recorded (the provider's model id). */
    model: z.string().min(1).max(200),
    /** 1 for the first identical call of a run, 2 for the second, … */
    repetition: z.number().int().min(1).max(MAX_REPETITION),
    content: z.string().max(MAX_SCRIPT_ANSWER_CHARS),
    /** Where it came from (`run:<id>/<step>#<attempt>`), for the UI. */
    source: z.string().max(300).optional(),
  })
  .strict();
export type RecordedModelAnswer = z.infer<typeof ZRecordedModelAnswer>;

export const ZScriptFallback = z.enum(["demo", "error"], {
  error: "The fallback is demo (the demo model's answer) or error (a 422).",
});
export type ScriptFallback = z.infer<typeof ZScriptFallback>;

const ZRules = z
  .array(ZScriptRule)
  .max(MAX_SCRIPT_RULES, `A script has at most ${MAX_SCRIPT_RULES} rules.`);
const ZRecordedList = z
  .array(ZRecordedModelAnswer)
  .max(MAX_RECORDED_MODEL_ANSWERS, `A script keeps at most ${MAX_RECORDED_MODEL_ANSWERS} answers.`);

const ZName = z
  .string()
  .trim()
  .min(1, "Name the scripted model.")
  .max(100, "Use at most 100 characters.");

/** What a script serves from (what the model server reads). */
export interface ScriptContent {
  rules: ScriptRule[];
  recorded: RecordedModelAnswer[];
  fallback: ScriptFallback;
}

export const ZCreateScriptInput = z.object({
  name: ZName,
  rules: ZRules.default([]),
  recorded: ZRecordedList.default([]),
  fallback: ZScriptFallback.default("demo"),
});
export type CreateScriptInput = z.input<typeof ZCreateScriptInput>;

export const ZScriptId = z.object({ id: z.uuid("Not a scripted model id.") });

export const ZUpdateScriptInput = z.object({
  id: z.uuid("Not a scripted model id."),
  name: ZName.optional(),
  rules: ZRules.optional(),
  recorded: ZRecordedList.optional(),
  fallback: ZScriptFallback.optional(),
});

export const ZAttachScriptInput = z.object({
  sessionId: z.uuid("Not a session id."),
  /** null detaches the session's script (its agent steps get the demo model again). */
  scriptedModelId: z.uuid("Not a scripted model id.").nullable(),
});

export const ZRecordFromRunInput = z.object({
  id: z.uuid("Not a scripted model id."),
  runId: z.uuid("Not a run id."),
});

/** Parses stored JSON leniently (a row written by an older version never breaks a read). */
export function scriptContentOf(row: {
  rules: unknown;
  recorded: unknown;
  fallback: string;
}): ScriptContent {
  const rules = ZRules.safeParse(row.rules);
  const recorded = ZRecordedList.safeParse(row.recorded);
  const fallback = ZScriptFallback.safeParse(row.fallback);
  return {
    rules: rules.success ? rules.data : [],
    recorded: recorded.success ? recorded.data : [],
    fallback: fallback.success ? fallback.data : "demo",
  };
}
