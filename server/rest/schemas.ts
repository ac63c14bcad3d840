/**
 * The REST API's own request shapes and its response schemas. Request fields are the domain's
 * zod schemas (`server/domain/**\/schemas.ts`), taken field by field where the REST shape differs
 * (an `{id}` in the path instead of `runId` in the body, `version` as `draft`, `latest` or a
 * SemVer); the handlers then parse the mapped input with the domain's whole schema, so every
 * refinement applies as it does for tRPC. Response schemas document what the use cases return
 * (the int tests parse every answer with them).
 */
import { z } from "zod";
import {
  APPROVAL_KINDS,
  APPROVAL_STATUSES,
  DECISIONS,
  RUN_OUTCOMES,
  RUN_STATUSES,
  DEAD_LETTER_STATUSES,
  REPROCESS_ITEM_STATES,
  REPROCESS_JOB_STATES,
} from "@/lib/enums";
import type { ApprovalView } from "@/server/domain/approval/approvals";
import type { DeadLetterView, ReprocessJobView } from "@/server/domain/deadletter/dead-letters";
import { ZBreakGlassInput, ZDecideApprovalInput } from "@/server/domain/approval/schemas";
import { ZReplayInput } from "@/server/domain/replay/schemas";
import { ZStartRunInput } from "@/server/domain/run/schemas";
import { ZCreateVersionInput } from "@/server/domain/workflow/schemas";

// ---------------------------------------------------------------------------------------------
// Path parameters

export const ZUuidPath = (what: string) =>
  z.object({ id: z.uuid(`Not ${what} id.`).describe(`The ${what.replace(/^an? /, "")}'s id.`) });

/** A workflow by id or by slug (its name in lower case, dashes for the rest: `invoice-sync`). */
export const ZWorkflowRef = z.object({
  id: z
    .string()
    .trim()
    .min(1, "Name the workflow.")
    .max(200, "Use at most 200 characters.")
    .describe("The workflow's id (uuid) or its slug (its name in lower case, e.g. invoice-sync)."),
});

// ---------------------------------------------------------------------------------------------
// Query: lists

/** Lists without a domain paging input (workflows): `limit` and `cursor` of the REST API. */
export const ZPageQuery = z.object({
  limit: z.number().int().min(1).max(100).default(50),
  cursor: z.uuid("Not a cursor of this list.").optional(),
});

// ---------------------------------------------------------------------------------------------
// Bodies

/** The SemVer of a saved version, as versions are published. */
const ZSemVer = ZCreateVersionInput.shape.version;

/** Which version a run starts: `draft`, `latest` or a SemVer. */
export const ZVersionSelector = z
  .string()
  .trim()
  .refine((v) => v === "draft" || v === "latest" || ZSemVer.safeParse(v).success, {
    message: "Use draft, latest or a SemVer version such as 1.4.0.",
  })
  .meta({
    description: "`draft`, `latest` or a saved version's SemVer (e.g. 1.4.0).",
    examples: ["latest", "draft", "1.4.0"],
  });

export const ZStartRunBody = z.object({
  inputs: ZStartRunInput.shape.inputs.describe("The flow's inputs, checked against its schema."),
  version: ZVersionSelector.optional().describe(
    "`draft`, `latest` or a SemVer. Omitted: the latest saved version, else the draft.",
  ),
});

const replay = ZReplayInput.shape;
export const ZReplayBody = z.object({
  mode: replay.mode.describe(
    "`resume` from the failed step, restart `from-step` fromStep, or rerun in `full`.",
  ),
  fromStep: replay.fromStep.describe(
    "With mode from-step (and only then): the step to restart from.",
  ),
  version: z
    .string()
    .trim()
    .refine((v) => v === "latest" || ZSemVer.safeParse(v).success, {
      message:
        "Use latest or a SemVer version such as 1.4.0 (omit it for the run's own version; drafts are not replayed).",
    })
    .optional()
    .describe(
      "Omitted: the run's own version; `latest` or a saved SemVer. Drafts are not replayed.",
    ),
  inputsPatch: replay.inputsPatch.describe(
    "Edited inputs: an RFC 6902 JSON Patch over the run's inputs.",
  ),
  redo: replay.redo.describe(
    "Completed write steps to do again, explicitly (the plan flags them; the approval covers them).",
  ),
});

const decide = ZDecideApprovalInput.shape;
export const ZDecisionBody = z.object({
  decision: decide.decision.describe(
    "`approve` or `reject` a step, replay or reprocess job; `submit` a form's values.",
  ),
  comment: decide.comment.describe("Required to reject: say why."),
  planHash: decide.planHash.describe(
    "Required for a replay or reprocess approval: the hash of the plan you reviewed.",
  ),
  values: decide.values.describe(
    "With submit: the form's values, checked against its JSON Schema.",
  ),
  breakGlass: z
    .boolean()
    .optional()
    .describe(
      "An admin's break-glass decision: final at once, flagged in the ledger, never on one's own request. Needs `reason`.",
    ),
  reason: ZBreakGlassInput.shape.reason
    .optional()
    .describe("With breakGlass: why (at least 10 characters)."),
});

// ---------------------------------------------------------------------------------------------
// Responses

const ZIsoTime = z.string().describe("ISO 8601 time.");
const ZEpochMs = z.number().describe("Epoch milliseconds.");
const ZLoose = z.record(z.string(), z.unknown());

/** `{ items, nextCursor }` of a list. */
export const page = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    nextCursor: z
      .string()
      .nullable()
      .describe("Pass it as `cursor` for the next page; null on the last page."),
  });

export const ZWorkflowSummary = z
  .looseObject({
    id: z.uuid(),
    slug: z.string().describe("Addresses the workflow in paths, like its id."),
    name: z.string(),
    description: z.string(),
    state: z.enum(["draft", "published", "changed"]),
    latestVersion: z
      .object({ version: z.string(), createdAt: ZIsoTime })
      .nullable()
      .describe("The latest saved version, or null for a draft-only workflow."),
    versions: z.number().int().describe("How many versions were saved."),
    trigger: z.unknown().describe("The trigger of its current flow, or null."),
    lastRun: z.unknown().describe("Its last run (id, status, time), or null."),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
  })
  .meta({ id: "WorkflowSummary" });

export const ZWorkflow = z
  .looseObject({
    id: z.uuid(),
    slug: z.string(),
    name: z.string(),
    description: z.string(),
    draft: z.string().describe("The stored draft's DSL text."),
    versions: z.array(
      z.looseObject({
        id: z.uuid(),
        version: z.string(),
        createdAt: ZIsoTime,
        irHash: z.string(),
        message: z.string(),
      }),
    ),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
    deletedAt: ZIsoTime.nullable(),
  })
  .meta({ id: "Workflow" });

export const ZRunSummary = z
  .looseObject({
    id: z.uuid(),
    workflowId: z.uuid().nullable(),
    version: z.string().nullable(),
    status: z.enum(RUN_STATUSES),
    outcome: z.enum(RUN_OUTCOMES),
    draft: z.boolean(),
    deadLetters: z.number().int(),
    startedBy: z.string().nullable(),
    createdAt: ZIsoTime,
    startedAt: ZIsoTime.nullable(),
    finishedAt: ZIsoTime.nullable(),
  })
  .meta({ id: "RunSummary" });

const ZErrorInfo = z.looseObject({ message: z.string() }).nullable();

export const ZRun = z
  .looseObject({
    id: z.uuid(),
    workspaceId: z.uuid(),
    workflowId: z.uuid().nullable(),
    workflowName: z.string().nullable(),
    version: z.string().nullable(),
    draft: z.boolean(),
    irHash: z.string(),
    status: z.enum(RUN_STATUSES),
    outcome: z.enum(RUN_OUTCOMES),
    inputs: ZLoose,
    output: z.unknown(),
    error: ZErrorInfo,
    startedBy: z.string().nullable(),
    steps: z
      .array(
        z.object({
          id: z.string(),
          block: z.string().describe("`<block id>@<major>`."),
          status: z.string().describe("Its latest attempt's status, or `pending` before any."),
          attempts: z.number().int(),
        }),
      )
      .describe("The flow's steps in order, each with its latest attempt's status."),
    attempts: z.array(
      z.looseObject({
        stepId: z.string(),
        attempt: z.number().int(),
        status: z.string(),
        blockId: z.string(),
        idempotencyKey: z.string(),
        error: ZErrorInfo,
        startedAt: ZEpochMs,
        finishedAt: ZEpochMs.nullable(),
      }),
    ),
    deadLetters: z.array(
      z.looseObject({
        id: z.uuid(),
        stepId: z.string(),
        blockId: z.string(),
        attempts: z.number().int(),
        error: ZErrorInfo,
        createdAt: ZEpochMs,
      }),
    ),
    lineage: z
      .object({
        replayOf: z.object({ id: z.uuid(), status: z.string() }).nullable(),
        replays: z.array(z.object({ id: z.uuid(), status: z.string(), createdAt: ZIsoTime })),
      })
      .describe("The run this one replays, and the replays of it."),
    reconciliation: z.looseObject({
      status: z.enum(["pending", "clean", "findings"]),
      findings: z.array(ZLoose),
    }),
    ir: ZLoose.describe("The compiled flow the run executes."),
    events: z.array(ZLoose),
    createdAt: ZEpochMs,
    startedAt: ZEpochMs.nullable(),
    finishedAt: ZEpochMs.nullable(),
  })
  .meta({ id: "Run" });

export const ZApproval = z
  .object({
    id: z.uuid(),
    kind: z.enum(APPROVAL_KINDS),
    status: z.enum(APPROVAL_STATUSES),
    runId: z.uuid().nullable(),
    stepId: z.string().nullable(),
    attempt: z.number().int().nullable(),
    workflow: z.object({ id: z.uuid(), name: z.string(), slug: z.string() }).nullable(),
    version: z.string().nullable(),
    requester: z.object({ userId: z.string().nullable(), label: z.string() }).nullable(),
    approvers: z.object({
      role: z.string().optional(),
      group: z.string().optional(),
      users: z.array(z.string()).optional(),
    }),
    minApprovals: z.number().int(),
    approvals: z.number().int().describe("Distinct people who approved so far."),
    decisions: z.array(
      z.object({
        userId: z.string(),
        label: z.string(),
        decision: z.enum(DECISIONS),
        comment: z.string().nullable(),
        breakGlass: z.boolean(),
        reason: z.string().nullable(),
        at: ZIsoTime,
      }),
    ),
    message: z.string().nullable(),
    form: z.object({ title: z.string(), schema: z.unknown(), prefill: z.unknown() }).nullable(),
    inputs: z.unknown(),
    plan: z.unknown().describe("A replay's or reprocess job's plan."),
    planHash: z.string().nullable().describe("Name it when deciding a replay or reprocess job."),
    expiresAt: ZIsoTime.nullable(),
    escalated: z.boolean(),
    createdAt: ZIsoTime,
    decidedAt: ZIsoTime.nullable(),
    canDecide: z.boolean().describe("Whether the caller may decide it now (the four-eyes guard)."),
    whyNot: z.string().nullable(),
  })
  .meta({ id: "Approval" });

// The compiler proves the documented approval is what the use case returns.
const approvalFits = (v: ApprovalView): z.input<typeof ZApproval> => v;
void approvalFits;

export const ZReplayPlan = z
  .looseObject({
    mode: replay.mode,
    sourceRunId: z.uuid(),
    fromStep: z.string().nullable(),
    version: z.string().nullable(),
    irHash: z.string(),
    inputs: ZLoose,
    inputsPatch: z.array(ZLoose),
    redo: z.array(z.string()),
    steps: z.array(
      z.looseObject({
        id: z.string(),
        action: z.enum(["reuse", "execute", "skip"]),
        sideEffect: z.string(),
        idempotencyKey: z.string().nullable(),
        redoesSideEffect: z.boolean(),
      }),
    ),
    warnings: z.array(z.string()),
    hash: z.string(),
  })
  .meta({ id: "ReplayPlan" });

export const ZReplayRequested = z
  .object({
    plan: ZReplayPlan,
    planHash: z.string().describe("The plan's hash: approvers name it to decide."),
    approval: ZApproval,
  })
  .meta({ id: "ReplayRequest" });

// ---------------------------------------------------------------------------------------------
// Dead letters and reprocess jobs

export const ZDeadLetter = z
  .object({
    id: z.uuid(),
    status: z.enum(DEAD_LETTER_STATUSES),
    run: z.object({ id: z.uuid(), status: z.string(), version: z.string().nullable() }),
    workflow: z.object({ id: z.uuid(), name: z.string(), slug: z.string() }).nullable(),
    stepId: z.string(),
    block: z.string(),
    connector: z.string().describe("The block id's first segment (`crm` of `crm.deal.update`)."),
    errorClass: z.string(),
    error: z.object({
      name: z.string(),
      message: z.string(),
      retryable: z.boolean(),
      detail: z.unknown(),
    }),
    classification: z.object({ severity: z.string(), category: z.string() }),
    inputs: z.unknown(),
    attempts: z.number().int().describe("Attempts made before it was dead-lettered."),
    createdAt: ZIsoTime,
    discarded: z
      .object({ at: ZIsoTime, by: z.string().nullable(), reason: z.string().nullable() })
      .nullable(),
    reprocessedRunId: z.uuid().nullable().describe("The replay run that reprocessed it."),
  })
  .meta({ id: "DeadLetter" });

const deadLetterFits = (v: DeadLetterView): z.input<typeof ZDeadLetter> => v;
void deadLetterFits;

export const ZReprocessJob = z
  .object({
    id: z.uuid(),
    state: z.enum(REPROCESS_JOB_STATES),
    stopReason: z.string().nullable(),
    requester: z.object({ userId: z.string(), label: z.string() }),
    approval: z
      .object({ id: z.uuid(), status: z.string(), planHash: z.string().nullable() })
      .nullable(),
    planHash: z.string(),
    selection: z.object({ ids: z.array(z.uuid()).optional(), filter: ZLoose.optional() }),
    canary: z.number().int(),
    ratePerMinute: z.number().int(),
    stopOnFailure: z.boolean(),
    progress: z.object({
      total: z.number().int(),
      done: z.number().int(),
      succeeded: z.number().int(),
      failed: z.number().int(),
      skipped: z.number().int(),
      running: z.number().int(),
      pending: z.number().int(),
    }),
    createdAt: ZIsoTime,
    updatedAt: ZIsoTime,
    finishedAt: ZIsoTime.nullable(),
    items: z
      .array(
        z.object({
          id: z.uuid(),
          position: z.number().int(),
          deadLetterId: z.uuid(),
          runId: z.uuid(),
          stepId: z.string(),
          block: z.string(),
          state: z.enum(REPROCESS_ITEM_STATES),
          replayRunId: z.uuid().nullable(),
          startedAt: ZIsoTime.nullable(),
          finishedAt: ZIsoTime.nullable(),
          error: z.string().nullable(),
        }),
      )
      .optional()
      .describe("Every dead letter of the job, by position, with its state and replay run."),
  })
  .meta({ id: "ReprocessJob" });

const jobFits = (v: ReprocessJobView): z.input<typeof ZReprocessJob> => v;
void jobFits;

export const ZReprocessRequested = z
  .object({
    job: ZReprocessJob,
    approval: ZApproval.describe("The job's pending approval, bound to its plan hash."),
  })
  .meta({ id: "ReprocessRequest" });

// ---------------------------------------------------------------------------------------------
// Trust (issue 17)

const ZUnit = z.number().min(0).max(1);

/** One entity's earned trust score (`GET /trust`). */
export const ZTrustEntry = z
  .object({
    kind: z.enum(["block", "endpoint", "model", "flow"]),
    key: z
      .string()
      .describe(
        "Block `id@version`, endpoint `system:block`, model name, or flow `workflowId@version`.",
      ),
    label: z.string(),
    score: ZUnit.describe(
      "The score decisions use: the posterior mean, or the baseline below n = 20.",
    ),
    posterior: ZUnit.describe("Posterior mean of the Beta model of success."),
    interval: z
      .object({ low: ZUnit, high: ZUnit, mass: ZUnit })
      .describe("Credible interval of the posterior (`mass`, 0.9)."),
    n: z.number().min(0).describe("Decayed number of attempts (runs, for a flow's own counts)."),
    enoughData: z
      .boolean()
      .describe('False below n = 20: "not enough data", the baseline stands in.'),
    baseline: ZUnit.describe("The block's `baselineTrust` (the prior's mean)."),
    alpha: z.number(),
    beta: z.number(),
    inputs: z
      .object({
        successes: z.number(),
        failures: z.number(),
        slaMisses: z.number(),
        retries: z.number(),
        deadLetters: z.number(),
        breakerTrips: z.number(),
        policyViolations: z.number(),
        findings: z.number(),
        anomalies: z
          .number()
          .describe("Anomalies not marked expected, each weighted by its decay (1 while open)."),
        guardianGroups: z
          .number()
          .describe("Guardian groups of recurring failures (at least 3), decayed."),
        regressions: z
          .number()
          .describe("Guardian groups failing again after their fix was released, decayed."),
      })
      .describe(
        "The decayed counts the score is computed from, and the findings in effect (anomalies, guardian groups).",
      ),
    findingsPenalty: z
      .number()
      .min(0)
      .describe(
        "Pseudo-failures the findings add to β: anomalies ×2, guardian groups ×1, regressions ×3, at most 8.",
      ),
    findings: z
      .array(
        z.object({
          source: z.enum(["anomaly", "guardian"]),
          id: z.string().describe("The anomaly's or the guardian group's id."),
          what: z.string(),
          weight: z.number().min(0).max(1).describe("Its decayed weight (1 while current)."),
        }),
      )
      .describe("The findings that lower the score (at most five named)."),
    asOf: ZEpochMs,
    observations: z.number().int().describe("Observations folded in (undecayed)."),
    lowest: z
      .object({ key: z.string(), score: ZUnit, enoughData: z.boolean() })
      .optional()
      .describe("A flow's lowest step: its score's source."),
    runs: z
      .object({ n: z.number(), posterior: ZUnit })
      .optional()
      .describe("A flow version's own runs."),
    why: z.string().describe("How the score is formed, in words."),
  })
  .meta({ id: "TrustScore" });

/** `GET /trust`'s query. */
export const ZTrustQuery = z.object({
  kind: z.enum(["block", "endpoint", "model", "flow"]).default("block"),
  limit: z.number().int().min(1).max(500).default(100),
  cursor: z.string().min(1).max(600).optional().describe("The previous page's last `key`."),
});
