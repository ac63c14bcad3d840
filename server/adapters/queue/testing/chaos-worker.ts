/**
 * Entry of a chaos-test worker process (`node --import tsx chaos-worker.ts`): the real pg-boss
 * worker on DATABASE_URL, with the recording write double, short leases and a fast poll. The
 * test SIGKILLs and restarts these processes.
 */
import { openDatabase } from "@/server/adapters/prisma";
import { createServices } from "@/server/wiring/services";
import { sqlFromDriver } from "../../store/sql-run-store";
import { startPgBossWorker } from "../pgboss-worker";
import { recordingWriteRuntimes } from "./recording-write-runtime";

const url = process.env.DATABASE_URL!;
const workerId = process.env.CHAOS_WORKER_ID ?? `chaos-${process.pid}`;
// Small pools: the test suite shares the server's connection limit with other test files.
const db = await openDatabase({ kind: "postgres", url, poolSize: 3 });
const sql = sqlFromDriver(db.driver);
const worker = await startPgBossWorker(createServices(db), {
  connectionString: url,
  workerId,
  runtimes: recordingWriteRuntimes(sql, workerId, () =>
    Math.floor(Math.random() * Number(process.env.CHAOS_DELAY_MS ?? 8)),
  ),
  leaseMs: Number(process.env.CHAOS_LEASE_MS ?? 1500),
  pollMs: 200,
  concurrency: Number(process.env.CHAOS_CONCURRENCY ?? 8),
  perWorkspaceLimit: Number(process.env.CHAOS_WORKSPACE_LIMIT ?? 4),
  schedule: false,
  heartbeatMs: 1_000,
  bossPoolSize: 2,
});
process.stdout.write(`ready ${workerId}\n`);
process.once("SIGTERM", () => {
  void worker.stop().then(() => db.close().then(() => process.exit(0)));
});
