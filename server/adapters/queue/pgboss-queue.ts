/**
 * pg-boss (10.x) as the run queue of the scale-out mode: the web process only enqueues a
 * "run.advance" job whenever a run becomes due (start, resume, subflow end; timers are enqueued
 * with `startAfter` by the worker that parked the run), and `npm run worker` processes on any
 * machine take the jobs. A job is a wake-up: the worker that takes it claims due runs from the
 * store, whose lease guarantees one advancer per run; the store's claim poll stays the safety
 * net (expired leases, lost jobs).
 */
import PgBoss from "pg-boss";
import type { RunNotifier } from "@/server/domain/run/ports";

/** The queue of run wake-ups. */
export const RUN_ADVANCE_QUEUE = "run.advance";
/** pg-boss's own tables live in this schema. */
export const PGBOSS_SCHEMA = "pgboss";

/** A job of {@link RUN_ADVANCE_QUEUE}. */
export interface RunAdvanceJob {
  runId: string;
}

/** Starts pg-boss on `connectionString` and makes sure the run queue exists. */
export async function openBoss(
  connectionString: string,
  onError: (err: unknown) => void,
  opts: { supervise?: boolean; max?: number } = {},
): Promise<PgBoss> {
  const boss = new PgBoss({
    connectionString,
    schema: PGBOSS_SCHEMA,
    max: opts.max ?? 4,
    supervise: opts.supervise ?? true,
    application_name: "trustflow-pgboss",
  });
  boss.on("error", onError);
  await boss.start();
  // Workers starting together race to create the queue; pg-boss 10's createQueue can then
  // deadlock (or hit the unique name) in one of them: that one tries again.
  for (let attempt = 1; ; attempt++) {
    try {
      await boss.createQueue(RUN_ADVANCE_QUEUE, {
        name: RUN_ADVANCE_QUEUE,
        // A wake-up has no work of its own to retry: the store keeps the run due.
        retryLimit: 0,
        expireInSeconds: 60,
        retentionMinutes: 10,
      });
      break;
    } catch (err) {
      const code = (err as { code?: string }).code;
      const transient = code === "40P01" || code === "40001" || code === "23505";
      if (!transient || attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 50 * attempt + Math.random() * 100));
    }
  }
  return boss;
}

/** Enqueues a wake-up for `runId`, optionally not before `at` (epoch ms). */
export function enqueueRun(boss: PgBoss, runId: string, at?: number): Promise<string | null> {
  const job: RunAdvanceJob = { runId };
  return at !== undefined && at > Date.now()
    ? boss.send(RUN_ADVANCE_QUEUE, job, { startAfter: new Date(at) })
    : boss.send(RUN_ADVANCE_QUEUE, job);
}

/**
 * The web process's side of the scale-out mode: every in-process "run due" (run start, resume,
 * cancel of a child) becomes a job. Returns the stop function.
 */
export async function startPgBossProducer(
  connectionString: string,
  notifier: Pick<RunNotifier, "onRunDue">,
  onError: (err: unknown) => void,
): Promise<{ boss: PgBoss; stop(): Promise<void> }> {
  const boss = await openBoss(connectionString, onError, { supervise: false, max: 4 });
  const unsubscribe = notifier.onRunDue((runId) => {
    enqueueRun(boss, runId).catch(onError);
  });
  return {
    boss,
    async stop() {
      unsubscribe();
      await boss.stop({ graceful: true, timeout: 5_000, wait: true });
    },
  };
}
