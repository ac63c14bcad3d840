/**
 * Model-written fix proposals (issue 18, item 3): when a workspace names a guardian model
 * (`model-settings.ts`), a patchable group the rules could not patch — no rule proposal for its
 * failing version, or every one failed its proof — is described to the model (`model-patch.ts`:
 * the masked template, the triage, the failing block's contract, the drift, the flow's text),
 * through the agent runtime (router, run budget, PII guard, answer repair and validation, egress
 * guard: `model-ports.ts`). The answer is validated again, applied through `applyEdit` and
 * compiled; a proposal that passes is saved like a rule proposal (rule `model`, proposed by the
 * guardian) and goes through the same proof and four-eyes review. Every request is recorded in
 * `GuardianModelAttempt` with its outcome — `proposed`, `discarded` (with the reason: not JSON,
 * not a valid patch, an edit that does not apply, no change, does not compile) or `failed` (the
 * call itself: no model, budget, outage) — so nothing is asked twice for the same version and
 * the figures count them. Bounded: {@link MAX_MODEL_REQUESTS_PER_DAY} per workspace, a budget
 * per request, a few groups per turn.
 */
import { randomUUID } from "node:crypto";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import { compileFlow, serverRegistry } from "../workflow/compile-flow";
import {
  applyModelPatch,
  MODEL_PATCH_SCHEMA,
  modelPrompt,
  type DiscardReason,
} from "./model-patch";
import type { GuardianModelDeps } from "./model-ports";
import { guardianModelOf, modelLabel } from "./model-settings";
import { PATCHABLE, type Triage, type TriageClass } from "./triage";

/** Spend allowed per model request (its run budget), USD. */
export const MODEL_PROPOSAL_BUDGET_USD = 0.25;
/** Model requests a workspace's guardian makes in 24 hours at most. */
export const MAX_MODEL_REQUESTS_PER_DAY = 50;
/** How long one model request may take. */
export const MODEL_REQUEST_TIMEOUT_MS = 120_000;
/** Groups asked about per turn of the background loop. */
const GROUPS_PER_TURN = 3;
/** A group's rule proposals are written right after its grouping: wait this long before asking. */
const SETTLE_MS = 5_000;
/** Proposal states that still mean "a rule fix is on its way or in place". */
const LIVE = new Set(["proposed", "proving", "proven", "approved", "released"]);

export type ModelDeps = GuardianModelDeps & { db: Db };

/** The outcome of one model request. */
export interface ModelRequestOutcome {
  attemptId: string;
  outcome: "proposed" | "discarded" | "failed";
  reason: DiscardReason | "call-failed" | "duplicate" | null;
  detail: string | null;
  proposalId: string | null;
}

type GroupRow = Awaited<ReturnType<Db["guardianGroup"]["findFirstOrThrow"]>>;

/** Whether the rules left the group's failing version without a fix that may still pass. */
function rulesGaveUp(group: GroupRow, proposals: { baseIrHash: string; status: string }[]) {
  const mine = proposals.filter((p) => p.baseIrHash === group.failingIrHash);
  return !mine.some((p) => LIVE.has(p.status));
}

function blockContract(blockId: string) {
  const at = blockId.lastIndexOf("@");
  const id = at > 0 ? blockId.slice(0, at) : blockId;
  const major = at > 0 ? Number(blockId.slice(at + 1)) : undefined;
  const def = serverRegistry().get(id, Number.isInteger(major) ? major : undefined);
  return def ? { inputSchema: def.inputSchema, outputSchema: def.outputSchema } : null;
}

function clip(s: string, n = 500): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

/**
 * Asks the workspace's guardian model for a proposal for one group and records the outcome.
 * `requestedBy` is `guardian` (the background loop) or the member's label (on demand).
 *
 * @example
 * await requestModelProposal(deps, groupId, "guardian"); // { outcome: "proposed", proposalId, ... }
 */
export async function requestModelProposal(
  deps: ModelDeps,
  groupId: string,
  requestedBy = "guardian",
): Promise<ModelRequestOutcome> {
  const { db } = deps;
  const g = await db.guardianGroup.findUniqueOrThrow({ where: { id: groupId } });
  const model = await guardianModelOf(db, g.workspaceId);
  if (!model)
    throw new AppError("PRECONDITION_FAILED", {
      message: "No guardian model is chosen for this workspace: an admin can choose one.",
    });
  const lastDay = await db.guardianModelAttempt.count({
    where: { workspaceId: g.workspaceId, createdAt: { gte: new Date(Date.now() - 86_400_000) } },
  });
  if (lastDay >= MAX_MODEL_REQUESTS_PER_DAY)
    throw new AppError("PRECONDITION_FAILED", {
      message: `The guardian asked its model ${MAX_MODEL_REQUESTS_PER_DAY} times in the last 24 hours, its limit: try again later.`,
    });
  if (!g.workflowId || !g.failingVersion)
    throw new AppError("PRECONDITION_FAILED", {
      message: "The group's failing flow version is not known.",
    });
  const [version, flow, member, tried] = await Promise.all([
    db.workflowVersion.findUnique({
      where: { workflowId_version: { workflowId: g.workflowId, version: g.failingVersion } },
      select: { dsl: true, version: true },
    }),
    db.workflow.findUnique({ where: { id: g.workflowId }, select: { name: true } }),
    db.guardianMember.findFirst({ where: { groupId: g.id }, orderBy: { seenAt: "desc" } }),
    db.guardianProposal.findMany({
      where: { groupId: g.id, baseIrHash: g.failingIrHash, status: "unproven" },
      select: { title: true },
      take: 10,
    }),
  ]);
  if (!version || !member)
    throw new AppError("PRECONDITION_FAILED", {
      message: "The group's failing version or its failures are gone.",
    });
  const choices = deps.guardianModel.configured();
  const label = model.startsWith("scripted/")
    ? `scripted model ${(await db.scriptedModel.findFirst({ where: { id: model.slice(9), workspaceId: g.workspaceId }, select: { name: true } }))?.name ?? model}`
    : modelLabel(model, choices);
  const attemptId = randomUUID();
  const base = {
    id: attemptId,
    workspaceId: g.workspaceId,
    groupId: g.id,
    baseIrHash: g.failingIrHash,
    model,
    modelLabel: label,
    requestedBy,
  };
  const prompt = modelPrompt({
    flowName: flow?.name ?? g.flowName,
    version: version.version,
    text: version.dsl,
    stepId: g.stepId,
    blockId: g.blockId,
    errorName: g.errorName,
    httpStatus: g.httpStatus,
    template: g.template,
    triage: g.triage as unknown as Triage,
    contract: blockContract(g.blockId),
    failedRules: tried.map((t) => t.title),
  });
  let answer;
  try {
    answer = await deps.guardianModel.ask({
      workspaceId: g.workspaceId,
      model,
      flow: flow?.name ?? g.flowName,
      callId: attemptId,
      prompt,
      schema: MODEL_PATCH_SCHEMA as unknown as Record<string, unknown>,
      budgetUsd: MODEL_PROPOSAL_BUDGET_USD,
      signal: AbortSignal.timeout(MODEL_REQUEST_TIMEOUT_MS),
    });
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    // The runtime's answer checks (repair, schema, one repair request) refused the answer.
    const unusable = err.name === "AgentOutputError";
    const detail = clip(err.message);
    await db.guardianModelAttempt.create({
      data: {
        ...base,
        outcome: unusable ? "discarded" : "failed",
        reason: `${unusable ? "invalid-patch" : "call-failed"}: ${detail}`,
      },
    });
    return {
      attemptId,
      outcome: unusable ? "discarded" : "failed",
      reason: unusable ? "invalid-patch" : "call-failed",
      detail,
      proposalId: null,
    };
  }
  const usage = {
    tokensIn: answer.usage.tokensIn,
    tokensOut: answer.usage.tokensOut,
    costUsd: answer.usage.costUsd,
  };
  const r = applyModelPatch(answer.answer, {
    text: version.dsl,
    version: version.version,
    modelLabel: label,
    compile: (text) => compileFlow(text),
  });
  if (!r.ok) {
    await db.guardianModelAttempt.create({
      data: { ...base, ...usage, outcome: "discarded", reason: `${r.reason}: ${clip(r.detail)}` },
    });
    return {
      attemptId,
      outcome: "discarded",
      reason: r.reason,
      detail: r.detail,
      proposalId: null,
    };
  }
  const proposalId = randomUUID();
  const saved = await db.$transaction(async (tx) => {
    const created = await tx.guardianProposal.createMany({
      data: [
        {
          id: proposalId,
          workspaceId: g.workspaceId,
          groupId: g.id,
          workflowId: g.workflowId!,
          baseVersion: version.version,
          baseIrHash: g.failingIrHash,
          rule: r.draft.rule,
          title: r.draft.title,
          rationale: r.draft.rationale,
          text: r.draft.text,
          bump: r.draft.bump,
          nextVersion: r.draft.nextVersion,
          changes: r.draft.changes,
        },
      ],
      skipDuplicates: true,
    });
    await tx.guardianModelAttempt.create({
      data: {
        ...base,
        ...usage,
        outcome: created.count ? "proposed" : "discarded",
        reason: created.count ? null : "duplicate: a model proposal for this version exists",
        proposalId: created.count ? proposalId : null,
      },
    });
    return created.count === 1;
  });
  return saved
    ? { attemptId, outcome: "proposed", reason: null, detail: null, proposalId }
    : {
        attemptId,
        outcome: "discarded",
        reason: "duplicate",
        detail: "A model proposal for this version exists.",
        proposalId: null,
      };
}

/**
 * Asks for model proposals for the groups that need one, in the workspaces that chose a model
 * (a few per call, within each workspace's daily cap); the outcomes.
 *
 * @example
 * await writeModelProposals(deps); // [{ outcome: "proposed", ... }]
 */
export async function writeModelProposals(
  deps: ModelDeps,
  opts: { limit?: number; now?: number } = {},
): Promise<ModelRequestOutcome[]> {
  const { db } = deps;
  const now = opts.now ?? Date.now();
  const limit = opts.limit ?? GROUPS_PER_TURN;
  const settings = await db.guardianModelSetting.findMany({ take: 500 });
  const out: ModelRequestOutcome[] = [];
  for (const s of settings) {
    if (out.length >= limit) break;
    const today = await db.guardianModelAttempt.count({
      where: { workspaceId: s.workspaceId, createdAt: { gte: new Date(now - 86_400_000) } },
    });
    let room = Math.min(limit - out.length, MAX_MODEL_REQUESTS_PER_DAY - today);
    if (room <= 0) continue;
    const groups = await db.guardianGroup.findMany({
      where: {
        workspaceId: s.workspaceId,
        status: "open",
        class: { in: [...PATCHABLE] as TriageClass[] },
        workflowId: { not: null },
        failingVersion: { not: null },
        updatedAt: { lt: new Date(now - SETTLE_MS) },
      },
      orderBy: { lastSeenAt: "desc" },
      take: 50,
      include: { proposals: { select: { baseIrHash: true, status: true }, take: 50 } },
    });
    if (!groups.length) continue;
    const asked = await db.guardianModelAttempt.findMany({
      where: { groupId: { in: groups.map((g) => g.id) } },
      select: { groupId: true, baseIrHash: true },
    });
    const seen = new Set(asked.map((a) => `${a.groupId}\u0000${a.baseIrHash}`));
    for (const g of groups) {
      if (room <= 0) break;
      if (seen.has(`${g.id}\u0000${g.failingIrHash}`)) continue;
      if (!rulesGaveUp(g, g.proposals)) continue;
      room--;
      out.push(await requestModelProposal(deps, g.id));
    }
  }
  return out;
}

/**
 * Asks the guardian model for a proposal for one group now (editors), audited; refuses when a
 * model proposal for the group's failing version exists.
 */
export async function proposeWithModel(
  deps: ModelDeps,
  actor: Actor,
  groupId: string,
): Promise<ModelRequestOutcome> {
  const g = await deps.db.guardianGroup.findFirst({
    where: { id: groupId, workspaceId: actor.workspaceId },
  });
  if (!g) throw notFound("Group");
  if (!PATCHABLE.has(g.class as TriageClass))
    throw new AppError("PRECONDITION_FAILED", {
      message:
        `A ${g.class} group gets no patch: ${(g.triage as unknown as Triage).advice ?? ""}`.trim(),
    });
  const existing = await deps.db.guardianProposal.count({
    where: { groupId: g.id, baseIrHash: g.failingIrHash, rule: "model" },
  });
  if (existing)
    throw new AppError("CONFLICT", {
      message: "The model has already written a proposal for this version of the flow.",
    });
  const outcome = await requestModelProposal(deps, g.id, actor.label);
  await appendAudit(deps.db, actor, {
    action: "guardian.model.propose",
    subjectType: "guardian_group",
    subjectId: g.id,
    payload: {
      attemptId: outcome.attemptId,
      outcome: outcome.outcome,
      reason: outcome.reason,
      proposalId: outcome.proposalId,
    },
  });
  return outcome;
}

/** The model requests of a group, newest first (viewers). */
export async function listModelAttempts(db: Db, actor: Actor, groupId: string) {
  const rows = await db.guardianModelAttempt.findMany({
    where: { groupId, workspaceId: actor.workspaceId },
    orderBy: { createdAt: "desc" },
    take: 50,
  });
  return rows.map((r) => ({
    id: r.id,
    model: r.model,
    modelLabel: r.modelLabel,
    outcome: r.outcome,
    reason: r.reason,
    proposalId: r.proposalId,
    baseIrHash: r.baseIrHash,
    tokensIn: r.tokensIn,
    tokensOut: r.tokensOut,
    costUsd: Number(r.costUsd),
    requestedBy: r.requestedBy,
    createdAt: r.createdAt,
  }));
}

/** Model requests of the workspace over `days`: by outcome and discard reason (the figures). */
export async function modelProposalFigures(db: Db, actor: Actor, days = 30) {
  const since = new Date(Date.now() - days * 86_400_000);
  const rows = await db.guardianModelAttempt.groupBy({
    by: ["outcome", "reason"],
    where: { workspaceId: actor.workspaceId, createdAt: { gte: since } },
    _count: true,
    _sum: { costUsd: true },
  });
  const byOutcome: Record<string, number> = {};
  const discardedBy: Record<string, number> = {};
  let costUsd = 0;
  for (const r of rows) {
    byOutcome[r.outcome] = (byOutcome[r.outcome] ?? 0) + r._count;
    if (r.outcome !== "proposed") {
      const why = (r.reason ?? "unknown").split(":")[0]!;
      discardedBy[why] = (discardedBy[why] ?? 0) + r._count;
    }
    costUsd += Number(r._sum.costUsd ?? 0);
  }
  const requests = Object.values(byOutcome).reduce((a, b) => a + b, 0);
  return { days, requests, byOutcome, discardedBy, costUsd };
}
