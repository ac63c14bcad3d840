/**
 * The REST shapes of the guardian (`GET /guardian/groups`, `GET /guardian/proposals`, issue 18):
 * failure groups with their class, why and counts, and fix proposals with their patch.
 */
import { z } from "zod";
import { TRIAGE_CLASSES } from "@/server/domain/guardian/triage";

const ZFieldChange = z
  .object({
    kind: z.enum(["missing", "added", "type", "renamed"]),
    path: z.string(),
    was: z.string().optional(),
    now: z.string().optional(),
    to: z.string().optional(),
  })
  .describe(
    "One field that differs between the upstream response now and when the step last succeeded.",
  );

export const ZGuardianGroup = z
  .object({
    id: z.uuid(),
    workflowId: z.uuid().nullable(),
    flowName: z.string(),
    stepId: z.string(),
    blockId: z.string(),
    operation: z
      .string()
      .describe("The connector operation (`crm PATCH /contacts/<id>`), or the block id."),
    errorName: z.string(),
    errorCode: z.string().nullable(),
    httpStatus: z.number().int().nullable(),
    template: z
      .string()
      .describe("The message with numbers, ids, uuids, emails and quoted values masked."),
    class: z.enum(TRIAGE_CLASSES).describe("The triage class."),
    reasons: z.array(z.string()).describe("Why the group has its class."),
    advice: z.string(),
    drift: z.array(ZFieldChange).describe("For drift: the field-level difference."),
    why: z.array(z.string()).describe("Why the members belong together."),
    count: z.number().int().describe("Failed attempts in the group."),
    deadLetters: z.number().int(),
    firstSeenAt: z.string(),
    lastSeenAt: z.string(),
    firstRunId: z.uuid(),
    lastRunId: z.uuid(),
    failingVersion: z.string().nullable(),
    rulesVersion: z.number().int().describe("The version of the grouping rules that formed it."),
    split: z.boolean(),
    status: z.enum(["open", "merged"]),
    mergedIntoId: z.uuid().nullable(),
    proposals: z.number().int(),
  })
  .meta({ id: "GuardianGroup" });

export const ZGuardianProposal = z
  .object({
    id: z.uuid(),
    groupId: z.uuid(),
    workflowId: z.uuid(),
    baseVersion: z.string().describe("The flow version it patches."),
    baseIrHash: z
      .string()
      .describe("The IR hash of that version: a newer version voids the proposal."),
    rule: z.string().describe("The rule that wrote it (e.g. `backoff-retry-after`)."),
    title: z.string(),
    rationale: z.string(),
    text: z.string().describe("The patched flow text."),
    baseText: z.string().nullable().describe("The text of the version it patches."),
    bump: z.string().describe("The SemVer bump `diffFlows` gives."),
    nextVersion: z.string(),
    changes: z.array(z.string()),
    status: z.string(),
    proof: z.unknown().describe("The sandbox proof, once run (null before)."),
    approvalId: z.uuid().nullable(),
    proposedBy: z.string(),
    rejectReason: z.string().nullable(),
    createdAt: z.string(),
    current: z.boolean().describe("Whether the version it patches is still the flow's newest."),
    approval: z
      .object({
        id: z.uuid(),
        status: z.string(),
        requesterLabel: z.string().nullable(),
        decisions: z.array(
          z.object({
            label: z.string(),
            decision: z.string(),
            comment: z.string().nullable(),
            at: z.string(),
          }),
        ),
      })
      .nullable()
      .describe(
        "The `fix` approval its passing proof requested (decided under the four-eyes guard: never by the proposer), with its decisions.",
      ),
    release: z
      .object({
        version: z.string().describe("The flow version the accepted fix was saved as."),
        releasedAt: z.string(),
        releasedBy: z.string(),
        replays: z.array(
          z.object({
            runId: z.uuid().describe("A failed run of the group."),
            approvalId: z.uuid().nullable(),
            approvalStatus: z.string().nullable(),
            replayRunId: z.uuid().nullable(),
            replayStatus: z.string().nullable(),
          }),
        ),
        replaysAsked: z
          .boolean()
          .describe("Whether the replays chosen with the release were asked for."),
        reprocess: z
          .object({
            jobId: z.uuid(),
            approvalId: z.uuid().nullable(),
            approvalStatus: z.string().nullable(),
            state: z.string(),
            total: z.number().int(),
            succeeded: z.number().int(),
            failed: z.number().int(),
          })
          .nullable()
          .describe(
            "The reprocess job of the group's open dead letters on the new version (approval-gated), when asked for.",
          ),
      })
      .nullable()
      .describe(
        "Once released: the new version, the replays of the failed runs and the reprocessing of their dead letters.",
      ),
  })
  .meta({ id: "GuardianProposal" });

export const ZGuardianGroupsQuery = z.object({
  class: z.enum(TRIAGE_CLASSES).optional(),
  workflowId: z.uuid("Not a workflow id.").optional(),
  status: z.enum(["open", "all"]).default("open"),
  limit: z.number().int().min(1).max(100).default(50),
  cursor: z.string().min(1).max(200).optional().describe("The previous page's `nextCursor`."),
});

export const ZGuardianProposalsQuery = z.object({
  group: z.uuid("Not a group id.").optional().describe("Only this group's proposals."),
  limit: z.number().int().min(1).max(100).default(50),
});
