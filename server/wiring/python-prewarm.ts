/**
 * The `code.python` sandbox prepared ahead of its first call: shortly after a process starts
 * executing runs, in the background, the sandbox's checks, its Pyodide memory snapshot (made once
 * per install and Pyodide version, then cached on disk: seconds, up to a minute on a loaded
 * machine) and its warm pool of loaded processes. The first Python step then answers as fast as
 * any later one, instead of paying the snapshot itself. Where the machine refuses the sandbox's
 * isolation, this finds out early and logs why (the steps still fail with that reason).
 *
 * Delayed (`PYTHON_PREWARM_DELAY_MS`) so the start, its first requests and the catch-up of the
 * background consumers come first; the timer never keeps a process alive. Stopping closes the
 * sandbox (prewarmed or started by a Python step): its processes (each the init of its own PID
 * namespace, which ignores the Ctrl-C its process group gets) are killed, so the server exits
 * with no child left behind.
 */
import type { PythonSandbox } from "@/server/adapters/code/python/python-runtime";

/** How long after the start the sandbox is prepared. */
export const PYTHON_PREWARM_DELAY_MS = 30_000;

interface Log {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

/**
 * Prepares `python()`'s sandbox `delayMs` from now (unless stopped first); `null`: never (the
 * operator's `TRUSTFLOW_PYTHON_PREWARM=off`: the first call prepares it).
 *
 * @example
 * const prewarm = startPythonPrewarm(services.python, log.child({ component: "python" }));
 * await prewarm.stop(); // on shutdown
 */
export function startPythonPrewarm(
  python: () => PythonSandbox,
  log: Log,
  delayMs: number | null = PYTHON_PREWARM_DELAY_MS,
): { stop(): Promise<void> } {
  if (delayMs === null) return { stop: () => python().close() };
  let stopped = false;
  let running: Promise<void> | undefined;
  const timer = setTimeout(() => {
    if (stopped) return;
    const t0 = Date.now();
    running = python()
      .warmUp()
      .then(
        (disabled) =>
          disabled
            ? log.warn({ why: disabled }, "code.python is disabled on this server")
            : log.info(
                { ms: Date.now() - t0 },
                "code.python sandbox prepared (snapshot, warm pool)",
              ),
        (err: unknown) => log.warn({ err: String(err) }, "code.python sandbox preparation failed"),
      );
  }, delayMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await python().close();
    },
  };
}
