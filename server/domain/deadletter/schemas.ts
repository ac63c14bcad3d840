/**
 * Zod inputs of the dead-letter use cases (`dead-letters.ts`): tRPC `deadLetter.*` and the REST
 * API's `GET /api/v1/dead-letters` and `POST /api/v1/dead-letters/reprocess` parse the same.
 * Every list and every job is bounded: a filter selects at most {@link MAX_JOB_ITEMS} dead
 * letters, a page at most 100.
 */
import { z } from "zod";
import { DEAD_LETTER_STATUSES, REPROCESS_JOB_STATES } from "@/lib/enums";

/** The most dead letters one reprocess job (or one discard) takes. */
export const MAX_JOB_ITEMS = 1000;
/** The most items a canary may hold. */
export const MAX_CANARY = 50;
/** Bounds of a job's start rate (replay runs started per minute). */
export const MAX_RATE_PER_MINUTE = 600;
export const DEFAULT_RATE_PER_MINUTE = 60;

const ZText = (what: string, max = 200) =>
  z.string().trim().min(1, `Name the ${what}.`).max(max, `Use at most ${max} characters.`);

const ZTime = z.iso.datetime({
  offset: true,
  message: "Use an ISO 8601 time, e.g. 2026-12-05T10:00:00Z.",
});

const ZConnector = ZText("connector", 100).regex(
  /^[a-z0-9_-]+$/i,
  "Name a connector such as crm (letters, digits, _ and -).",
);

const filterShape = {
  /** The flow (workflow id) of the dead-lettered run. */
  workflowId: z.uuid("Not a workflow id.").optional(),
  /** The block of the dead-lettered step, e.g. `crm.deal.update`. */
  block: ZText("block").optional(),
  /** The error's class (its name), e.g. `TimeoutError`. */
  errorClass: ZText("error class").optional(),
  /** The connector: a block id's first segment, e.g. `crm` for `crm.deal.update`. */
  connector: ZConnector.optional(),
  /** Dead-lettered at or after this time. */
  from: ZTime.optional(),
  /** Dead-lettered before this time. */
  to: ZTime.optional(),
};

const fromBeforeTo = (f: { from?: string; to?: string }) =>
  !f.from || !f.to || Date.parse(f.from) < Date.parse(f.to);
const fromBeforeToError = { message: "Choose a start (from) before the end (to).", path: ["to"] };

/** Which dead letters: every field narrows the selection (all of them must match). */
export const ZDeadLetterFilter = z
  .object(filterShape)
  .strict()
  .refine(fromBeforeTo, fromBeforeToError);
export type DeadLetterFilter = z.infer<typeof ZDeadLetterFilter>;

export const ZDeadLetterStatus = z.enum(DEAD_LETTER_STATUSES);

export const ZListDeadLettersInput = z
  .object({
    ...filterShape,
    /** One status; every status when absent. */
    status: ZDeadLetterStatus.optional(),
    limit: z.number().int().min(1).max(100).default(50),
    /** The `nextCursor` of the previous page. */
    cursor: z.uuid("Not a dead letter id.").optional(),
  })
  .refine(fromBeforeTo, fromBeforeToError)
  .default({ limit: 50 });
export type ListDeadLettersInput = z.infer<typeof ZListDeadLettersInput>;

export const ZDeadLetterId = z.object({ id: z.uuid("Not a dead letter id.") });

const ZIds = z
  .array(z.uuid("Not a dead letter id."))
  .min(1, "Select at least one dead letter.")
  .max(MAX_JOB_ITEMS, `Select at most ${MAX_JOB_ITEMS} dead letters.`)
  .refine((ids) => new Set(ids).size === ids.length, { message: "A dead letter is listed twice." });

/**
 * A reprocess request: the dead letters (`ids`, or every open one matching `filter`, exactly
 * one of the two), the canary (how many go first, alone: the rest start only once they all
 * succeeded), the start rate and whether the first failure stops the job.
 */
export const ZReprocessInput = z
  .object({
    ids: ZIds.optional(),
    filter: ZDeadLetterFilter.optional(),
    canary: z
      .number()
      .int("Use a whole number.")
      .min(0, "Use 0 (no canary) or more.")
      .max(MAX_CANARY, `Use a canary of at most ${MAX_CANARY}.`)
      .default(1),
    ratePerMinute: z
      .number()
      .int("Use a whole number.")
      .min(1, "Start at least one per minute.")
      .max(MAX_RATE_PER_MINUTE, `Start at most ${MAX_RATE_PER_MINUTE} per minute.`)
      .default(DEFAULT_RATE_PER_MINUTE),
    stopOnFailure: z.boolean().default(true),
    /**
     * The flow version each run resumes on: `run` (its own, the default), `latest` or a saved
     * SemVer (a guardian release reprocesses on the fixed version).
     */
    version: z
      .string()
      .trim()
      .min(1, "Name a version: run, latest or a SemVer.")
      .max(64, "Use at most 64 characters.")
      .optional(),
  })
  .refine((i) => (i.ids === undefined) !== (i.filter === undefined), {
    message: "Give either the dead letters' ids or a filter, not both.",
    path: ["ids"],
  });
export type ReprocessInput = z.infer<typeof ZReprocessInput>;

export const ZDiscardInput = z.object({
  ids: ZIds,
  reason: z
    .string()
    .trim()
    .min(3, "Say why they are discarded (at least 3 characters).")
    .max(2000, "Use at most 2000 characters."),
});
export type DiscardInput = z.infer<typeof ZDiscardInput>;

export const ZReprocessJobId = z.object({ id: z.uuid("Not a reprocess job id.") });

export const ZListReprocessJobsInput = z
  .object({
    state: z.enum(REPROCESS_JOB_STATES).optional(),
    limit: z.number().int().min(1).max(100).default(20),
    cursor: z.uuid("Not a reprocess job id.").optional(),
  })
  .default({ limit: 20 });
export type ListReprocessJobsInput = z.infer<typeof ZListReprocessJobsInput>;
