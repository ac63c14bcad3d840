/**
 * Training a workspace's failure model, and the background loop that retrains them.
 *
 * A training reads the recent history (bounded: `MAX_HISTORY_RUNS`, the span the backtest
 * needs) and the anomalies open at its hours, hands them to the training thread
 * (`train-pool.ts`: features, rolling-origin backtest, final fit, off the event loop, bounded in
 * time and memory), and stores the model it hands back (plain coefficients) as the workspace's
 * next model version with the gate verdict.
 */
import { startBackgroundLoop, type BackgroundLoop } from "../background-loop";
import { appendAudit } from "../audit/ledger";
import type { Actor, Db } from "../types";
import { loadOpenAnomalyHours } from "./anomaly-feature";
import { DEFAULT_BACKTEST, gateRule, type BacktestSettings } from "./backtest";
import { readHistory } from "./history";
import { latestModel, saveModel, type StoredModel } from "./store";
import { trainInThread } from "./train-pool";

/** How often a workspace with recent runs is retrained. */
export const RETRAIN_EVERY_MS = 60 * 60_000;
/** Workspaces without a run in this long are not retrained. */
const ACTIVE_MS = 7 * 24 * 60 * 60_000;

/** The history span a training reads: the backtest's windows, training span and warm-up. */
export function historySpanMs(s: BacktestSettings): number {
  return s.folds * s.horizonMs + s.trainSpanMs + s.lookbackMs;
}

/**
 * Trains the workspace's model as of `now` and stores it as its next version.
 *
 * @example
 * const m = await trainWorkspaceModel(db, ws, { now: Date.now() }); // m.figures.auc, m.gateEnabled
 */
export async function trainWorkspaceModel(
  db: Db,
  workspaceId: string,
  opts: { now: number; settings?: BacktestSettings; actor?: Actor },
): Promise<StoredModel> {
  const started = performance.now();
  const settings = opts.settings ?? DEFAULT_BACKTEST;
  const history = await readHistory(db, workspaceId, {
    from: opts.now - historySpanMs(settings),
    to: opts.now,
  });
  const openAnomalies = await loadOpenAnomalyHours(
    db,
    workspaceId,
    history.runs.map((r) => r.startedAt),
  );
  const { model, figures, protocol, trainRows } = await trainInThread({
    runs: history.runs,
    attempts: history.attempts,
    openAnomalies,
    settings,
    now: opts.now,
  });
  const gate = gateRule(figures);
  const actor = opts.actor;
  return saveModel(
    db,
    {
      workspaceId,
      trainedAt: opts.now,
      model,
      figures,
      protocol: { ...protocol, historyTruncated: history.truncated },
      gateEnabled: model !== null && gate.enabled,
      trainRows,
      durationMs: performance.now() - started,
    },
    actor
      ? (tx, version) =>
          appendAudit(tx, actor, {
            action: "prediction.retrain",
            subjectType: "prediction_model",
            subjectId: String(version),
            payload: {
              version,
              auc: figures.auc,
              baselineAuc: figures.baselineAuc,
              gate: gate.enabled,
            },
          })
      : undefined,
  );
}

/** Workspaces with runs in the last week whose model is older than `everyMs` (or missing). */
async function dueWorkspaces(db: Db, now: number, everyMs: number): Promise<string[]> {
  const rows = await db.$queryRawUnsafe<Array<{ id: string }>>(
    `SELECT w.id::text AS id
       FROM "Workspace" w
      WHERE EXISTS (SELECT 1 FROM "Run" r WHERE r."workspaceId" = w.id AND r."createdAt" > $1
                      AND r."sandboxSessionId" IS NULL)
        AND coalesce((SELECT max(m."trainedAt") FROM "PredictionModel" m
                       WHERE m."workspaceId" = w.id), 'epoch'::timestamptz) < $2
      ORDER BY w.id
      LIMIT 50`,
    new Date(now - ACTIVE_MS),
    new Date(now - everyMs),
  );
  return rows.map((r) => r.id);
}

/**
 * Retrains due workspaces in the background, one at a time (a minute after start, then as soon
 * as one is due; otherwise every 5 minutes).
 */
export function startPredictionTrainer(
  db: Db,
  logger: { error(obj: object, msg: string): void; info(obj: object, msg: string): void },
  opts: { everyMs?: number } = {},
): BackgroundLoop {
  const everyMs = opts.everyMs ?? RETRAIN_EVERY_MS;
  let first = true;
  return startBackgroundLoop(async () => {
    if (first) {
      first = false;
      return 60_000; // leave the start to the requests and the other consumers
    }
    try {
      const [ws] = await dueWorkspaces(db, Date.now(), everyMs);
      if (!ws) return 5 * 60_000;
      const m = await trainWorkspaceModel(db, ws, { now: Date.now() });
      logger.info(
        { workspaceId: ws, version: m.version, auc: m.figures.auc, gate: m.gateEnabled },
        "failure model trained",
      );
      await latestModel(db, ws, { fresh: true });
      return 1_000;
    } catch (err) {
      logger.error({ err: String(err) }, "failure model training failed");
      return 5 * 60_000;
    }
  });
}
