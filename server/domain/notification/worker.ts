/**
 * The approvals' and notifications' background loop of a worker process (started with run
 * execution, like the reconciler): every `sweepMs` the approval sweep (`sweepApprovals`: missed
 * parks, expiry, escalation, each event notified), and every `deliverMs` the due webhook
 * deliveries (`deliverDueWebhooks`). A full batch runs the next one at once; a failure is logged
 * and retried at the next tick. Nothing here runs on a request.
 */
import { startBackgroundLoop } from "../background-loop";
import type { EngineLogger } from "@/server/engine/ports";
import { sweepApprovals } from "../approval/approvals";
import type { Transactor } from "../run/ports";
import { deliverDueWebhooks, type WebhookDeps } from "./webhooks";

/** The loop's pace. */
export interface NotificationWorkerOptions {
  /** Approval sweep interval. Default 20 s. */
  sweepMs?: number;
  /** Webhook delivery poll. Default 2 s. */
  deliverMs?: number;
  /** Approvals per sweep batch. Default 200. */
  sweepLimit?: number;
  /** Deliveries per batch. Default 20. */
  deliverLimit?: number;
}

/** A running loop. */
export interface NotificationWorker {
  /** Sends due deliveries now instead of at the next poll. */
  wake(): void;
  stop(): Promise<void>;
}

type Deps = Omit<WebhookDeps, "db"> & {
  transactor: Transactor;
  logger: Pick<EngineLogger, "warn" | "error">;
};

/** Runs `task` every `ms` (at once again when it says `more`), one run at a time. */
function every(ms: number, task: () => Promise<boolean>, onError: (err: unknown) => void) {
  return startBackgroundLoop(() =>
    task().then(
      (more) => (more ? 0 : ms),
      (err: unknown) => {
        onError(err);
        return ms;
      },
    ),
  );
}

/** Starts the loop; the first sweep and delivery batch run at once (a restart's catch-up). */
export function startNotificationWorker(
  deps: Deps,
  opts: NotificationWorkerOptions = {},
): NotificationWorker {
  const sweep = every(
    opts.sweepMs ?? 20_000,
    async () =>
      (await sweepApprovals(deps, { now: deps.clock.now(), limit: opts.sweepLimit })).more,
    (err) => deps.logger.error({ err: String(err) }, "approval sweep failed"),
  );
  const deliver = every(
    opts.deliverMs ?? 2_000,
    async () => (await deliverDueWebhooks(deps, { limit: opts.deliverLimit })).more,
    (err) => deps.logger.error({ err: String(err) }, "webhook delivery batch failed"),
  );
  return {
    wake: () => deliver.wake(0),
    async stop() {
      await Promise.all([sweep.stop(), deliver.stop()]);
    },
  };
}
