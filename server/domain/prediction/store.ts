/**
 * Stored failure models (`PredictionModel`): one row per training, numbered per workspace; the
 * latest scores runs. Read through a 10 s per-workspace cache, so a run start costs no query for
 * the model once warm.
 */
import type { Db, Tx } from "../types";
import type { BacktestProtocol } from "./backtest";
import type { FittedModel } from "./model";
import type { QualityFigures } from "./types";

/** Trainings kept per workspace (older ones are pruned). */
export const KEEP_MODELS = 5;
const CACHE_MS = 10_000;
const MAX_CACHED = 500;

export interface StoredModel {
  workspaceId: string;
  version: number;
  trainedAt: number;
  model: FittedModel | null;
  figures: QualityFigures;
  protocol: BacktestProtocol;
  gateEnabled: boolean;
  trainRows: number;
  durationMs: number;
}

interface Row extends Omit<StoredModel, "trainedAt"> {
  trainedAt: Date;
}

const cache = new Map<string, { at: number; model: StoredModel | null }>();

/** Saves a training as the workspace's next version; prunes the oldest. */
export async function saveModel(
  db: Db,
  m: Omit<StoredModel, "version">,
  /** Runs in the saving transaction (the ledger entry of a person's retraining). */
  alsoInTx?: (tx: Tx, version: number) => Promise<unknown>,
): Promise<StoredModel> {
  const version = await db.$transaction(async (tx) => {
    // One training at a time per workspace: the version is the next number under this lock.
    await tx.$executeRawUnsafe(
      `SELECT pg_advisory_xact_lock(hashtext($1))`,
      `prediction:${m.workspaceId}`,
    );
    const [row] = await tx.$queryRawUnsafe<Array<{ v: number }>>(
      `INSERT INTO "PredictionModel" ("workspaceId", "version", "trainedAt", "model", "figures",
              "protocol", "gateEnabled", "trainRows", "durationMs")
       SELECT $1::uuid, coalesce(max("version"), 0) + 1, $2, $3::jsonb, $4::jsonb, $5::jsonb, $6, $7, $8
         FROM "PredictionModel" WHERE "workspaceId" = $1::uuid
       RETURNING "version" AS v`,
      m.workspaceId,
      new Date(m.trainedAt),
      m.model ? JSON.stringify(m.model) : null,
      JSON.stringify(m.figures),
      JSON.stringify(m.protocol),
      m.gateEnabled,
      m.trainRows,
      Math.round(m.durationMs),
    );
    const v = Number(row!.v);
    await tx.$executeRawUnsafe(
      `DELETE FROM "PredictionModel" WHERE "workspaceId" = $1::uuid AND "version" <= $2`,
      m.workspaceId,
      v - KEEP_MODELS,
    );
    await alsoInTx?.(tx, v);
    return v;
  });
  const saved = { ...m, version };
  cache.set(m.workspaceId, { at: Date.now(), model: saved });
  return saved;
}

/** The workspace's latest training, or null (cached 10 s unless `fresh`). */
export async function latestModel(
  db: Pick<Db, "$queryRawUnsafe">,
  workspaceId: string,
  opts: { fresh?: boolean } = {},
): Promise<StoredModel | null> {
  const hit = cache.get(workspaceId);
  if (!opts.fresh && hit && Date.now() - hit.at < CACHE_MS) return hit.model;
  const [row] = await db.$queryRawUnsafe<Row[]>(
    `SELECT "workspaceId"::text AS "workspaceId", "version", "trainedAt", "model", "figures",
            "protocol", "gateEnabled", "trainRows", "durationMs"
       FROM "PredictionModel" WHERE "workspaceId" = $1::uuid ORDER BY "version" DESC LIMIT 1`,
    workspaceId,
  );
  const model = row
    ? {
        ...row,
        version: Number(row.version),
        trainRows: Number(row.trainRows),
        durationMs: Number(row.durationMs),
        trainedAt: row.trainedAt.getTime(),
      }
    : null;
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(workspaceId, { at: Date.now(), model });
  return model;
}
