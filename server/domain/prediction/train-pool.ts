/**
 * Trainings run off the server's event loop: in a worker thread (piscina, one thread at most per
 * process, started on demand and ended when idle), bounded in time (`TRAIN_TIMEOUT_MS`: past it
 * the thread is terminated) and memory (`TRAIN_HEAP_MB` of JavaScript heap: past it the thread
 * dies, not the server). The history goes in packed into typed arrays that are moved, not copied
 * (`history-pack.ts`), and the model comes back as plain data (`train-work.ts`), so the web
 * process only reads the database, packs, and stores the result.
 *
 * The thread loads the TypeScript module `train-thread.ts` by path at run time (through tsx, as
 * `npm start` and `npm run worker` do), outside the Next.js bundles.
 */
import path from "node:path";
import { Piscina } from "piscina";
import { AppError } from "../errors";
import { packHistory, packedBuffers } from "./history-pack";
import type { ThreadTask } from "./train-thread";
import type { TrainingInput, TrainingOutput } from "./train-work";

/** A training still running after this long is stopped (its thread terminated). */
export const TRAIN_TIMEOUT_MS = 120_000;
/** The training thread's JavaScript heap, at most (old generation). */
export const TRAIN_HEAP_MB = 256;
/** Trainings waiting for the thread, at most (one runs at a time). */
export const TRAIN_QUEUE = 2;
const IDLE_MS = 30_000;

export interface TrainingPoolOptions {
  heapMb?: number;
  timeoutMs?: number;
}

/** A training thread pool. */
export interface TrainingPool {
  /** Runs one training in the thread; AppError when it is stopped or the queue is full. */
  train(input: TrainingInput): Promise<TrainingOutput>;
  close(): Promise<void>;
}

export function createTrainingPool(opts: TrainingPoolOptions = {}): TrainingPool {
  const heapMb = opts.heapMb ?? TRAIN_HEAP_MB;
  const timeoutMs = opts.timeoutMs ?? TRAIN_TIMEOUT_MS;
  const pool = new Piscina<ThreadTask, TrainingOutput>({
    filename: path.join(
      // Loaded by path at run time, never bundled.
      /*turbopackIgnore: true*/ process.cwd(),
      "server",
      "domain",
      "prediction",
      "train-thread.ts",
    ),
    minThreads: 0,
    maxThreads: 1,
    maxQueue: TRAIN_QUEUE,
    idleTimeout: IDLE_MS,
    resourceLimits: { maxOldGenerationSizeMb: heapMb, maxYoungGenerationSizeMb: 32 },
    // The server's own flags (profilers, Next's) stay out; tsx loads the TypeScript module.
    execArgv: ["--import", "tsx"],
  });
  // A thread that dies outside a task (while starting) is replaced by the pool; a training
  // waiting for it ends at its time budget. Without a listener the pool's `error` event would
  // end the server.
  pool.on("error", () => {});
  return {
    async train(input) {
      // The history's arrays are moved to the thread, not copied (`history-pack.ts`).
      const { runs, attempts, ...rest } = input;
      const history = packHistory(runs, attempts);
      try {
        return await pool.run(
          { ...rest, history },
          { signal: AbortSignal.timeout(timeoutMs), transferList: packedBuffers(history) },
        );
      } catch (err) {
        throw trainingError(err, { heapMb, timeoutMs });
      }
    },
    close: () => pool.close({ force: true }),
  };
}

function trainingError(err: unknown, limits: { heapMb: number; timeoutMs: number }): unknown {
  const e = err as { name?: string; code?: string; message?: string };
  if (e.name === "AbortError")
    return new AppError("PRECONDITION_FAILED", {
      message: `The training ran past its ${Math.round(limits.timeoutMs / 1000)} s budget and was stopped; the current model stays.`,
    });
  if (e.code === "ERR_WORKER_OUT_OF_MEMORY")
    return new AppError("PRECONDITION_FAILED", {
      message: `The training needed more than ${limits.heapMb} MB of memory and was stopped; the current model stays.`,
    });
  if (e.message === "Task queue is at limit")
    return new AppError("CONFLICT", {
      message: "Trainings are already running or waiting in this process; try again in a minute.",
    });
  return err;
}

let shared: TrainingPool | null = null;

/** One training in the process's shared training thread. */
export function trainInThread(input: TrainingInput): Promise<TrainingOutput> {
  shared ??= createTrainingPool();
  return shared.train(input);
}
