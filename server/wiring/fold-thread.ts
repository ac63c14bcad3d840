/**
 * The fold thread's module (a worker thread of the web process or of `npm run worker`, started by
 * `fold-in-thread.ts`): the consumers of finished runs that fold them into aggregates — earned
 * trust, the dashboards' rollups, the guardian, anomaly detection — with a database client of
 * their own on the same PostgreSQL (embedded or a server), so that their reads, folds and writes
 * never hold the event loop that answers requests (bench/RESULTS.md, 2026-12-07: with them on
 * that loop, a max-load webhook's p99 rose from ~28 to 70-90 ms).
 *
 * Loaded by path at run time through tsx (as `npm start` and `npm run worker` load TypeScript),
 * outside the Next.js bundles. Messages: the parent sends `"stop"`; the thread stops the
 * consumers (each finishes the batch it holds), closes its database and answers `"stopped"`.
 * A database it cannot reach at its start ends the thread with the error (the parent logs it and
 * starts another).
 */
import { parentPort, workerData } from "node:worker_threads";
import { openDatabase } from "@/server/adapters/prisma";
import { configureTrust } from "@/server/domain/trust/score";
import { env } from "@/server/env";
import { logger } from "@/server/logger";
import { startFoldConsumers } from "./fold-consumers";
import type { FoldThreadData } from "./fold-in-thread";

async function main() {
  const { url, poolSize } = workerData as FoldThreadData;
  const e = env();
  const log = logger().child({ thread: "folds" });
  // The same settings as the parent's consumers had: earned trust's half-life.
  configureTrust({ halfLifeMs: e.TRUST_SCORE_HALF_LIFE_DAYS * 86_400_000 });
  const db = await openDatabase({ kind: "postgres", url, poolSize });
  // Unreachable now: end with the error (the parent starts a thread again later).
  await db.driver.query("SELECT 1").catch(async (err: unknown) => {
    await db.close().catch(() => undefined);
    throw err;
  });
  const consumers = Object.values(startFoldConsumers(db.prisma, log));
  parentPort!.on("message", (msg: unknown) => {
    if (msg !== "stop") return;
    void (async () => {
      for (const c of consumers) {
        await c
          .stop()
          .catch((err: unknown) =>
            log.warn({ err: String(err) }, "a fold consumer did not stop cleanly"),
          );
      }
      await db.close().catch(() => undefined);
      parentPort!.postMessage("stopped");
    })();
  });
  parentPort!.postMessage("started");
}

void main().catch((err: unknown) => {
  // Reported to the parent as the thread's error (it logs it and starts a new thread later).
  setImmediate(() => {
    throw err;
  });
});
