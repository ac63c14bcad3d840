/**
 * Reading the guardian's groups and proposals (issue 18, item 5): a page of groups (newest
 * failure first), one group with its members, why, triage and root-cause hints, and proposals.
 * Everyone in the workspace reads them; every list is paged and bounded.
 */
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import type { FieldChange } from "./drift";
import { rootCauseHints, type RootCauseHints } from "./hints";
import {
  ZGroupId,
  ZListGroupsInput,
  ZListProposalsInput,
  type ListGroupsInput,
  type ListProposalsInput,
} from "./schemas";
import type { Triage, TriageClass } from "./triage";

/** A group as the page and the API show it. */
export interface GroupView {
  id: string;
  workflowId: string | null;
  flowName: string;
  stepId: string;
  blockId: string;
  operation: string;
  errorName: string;
  errorCode: string | null;
  httpStatus: number | null;
  template: string;
  class: TriageClass;
  reasons: string[];
  advice: string;
  drift: FieldChange[];
  why: string[];
  count: number;
  deadLetters: number;
  firstSeenAt: string;
  lastSeenAt: string;
  firstRunId: string;
  lastRunId: string;
  failingVersion: string | null;
  rulesVersion: number;
  split: boolean;
  status: "open" | "merged";
  mergedIntoId: string | null;
  proposals: number;
}

/** A member of a group. */
export interface MemberView {
  runId: string;
  stepId: string;
  attempt: number;
  message: string;
  template: string;
  version: string | null;
  similarity: number;
  why: string[];
  deadLetterId: string | null;
  recovered: boolean;
  seenAt: string;
}

/** A proposal as the page and the API show it. */
export interface ProposalView {
  id: string;
  groupId: string;
  workflowId: string;
  baseVersion: string;
  baseIrHash: string;
  rule: string;
  title: string;
  rationale: string;
  /** The patched flow text. */
  text: string;
  /** The text of the version it patches (for the diff). */
  baseText: string | null;
  bump: string;
  nextVersion: string;
  changes: string[];
  status: string;
  proof: unknown;
  approvalId: string | null;
  proposedBy: string;
  rejectReason: string | null;
  createdAt: string;
  /** Whether the version it patches is still the flow's newest (else it is void). */
  current: boolean;
}

type GroupRow = Awaited<ReturnType<Db["guardianGroup"]["findFirstOrThrow"]>> & {
  _count?: { proposals: number };
};

function groupView(g: GroupRow): GroupView {
  const t = (g.triage ?? {}) as Partial<Triage>;
  return {
    id: g.id,
    workflowId: g.workflowId,
    flowName: g.flowName,
    stepId: g.stepId,
    blockId: g.blockId,
    operation: g.operation,
    errorName: g.errorName,
    errorCode: g.errorCode,
    httpStatus: g.httpStatus,
    template: g.template,
    class: g.class as TriageClass,
    reasons: t.reasons ?? [],
    advice: t.advice ?? "",
    drift: t.drift ?? [],
    why: (g.why as string[]) ?? [],
    count: g.count,
    deadLetters: g.deadLetters,
    firstSeenAt: g.firstSeenAt.toISOString(),
    lastSeenAt: g.lastSeenAt.toISOString(),
    firstRunId: g.firstRunId,
    lastRunId: g.lastRunId,
    failingVersion: g.failingVersion,
    rulesVersion: g.rulesVersion,
    split: g.split,
    status: g.status === "merged" ? "merged" : "open",
    mergedIntoId: g.mergedIntoId,
    proposals: g._count?.proposals ?? 0,
  };
}

function encodeCursor(g: { lastSeenAt: Date; id: string }): string {
  return `${g.lastSeenAt.toISOString()}_${g.id}`;
}

function decodeCursor(c: string): { at: Date; id: string } {
  const i = c.lastIndexOf("_");
  const at = new Date(c.slice(0, i));
  const id = c.slice(i + 1);
  if (i < 0 || Number.isNaN(at.getTime()) || !/^[0-9a-f-]{36}$/i.test(id)) {
    throw new AppError("INVALID_INPUT", {
      message: "This cursor is not one a page returned.",
      details: { field: "cursor" },
    });
  }
  return { at, id };
}

/**
 * A page of the workspace's groups, the most recent failure first.
 *
 * @example
 * await listGroups(db, actor, { class: "resilience" }); // { items: [...], nextCursor: "…" | null }
 */
export async function listGroups(
  db: Db,
  actor: Actor,
  raw: ListGroupsInput = {},
): Promise<{ items: GroupView[]; nextCursor: string | null }> {
  const input = ZListGroupsInput.parse(raw);
  const after = input.cursor ? decodeCursor(input.cursor) : undefined;
  const rows = await db.guardianGroup.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.status === "open" ? { status: "open" } : {}),
      ...(input.class ? { class: input.class } : {}),
      ...(input.workflowId ? { workflowId: input.workflowId } : {}),
      ...(after
        ? {
            OR: [{ lastSeenAt: { lt: after.at } }, { lastSeenAt: after.at, id: { lt: after.id } }],
          }
        : {}),
    },
    orderBy: [{ lastSeenAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    include: { _count: { select: { proposals: true } } },
  });
  const page = rows.slice(0, input.limit);
  return {
    items: page.map(groupView),
    nextCursor: rows.length > input.limit ? encodeCursor(page[page.length - 1]!) : null,
  };
}

/** Members shown with a group, newest first. */
export const MEMBERS_SHOWN = 50;

/**
 * One group with its newest members, its root-cause hints and its proposals.
 *
 * @example
 * const g = await getGroup(db, actor, { id }); // g.hints.versionDiff, g.members, g.proposals
 */
export async function getGroup(
  db: Db,
  actor: Actor,
  raw: { id: string },
): Promise<
  GroupView & {
    members: MemberView[];
    templates: Array<{ template: string; count: number }>;
    hints: RootCauseHints;
    proposalList: ProposalView[];
  }
> {
  const { id } = ZGroupId.parse(raw);
  const g = await db.guardianGroup.findFirst({
    where: { id, workspaceId: actor.workspaceId },
    include: { _count: { select: { proposals: true } } },
  });
  if (!g) throw notFound("Group");
  const [members, templates, hints, proposals] = await Promise.all([
    db.guardianMember.findMany({
      where: { groupId: g.id },
      orderBy: { seenAt: "desc" },
      take: MEMBERS_SHOWN,
    }),
    db.guardianMember.groupBy({
      by: ["template"],
      where: { groupId: g.id },
      _count: { _all: true },
      orderBy: { _count: { template: "desc" } },
      take: 20,
    }),
    rootCauseHints(db, g),
    listProposals(db, actor, { group: g.id }),
  ]);
  return {
    ...groupView(g),
    members: members.map((m) => ({
      runId: m.runId,
      stepId: m.stepId,
      attempt: m.attempt,
      message: m.message,
      template: m.template,
      version: m.version,
      similarity: m.similarity,
      why: m.why as string[],
      deadLetterId: m.deadLetterId,
      recovered: m.recovered,
      seenAt: m.seenAt.toISOString(),
    })),
    templates: templates.map((t) => ({ template: t.template, count: t._count._all })),
    hints,
    proposalList: proposals,
  };
}

/**
 * Proposals of the workspace (of one group with `group`), newest first, with the text of the
 * version each patches.
 *
 * @example
 * await listProposals(db, actor, { group: id }); // [{ rule: "backoff-retry-after", text, baseText, bump: "patch", ... }]
 */
export async function listProposals(
  db: Db,
  actor: Actor,
  raw: ListProposalsInput = {},
): Promise<ProposalView[]> {
  const input = ZListProposalsInput.parse(raw);
  const rows = await db.guardianProposal.findMany({
    where: { workspaceId: actor.workspaceId, ...(input.group ? { groupId: input.group } : {}) },
    orderBy: { createdAt: "desc" },
    take: input.limit,
  });
  const pairs = [...new Map(rows.map((r) => [`${r.workflowId}@${r.baseVersion}`, r])).values()];
  const [bases, latest] = await Promise.all([
    pairs.length
      ? db.workflowVersion.findMany({
          where: { OR: pairs.map((r) => ({ workflowId: r.workflowId, version: r.baseVersion })) },
          select: { workflowId: true, version: true, dsl: true },
        })
      : [],
    Promise.all(
      [...new Set(rows.map((r) => r.workflowId))].map((workflowId) =>
        db.workflowVersion.findFirst({
          where: { workflowId },
          orderBy: { createdAt: "desc" },
          select: { workflowId: true, version: true },
        }),
      ),
    ),
  ]);
  const newest = new Map(latest.flatMap((v) => (v ? [[v.workflowId, v.version] as const] : [])));
  const textOf = new Map(bases.map((v) => [`${v.workflowId}@${v.version}`, v.dsl]));
  return rows.map((p) => ({
    id: p.id,
    groupId: p.groupId,
    workflowId: p.workflowId,
    baseVersion: p.baseVersion,
    baseIrHash: p.baseIrHash,
    rule: p.rule,
    title: p.title,
    rationale: p.rationale,
    text: p.text,
    baseText: textOf.get(`${p.workflowId}@${p.baseVersion}`) ?? null,
    bump: p.bump,
    nextVersion: p.nextVersion,
    changes: p.changes as string[],
    status: p.status,
    proof: p.proof ?? null,
    approvalId: p.approvalId,
    proposedBy: p.proposedBy,
    rejectReason: p.rejectReason,
    createdAt: p.createdAt.toISOString(),
    current: newest.get(p.workflowId) === p.baseVersion,
  }));
}
