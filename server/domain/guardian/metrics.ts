/**
 * The guardian's figures (issue 18, item 6) over a window: groups (open, new), proposals by
 * status, acceptance rate (released or approved among the decided: released, approved,
 * rejected), proof pass rate, failures fixed after release (failed runs of a released group
 * replayed on the released version — one by one, or through the reprocess job of their dead
 * letters — whose replay succeeded) and time to fix (a group's first failure to its fix's
 * release: median and slowest). Bounded: counts in the database, at most
 * {@link MAX_RELEASES} releases read.
 */
import type { Actor, Db } from "../types";
import { ZMetricsInput, type MetricsInput } from "./review-schemas";

/** Releases the figures read at most (the newest). */
export const MAX_RELEASES = 500;

export interface GuardianMetrics {
  days: number;
  groups: { open: number; new: number };
  proposals: { total: number; byStatus: Record<string, number> };
  /** Share of decided proposals accepted (null: none decided yet). */
  acceptanceRate: number | null;
  /** Share of proved proposals whose proof passed (null: none proved yet). */
  proofPassRate: number | null;
  releases: number;
  failuresFixedAfterRelease: { fixed: number; replayed: number };
  /** Milliseconds from a group's first failure to its fix's release. */
  timeToFixMs: { median: number | null; max: number | null };
}

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const ratio = (n: number, d: number) => (d > 0 ? n / d : null);

/**
 * The workspace's guardian figures, optionally for one flow.
 *
 * @example
 * await guardianMetrics(db, actor, { days: 30 }); // { acceptanceRate: 0.75, timeToFixMs: { median: 5400000, … }, … }
 */
export async function guardianMetrics(
  db: Db,
  actor: Actor,
  raw: MetricsInput = {},
): Promise<GuardianMetrics> {
  const input = ZMetricsInput.parse(raw);
  const since = new Date(Date.now() - input.days * 86_400_000);
  const scope = {
    workspaceId: actor.workspaceId,
    ...(input.workflowId ? { workflowId: input.workflowId } : {}),
  };
  const [open, fresh, byStatus, releases] = await Promise.all([
    db.guardianGroup.count({ where: { ...scope, status: "open" } }),
    db.guardianGroup.count({ where: { ...scope, firstSeenAt: { gte: since } } }),
    db.guardianProposal.groupBy({
      by: ["status"],
      where: { ...scope, createdAt: { gte: since } },
      _count: { _all: true },
    }),
    db.guardianRelease.findMany({
      where: { ...scope, releasedAt: { gte: since } },
      orderBy: { releasedAt: "desc" },
      take: MAX_RELEASES,
      select: {
        groupId: true,
        version: true,
        releasedAt: true,
        replayRunIds: true,
        reprocessJobId: true,
      },
    }),
  ]);
  const counts: Record<string, number> = {};
  for (const r of byStatus) counts[r.status] = r._count._all;
  const n = (s: string) => counts[s] ?? 0;
  const groups = releases.length
    ? await db.guardianGroup.findMany({
        where: { id: { in: [...new Set(releases.map((r) => r.groupId))] } },
        select: { id: true, firstSeenAt: true },
      })
    : [];
  const firstSeen = new Map(groups.map((g) => [g.id, g.firstSeenAt.getTime()]));
  const times = releases.flatMap((r) => {
    const t = firstSeen.get(r.groupId);
    return t === undefined ? [] : [Math.max(0, r.releasedAt.getTime() - t)];
  });
  // Replays of the released groups' failed runs on the released version: asked one by one, or
  // items of the reprocess job of their dead letters.
  const jobIds = releases.flatMap((r) => (r.reprocessJobId ? [r.reprocessJobId] : []));
  const items = jobIds.length
    ? await db.reprocessItem.findMany({
        where: { jobId: { in: jobIds } },
        select: { jobId: true, runId: true },
        take: 5000,
      })
    : [];
  const replayed = releases.flatMap((r) => [
    ...(r.replayRunIds as string[]).map((runId) => ({ runId, version: r.version })),
    ...items
      .filter((i) => i.jobId === r.reprocessJobId)
      .map((i) => ({ runId: i.runId, version: r.version })),
  ]);
  const replays = replayed.length
    ? await db.run.findMany({
        where: {
          workspaceId: actor.workspaceId,
          replayOfRunId: { in: replayed.map((x) => x.runId) },
        },
        select: { replayOfRunId: true, version: true, status: true },
        take: 5000,
      })
    : [];
  const fixedRuns = new Set(
    replays
      .filter(
        (r) =>
          r.status === "succeeded" &&
          replayed.some((x) => x.runId === r.replayOfRunId && x.version === r.version),
      )
      .map((r) => r.replayOfRunId),
  );
  return {
    days: input.days,
    groups: { open, new: fresh },
    proposals: { total: Object.values(counts).reduce((a, b) => a + b, 0), byStatus: counts },
    acceptanceRate: ratio(
      n("released") + n("approved"),
      n("released") + n("approved") + n("rejected"),
    ),
    proofPassRate: ratio(
      n("proven") + n("approved") + n("released"),
      n("proven") + n("unproven") + n("approved") + n("released"),
    ),
    releases: releases.length,
    failuresFixedAfterRelease: { fixed: fixedRuns.size, replayed: replayed.length },
    timeToFixMs: { median: median(times), max: times.length ? Math.max(...times) : null },
  };
}
