/**
 * A run's replay lineage, as the run view shows it on both sides: the run it replays (if it is a
 * replay run) and the replays of it, oldest first.
 */
import type { RunRecord } from "@/server/engine/types";
import type { Db } from "../types";

export interface RunLineage {
  replayOf: { id: string; status: string } | null;
  /** `createdAt` as an ISO 8601 string. */
  replays: Array<{ id: string; status: string; createdAt: string }>;
}

const MAX_REPLAYS = 100;

/** `run`'s lineage within its workspace (two indexed queries). */
export async function runLineage(
  db: Db,
  run: Pick<RunRecord, "id" | "workspaceId" | "replay">,
): Promise<RunLineage> {
  const [replayOf, replays] = await Promise.all([
    run.replay
      ? db.run.findFirst({
          where: { id: run.replay.ofRunId, workspaceId: run.workspaceId },
          select: { id: true, status: true },
        })
      : null,
    db.run.findMany({
      where: { replayOfRunId: run.id, workspaceId: run.workspaceId },
      orderBy: [{ createdAt: "asc" }, { id: "asc" }],
      take: MAX_REPLAYS,
      select: { id: true, status: true, createdAt: true },
    }),
  ]);
  return {
    replayOf: replayOf ?? null,
    replays: replays.map((r) => ({ ...r, createdAt: r.createdAt.toISOString() })),
  };
}
