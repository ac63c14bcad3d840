/**
 * What a session's view shows beyond its own row: the real model routes an admin opted it in to
 * (`model-routes.ts`), the dataset version it was started from (name, version, hash) and
 * whether its mock state was lost (`session-state.ts`), read for a page of sessions at once.
 */
import type { Db } from "../types";
import { modelRoutesOf } from "./model-routes";

/** The dataset version a session was started from, as the Sandbox page names it. */
export interface SessionDatasetOrigin {
  datasetId: string;
  versionId: string;
  name: string;
  version: number;
  hash: string;
  rowCount: number;
}

export interface SessionDetails {
  modelRoutes: string[];
  dataset: SessionDatasetOrigin | null;
  /** When its changed mock state was lost (`session-state.ts`), or null. */
  stateLostAt: Date | null;
}

/** The details of sessions (their ids and `datasetRef`s), by session id. */
export async function sessionDetails(
  db: Db,
  sessions: ReadonlyArray<{ id: string; datasetRef: string | null }>,
): Promise<Map<string, SessionDetails>> {
  const refs = [...new Set(sessions.flatMap((s) => (s.datasetRef ? [s.datasetRef] : [])))];
  const ids = sessions.map((s) => s.id);
  const [routes, versions, states] = await Promise.all([
    modelRoutesOf(db, ids),
    refs.length
      ? db.datasetVersion.findMany({
          where: { id: { in: refs } },
          select: {
            id: true,
            datasetId: true,
            version: true,
            hash: true,
            rowCount: true,
            dataset: { select: { name: true } },
          },
        })
      : Promise.resolve([]),
    db.sandboxSessionState.findMany({
      where: { sessionId: { in: ids }, lostAt: { not: null } },
      select: { sessionId: true, lostAt: true },
    }),
  ]);
  const lost = new Map(states.map((s) => [s.sessionId, s.lostAt]));
  const byId = new Map(versions.map((v) => [v.id, v]));
  return new Map(
    sessions.map((s) => {
      const v = s.datasetRef ? byId.get(s.datasetRef) : undefined;
      return [
        s.id,
        {
          modelRoutes: routes.get(s.id) ?? [],
          stateLostAt: lost.get(s.id) ?? null,
          dataset: v
            ? {
                datasetId: v.datasetId,
                versionId: v.id,
                name: v.dataset.name,
                version: v.version,
                hash: v.hash,
                rowCount: v.rowCount,
              }
            : null,
        },
      ];
    }),
  );
}
