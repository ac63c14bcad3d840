/**
 * The consumers that fold finished runs into aggregates, one list for wherever they run: on the
 * event loop of a process that executes runs (`run-followers.ts`, on PGlite or with
 * `TRUSTFLOW_FOLD_THREAD=off`) or in its fold thread (`fold-thread.ts`). In the order they stop.
 */
import { startAnomalyConsumer } from "@/server/domain/anomaly/consumer";
import { startRollupConsumer } from "@/server/domain/dashboard/rollup-consumer";
import { startGuardianConsumer } from "@/server/domain/guardian/consumer";
import { startTrustConsumer } from "@/server/domain/trust/consumer";
import type { Db } from "@/server/domain/types";

interface Log {
  child(bindings: { component: string }): { error(obj: object, msg: string): void };
}

export function startFoldConsumers(db: Db, log: Log): Record<string, { stop(): Promise<void> }> {
  return {
    // Earned trust (issue 17): reconciled runs folded into decayed counts, off the hot path.
    trust: startTrustConsumer(db, log.child({ component: "trust" })),
    // The dashboards' rollups: the same reconciled runs, per entity per bucket.
    rollups: startRollupConsumer(db, log.child({ component: "rollups" })),
    // The guardian (issue 18): failed attempts of the same runs grouped, triaged, given fixes.
    guardian: startGuardianConsumer(db, log.child({ component: "guardian" })),
    // Anomaly detection: 5-minute metrics per entity, judged as they arrive.
    anomalies: startAnomalyConsumer(db, log.child({ component: "anomaly" })),
  };
}
