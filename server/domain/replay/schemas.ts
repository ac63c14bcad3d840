/**
 * Zod inputs of the replay use cases (`replays.ts`), reused by the REST API later. An input
 * patch is RFC 6902 (JSON Patch) over the run's inputs, bounded in operations and size.
 */
import { z } from "zod";

const MAX_PATCH_OPS = 100;
const MAX_PATCH_BYTES = 64 * 1024;

/** An RFC 6902 JSON Pointer (`""` or `/a/b~1c`). */
const ZPointer = z
  .string()
  .min(1, "Name a member, e.g. /customer/email (the inputs as a whole cannot be replaced).")
  .max(1000, "Use a JSON Pointer of at most 1000 characters.")
  .regex(/^(\/([^~]|~[01])*)*$/, "Use a JSON Pointer such as /customer/email.")
  // The patch is applied to a plain object: these tokens would reach its prototype.
  .refine((p) => !/\/(__proto__|constructor|prototype)(\/|$)/.test(p), {
    message: "A JSON Pointer may not name __proto__, constructor or prototype.",
  });

/** One RFC 6902 operation. */
export const ZPatchOperation = z.discriminatedUnion("op", [
  z.object({ op: z.literal("add"), path: ZPointer, value: z.unknown() }).strict(),
  z.object({ op: z.literal("remove"), path: ZPointer }).strict(),
  z.object({ op: z.literal("replace"), path: ZPointer, value: z.unknown() }).strict(),
  z.object({ op: z.literal("move"), from: ZPointer, path: ZPointer }).strict(),
  z.object({ op: z.literal("copy"), from: ZPointer, path: ZPointer }).strict(),
  z.object({ op: z.literal("test"), path: ZPointer, value: z.unknown() }).strict(),
]);
export type PatchOperation = z.infer<typeof ZPatchOperation>;

/** Edited inputs: RFC 6902 operations applied to the run's inputs, in order. */
export const ZInputsPatch = z
  .array(ZPatchOperation)
  .max(MAX_PATCH_OPS, `Use at most ${MAX_PATCH_OPS} patch operations.`)
  .superRefine((ops, ctx) => {
    ops.forEach((o, i) => {
      // `value: undefined` is not JSON: add, replace and test need a value.
      if ((o.op === "add" || o.op === "replace" || o.op === "test") && o.value === undefined)
        ctx.addIssue({ code: "custom", message: `Give operation ${i + 1} a value.`, path: [i] });
    });
    if (JSON.stringify(ops).length > MAX_PATCH_BYTES)
      ctx.addIssue({
        code: "custom",
        message: `Keep the patch under ${MAX_PATCH_BYTES / 1024} KiB.`,
      });
  });

const ZStepId = z.string().trim().min(1, "Name the step.").max(200, "Use at most 200 characters.");

export const ZReplayMode = z.enum(["resume", "from-step", "full"]);

/** What a replay is asked for (preview and request take the same). */
export const ZReplayInput = z
  .object({
    runId: z.uuid("Not a run id."),
    mode: ZReplayMode,
    /** `from-step`: the step to restart from (it and everything downstream re-executed). */
    fromStep: ZStepId.optional(),
    /** `run` (the run's own version, default), `latest`, or a saved SemVer version. */
    version: z.string().trim().min(1).max(64, "Use at most 64 characters.").default("run"),
    inputsPatch: ZInputsPatch.default([]),
    /**
     * Completed write steps to do again (explicitly: the plan flags them and the approval covers
     * them). Without it a completed write is never redone.
     */
    redo: z.array(ZStepId).max(200).default([]),
  })
  .refine((i) => (i.mode === "from-step") === (i.fromStep !== undefined), {
    message: "Name the step to restart from (fromStep) with mode from-step, and only then.",
    path: ["fromStep"],
  });
export type ReplayInput = z.infer<typeof ZReplayInput>;
