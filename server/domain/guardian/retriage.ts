/** A group's triage again from its newest members (after new failures, a merge or a split). */
import type { Tx } from "../types";
import type { FailureRecord } from "./fingerprint";
import { triage } from "./triage";

/** Newest members a group's triage reads. */
export const TRIAGE_SAMPLE = 50;
/** Why lines kept per group. */
export const MAX_WHY = 6;

/**
 * Triages a group from its newest {@link TRIAGE_SAMPLE} members and its count; `why` lines are
 * added to the group's (at most {@link MAX_WHY}).
 *
 * @example
 * await retriage(tx, groupId, ["Merged by ada@example.com."]);
 */
export async function retriage(tx: Tx, groupId: string, why: Iterable<string> = []): Promise<void> {
  const g = await tx.guardianGroup.findUniqueOrThrow({
    where: { id: groupId },
    select: { count: true, why: true },
  });
  const newest = await tx.guardianMember.findMany({
    where: { groupId },
    orderBy: { seenAt: "desc" },
    take: TRIAGE_SAMPLE,
    select: { record: true },
  });
  const verdict = triage(
    newest.map((m) => m.record as unknown as FailureRecord),
    g.count,
  );
  await tx.guardianGroup.update({
    where: { id: groupId },
    data: {
      class: verdict.class,
      triage: verdict as object,
      why: [...new Set([...(g.why as string[]), ...why])].slice(0, MAX_WHY),
    },
  });
}
