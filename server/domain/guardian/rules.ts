/**
 * A person's merge and split of groups (issue 18, item 1): each moves the members at once and
 * becomes a stored rule the consumer obeys for the next failures (`grouping.ts`), in one
 * transaction with its audit entry. Editors and admins curate groups.
 */
import { randomUUID } from "node:crypto";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import { fingerprint, GROUPING_RULES_VERSION, type FailureRecord } from "./fingerprint";
import { retriage } from "./retriage";
import {
  ZMergeGroupsInput,
  ZSplitGroupInput,
  type MergeGroupsInput,
  type SplitGroupInput,
} from "./schemas";

function mayCurate(actor: Actor): void {
  if (!hasRole(actor.role, "editor"))
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace merge or split groups.",
    });
}

/**
 * Merges the groups `from` into `into`: their members move, and failures like theirs join
 * `into` from now on (one merge rule per group merged).
 *
 * @example
 * await mergeGroups(db, actor, { into: a, from: [b], reason: "same outage" }); // { id: a, merged: 1, rules: [...] }
 */
export async function mergeGroups(
  db: Db,
  actor: Actor,
  raw: MergeGroupsInput,
): Promise<{ id: string; merged: number; rules: string[] }> {
  mayCurate(actor);
  const input = ZMergeGroupsInput.parse(raw);
  return db.$transaction(async (tx) => {
    const groups = await tx.guardianGroup.findMany({
      where: { workspaceId: actor.workspaceId, id: { in: [input.into, ...input.from] } },
    });
    const into = groups.find((g) => g.id === input.into);
    if (!into) throw notFound("Group");
    const from = input.from.map((id) => groups.find((g) => g.id === id));
    if (from.some((g) => !g)) throw notFound("Group");
    if ([into, ...from].some((g) => g!.status !== "open"))
      throw new AppError("CONFLICT", { message: "A group already merged cannot be merged again." });
    const rules: string[] = [];
    for (const g of from as NonNullable<(typeof from)[number]>[]) {
      const id = randomUUID();
      rules.push(id);
      await tx.guardianRule.create({
        data: {
          id,
          workspaceId: actor.workspaceId,
          kind: "merge",
          spec: { fromStrictKey: g.strictKey, fromTemplate: g.template, intoGroupId: into.id },
          rulesVersion: GROUPING_RULES_VERSION,
          reason: input.reason,
          createdBy: actor.userId,
        },
      });
      await tx.guardianMember.updateMany({ where: { groupId: g.id }, data: { groupId: into.id } });
      await tx.guardianGroup.update({
        where: { id: g.id },
        data: { status: "merged", mergedIntoId: into.id, updatedAt: new Date() },
      });
      await tx.guardianGroup.update({
        where: { id: into.id },
        data: {
          count: { increment: g.count },
          deadLetters: { increment: g.deadLetters },
          ...(g.firstSeenAt < into.firstSeenAt
            ? { firstSeenAt: g.firstSeenAt, firstRunId: g.firstRunId }
            : {}),
          ...(g.lastSeenAt > into.lastSeenAt
            ? { lastSeenAt: g.lastSeenAt, lastRunId: g.lastRunId }
            : {}),
          updatedAt: new Date(),
        },
      });
    }
    await retriage(tx, into.id, [
      `${actor.label} merged ${from.length} group(s) into this one${input.reason ? `: ${input.reason}` : ""} (merge rule).`,
    ]);
    await appendAudit(tx, actor, {
      action: "guardian.merge",
      subjectType: "guardian_group",
      subjectId: into.id,
      payload: { from: input.from, rules, reason: input.reason },
    });
    return { id: into.id, merged: from.length, rules };
  });
}

/**
 * Splits the members with `template` out of a group into a group of their own; failures with
 * that template group alone from now on (a split rule).
 *
 * @example
 * await splitGroup(db, actor, { id, template: "crm GET /deals/<id> failed with HTTP <n>" }); // { id: newId, moved: 12, rule }
 */
export async function splitGroup(
  db: Db,
  actor: Actor,
  raw: SplitGroupInput,
): Promise<{ id: string; moved: number; rule: string }> {
  mayCurate(actor);
  const input = ZSplitGroupInput.parse(raw);
  return db.$transaction(async (tx) => {
    const g = await tx.guardianGroup.findFirst({
      where: { id: input.id, workspaceId: actor.workspaceId },
    });
    if (!g) throw notFound("Group");
    if (g.status !== "open")
      throw new AppError("CONFLICT", {
        message: "A merged group cannot be split; split the group it was merged into.",
      });
    const [matching, total] = await Promise.all([
      tx.guardianMember.aggregate({
        where: { groupId: g.id, template: input.template },
        _count: true,
        _min: { seenAt: true },
        _max: { seenAt: true },
      }),
      tx.guardianMember.count({ where: { groupId: g.id } }),
    ]);
    if (matching._count === 0)
      throw new AppError("INVALID_INPUT", {
        message: "No member of this group has that message template.",
        details: { field: "template" },
      });
    if (matching._count === total)
      throw new AppError("INVALID_INPUT", {
        message: "Every member has that template: there is nothing to split off.",
        details: { field: "template" },
      });
    // The fingerprints of the members split off (a merged group holds several strict keys).
    const sample = await tx.guardianMember.findMany({
      where: { groupId: g.id, template: input.template },
      select: { record: true },
      take: 500,
    });
    const fps = sample.map((m) => fingerprint(m.record as unknown as FailureRecord));
    const strictKeys = [...new Set(fps.map((f) => f.strictKey))];
    const fp = fps[0]!;
    const [first, last, dl] = await Promise.all([
      tx.guardianMember.findFirst({
        where: { groupId: g.id, template: input.template },
        orderBy: { seenAt: "asc" },
      }),
      tx.guardianMember.findFirst({
        where: { groupId: g.id, template: input.template },
        orderBy: { seenAt: "desc" },
      }),
      tx.guardianMember.count({
        where: { groupId: g.id, template: input.template, deadLetterId: { not: null } },
      }),
    ]);
    const id = randomUUID();
    const rule = randomUUID();
    const why = `${actor.label} split this message template off group ${g.id.slice(0, 8)}${input.reason ? `: ${input.reason}` : ""} (split rule).`;
    await tx.guardianGroup.create({
      data: {
        ...g,
        id,
        stepId: fp.stepId,
        blockId: fp.blockId,
        operation: fp.operation,
        errorName: fp.errorName,
        errorCode: fp.code,
        httpStatus: fp.httpStatus,
        strictKey: fp.strictKey,
        template: input.template,
        split: true,
        triage: g.triage as object,
        why: [why],
        count: matching._count,
        deadLetters: dl,
        firstSeenAt: first!.seenAt,
        firstRunId: first!.runId,
        lastSeenAt: last!.seenAt,
        lastRunId: last!.runId,
        mergedIntoId: null,
        createdAt: new Date(),
        updatedAt: new Date(),
      },
    });
    await tx.guardianMember.updateMany({
      where: { groupId: g.id, template: input.template },
      data: { groupId: id },
    });
    await tx.guardianGroup.update({
      where: { id: g.id },
      data: {
        count: { decrement: matching._count },
        deadLetters: { decrement: dl },
        updatedAt: new Date(),
      },
    });
    await tx.guardianRule.createMany({
      data: strictKeys.map((strictKey, i) => ({
        id: i === 0 ? rule : randomUUID(),
        workspaceId: actor.workspaceId,
        kind: "split",
        spec: { strictKey, template: input.template },
        rulesVersion: GROUPING_RULES_VERSION,
        reason: input.reason,
        createdBy: actor.userId,
      })),
    });
    await retriage(tx, id);
    await retriage(tx, g.id, [
      `${actor.label} split ${matching._count} member(s) off into group ${id.slice(0, 8)}.`,
    ]);
    await appendAudit(tx, actor, {
      action: "guardian.split",
      subjectType: "guardian_group",
      subjectId: g.id,
      payload: {
        into: id,
        template: input.template,
        moved: matching._count,
        rule,
        reason: input.reason,
      },
    });
    return { id, moved: matching._count, rule };
  });
}
