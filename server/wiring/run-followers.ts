/**
 * What follows runs in every process that executes them (the web process's embedded worker, and
 * each `npm run worker`): the reprocessor of approved dead letters (it starts runs), and what
 * reads finished runs — reconciliation, earned trust, the dashboards' rollups, failure
 * prediction, the guardian, anomaly detection and alert rules —, the approval sweep with signed
 * webhook deliveries, and the recorded-answer retention sweep. Each takes every run once,
 * whichever process and however many run it. One list for both processes, so neither misses one.
 */
import { startAlertEvaluator } from "@/server/domain/alert/evaluate";
import { startReprocessor } from "@/server/domain/deadletter/runner";
import { startNotificationWorker } from "@/server/domain/notification/worker";
import { startPredictionTrainer } from "@/server/domain/prediction";
import { startReconciler } from "@/server/domain/run/reconciler";
import { startAnswerSweep } from "@/server/domain/sandbox/recorded-answers";
import type { env } from "@/server/env";
import type { logger } from "@/server/logger";
import { startFoldConsumers } from "./fold-consumers";
import { startFoldThread } from "./fold-in-thread";
import type { Services } from "./services";

/**
 * `foldThreadUrl`: the PostgreSQL URL this process's services use, when the consumers that fold
 * finished runs (trust, rollups, guardian, anomalies) are to run in a worker thread of their own
 * (`fold-in-thread.ts`; PGlite cannot be shared with one); without it they run on this event loop.
 */
export function startRunFollowers(
  s: Services,
  log: ReturnType<typeof logger>,
  e: Pick<ReturnType<typeof env>, "RECORDED_ANSWER_RETENTION_DAYS">,
  opts: { foldThreadUrl?: string } = {},
) {
  const folds = opts.foldThreadUrl
    ? { folds: startFoldThread(opts.foldThreadUrl, log.child({ component: "folds" })) }
    : startFoldConsumers(s.db, log);
  return {
    // Approved dead-letter reprocess jobs, advanced from their stored state (one at a time).
    reprocessor: startReprocessor(s.reprocessing, s.notifier),
    /** What reads finished runs, in the order it stops (after run execution). */
    readers: {
      // Finished runs checked against their flows, in the background (after their ends).
      reconciler: startReconciler(s.reconciliation, s.notifier),
      // Approval sweep (missed parks, expiry, escalation) and signed webhook deliveries.
      notifications: startNotificationWorker({
        ...s.outgoingWebhooks,
        logger: log.child({ component: "notifications" }),
      }),
      // Recorded answers past RECORDED_ANSWER_RETENTION_DAYS (default 14) deleted in batches
      // of 1,000, every 10 minutes (at once again while a batch was full).
      answers: startAnswerSweep(s.db, e.RECORDED_ANSWER_RETENTION_DAYS, log),
      // Earned trust, the dashboards' rollups, the guardian, anomaly detection: in a worker
      // thread on PostgreSQL, else here (`fold-consumers.ts`).
      ...folds,
      // Failure prediction: each active workspace's model retrained hourly (one at a time).
      prediction: startPredictionTrainer(s.db, log.child({ component: "prediction" })),
      // Alert rules checked every minute.
      alerts: startAlertEvaluator(s.db, log.child({ component: "alerts" })),
    },
  };
}
