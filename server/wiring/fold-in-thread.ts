/**
 * The consumers of finished runs that fold them (earned trust, rollups, guardian, anomalies) in a
 * worker thread of this process (`fold-thread.ts`) instead of on its event loop, when the
 * database is PostgreSQL (embedded or a server): the thread opens its own small pool on the same
 * database. Each consumer takes every run once whichever process or thread runs it (their claims),
 * so moving them changes what they find in nothing; it changes who waits: a fold of a thousand
 * runs no longer holds up the requests this process answers meanwhile.
 *
 * A thread that fails (its database unreachable at its start, an error it did not catch, out of
 * memory) is logged and started again after {@link RESTART_MS}; stopping it asks it to finish its
 * batches and close its database, and terminates it past {@link STOP_MS}.
 *
 * PGlite (tests, the CLI) runs in this process only and cannot be shared with a thread: there the
 * consumers stay on the event loop (`run-followers.ts`).
 */
import path from "node:path";
import { Worker } from "node:worker_threads";

/** What the thread is given. */
export interface FoldThreadData {
  /** The PostgreSQL URL (password included) the parent's services use. */
  url: string;
  /** Connections of the thread's own pool. */
  poolSize: number;
}

/** A failed thread is started again after this long. */
export const RESTART_MS = 5_000;
/** How long a stop waits for the thread's consumers to finish their batches. */
export const STOP_MS = 15_000;
/** The thread's JavaScript heap, at most (old generation). */
export const FOLD_THREAD_HEAP_MB = 1_024;

interface Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface FoldThread {
  stop(): Promise<void>;
}

export function startFoldThread(
  url: string,
  log: Log,
  opts: { poolSize?: number; restartMs?: number; stopMs?: number } = {},
): FoldThread {
  const restartMs = opts.restartMs ?? RESTART_MS;
  const stopMs = opts.stopMs ?? STOP_MS;
  const data: FoldThreadData = { url, poolSize: opts.poolSize ?? 4 };
  let current: Worker | null = null;
  let stopping = false;
  let restart: NodeJS.Timeout | null = null;

  const spawn = () => {
    restart = null;
    const w = new Worker(
      path.join(
        // Loaded by path at run time, never bundled.
        /*turbopackIgnore: true*/ process.cwd(),
        "server",
        "wiring",
        "fold-thread.mjs",
      ),
      {
        workerData: data,
        // The server's own flags (profilers, Next's) stay out; tsx loads the TypeScript module.
        execArgv: ["--import", "tsx"],
        resourceLimits: { maxOldGenerationSizeMb: FOLD_THREAD_HEAP_MB },
      },
    );
    current = w;
    w.on("message", (msg: unknown) => {
      if (msg === "started") log.info({}, "finished runs folded in a worker thread");
    });
    w.on("error", (err) => log.error({ err: String(err) }, "fold thread failed"));
    w.on("exit", (code) => {
      if (current === w) current = null;
      if (stopping) return;
      log.error({ code, restartInMs: restartMs }, "fold thread exited; starting it again");
      restart = setTimeout(spawn, restartMs);
      restart.unref();
    });
  };
  spawn();

  return {
    async stop() {
      stopping = true;
      if (restart) clearTimeout(restart);
      const w = current;
      if (!w) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => void w.terminate().then(() => resolve()), stopMs);
        w.once("exit", () => {
          clearTimeout(timer);
          resolve();
        });
        w.on("message", (msg: unknown) => {
          if (msg === "stopped") void w.terminate();
        });
        w.postMessage("stop");
      });
    },
  };
}
