/**
 * What a session's view shows beyond its own row: the real model routes an admin opted it in to
 * (`model-routes.ts`) and the dataset version it was started from (name, version, hash), read
 * for a page of sessions in two queries.
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
}

/** The details of sessions (their ids and `datasetRef`s), by session id. */
export async function sessionDetails(
  db: Db,
  sessions: ReadonlyArray<{ id: string; datasetRef: string | null }>,
): Promise<Map<string, SessionDetails>> {
  const refs = [...new Set(sessions.flatMap((s) => (s.datasetRef ? [s.datasetRef] : [])))];
  const [routes, versions] = await Promise.all([
    modelRoutesOf(
      db,
      sessions.map((s) => s.id),
    ),
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
  ]);
  const byId = new Map(versions.map((v) => [v.id, v]));
  return new Map(
    sessions.map((s) => {
      const v = s.datasetRef ? byId.get(s.datasetRef) : undefined;
      return [
        s.id,
        {
          modelRoutes: routes.get(s.id) ?? [],
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
