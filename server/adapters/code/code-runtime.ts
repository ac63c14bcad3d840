/**
 * `code.js`: JavaScript in QuickJS (quickjs-ng, WebAssembly), one fresh runtime per call, in a
 * pool of worker threads (piscina) so a call never blocks the server's event loop. What the code
 * can reach and the limits inside a call are the worker's (`quickjs-worker.mjs`); this side adds
 * the watchdog: a call still running `GRACE_MS` after its deadline (the interpreter's interrupt
 * did not end it), cancelled, or whose thread's JavaScript heap passes the worker's resource
 * limits, has its worker thread terminated, and piscina starts a fresh one for the next call.
 *
 * Errors: the code's own (a thrown error, a syntax error, a timeout, running out of memory, a
 * result too large or not JSON) fail the step without retry — running the same code on the same
 * inputs again gives the same answer.
 */
import path from "node:path";
import { Piscina } from "piscina";
import { NonRetryableError } from "@/server/engine/errors";
import type { BlockRuntime, RuntimeRequest } from "@/server/engine/ports";

/** After the deadline, the interrupt's grace before the thread is terminated. */
export const GRACE_MS = 250;
/** The result's JSON, at most (characters). */
export const MAX_OUTPUT_CHARS = 1024 * 1024;
const STACK_BYTES = 256 * 1024;
const WATCHDOG_TICK_MS = 25;

/** What one call asks the worker (see quickjs-worker.mjs). */
export interface CodeTask {
  source: string;
  inputsJson: string;
  timeoutMs: number;
  memoryBytes: number;
  stackBytes: number;
  maxOutputBytes: number;
  /** Sandbox sessions: `Math.random` seeded and `Date` fixed at `nowMs`. */
  seed?: number;
  nowMs?: number;
}

/** The worker's answer. */
export type CodeAnswer =
  | { ok: true; resultJson: string; logs: string[] }
  | {
      ok: false;
      kind: "error" | "timeout" | "memory" | "output" | "internal";
      name: string;
      message: string;
      logs: string[];
    };

export interface CodeSandboxOptions {
  /** Worker threads at most. Default 2. */
  maxThreads?: number;
  /** The worker script. Default `server/adapters/code/quickjs-worker.mjs` under the app root. */
  workerFile?: string;
}

/** A pool of sandbox threads. */
export interface CodeSandbox {
  run(task: CodeTask, signal?: AbortSignal): Promise<CodeAnswer>;
  /** Threads started so far (a terminated one is replaced by a new one). */
  threadsStarted(): number;
  close(): Promise<void>;
}

export function createCodeSandbox(opts: CodeSandboxOptions = {}): CodeSandbox {
  const filename =
    opts.workerFile ??
    path.join(
      // Loaded by path at run time, never bundled.
      /*turbopackIgnore: true*/ process.cwd(),
      "server",
      "adapters",
      "code",
      "quickjs-worker.mjs",
    );
  let started = 0;
  const pool = new Piscina({
    filename,
    minThreads: 0,
    maxThreads: opts.maxThreads ?? 2,
    idleTimeout: 60_000,
    // The thread's own JavaScript heap (logs, the result's text); QuickJS's memory is capped
    // inside the thread by its WebAssembly memory's maximum.
    resourceLimits: { maxOldGenerationSizeMb: 96, maxYoungGenerationSizeMb: 16 },
    // Fresh threads see nothing of the server's environment, nor its flags (loaders, profilers).
    env: {},
    execArgv: [],
  });
  pool.on("workerCreate", () => started++);
  return {
    async run(task, signal) {
      const ctl = new AbortController();
      // The deadline counts from the moment a thread begins the call (it flags it in `started`),
      // not from the queue: a call waiting for a thread, or for a fresh thread's module, is not
      // late. Polled: the interrupt inside the thread is what keeps the deadline; this is the
      // backstop for a thread that the interrupt does not stop.
      const started = new Int32Array(new SharedArrayBuffer(4));
      let beganAt = 0;
      const watchdog = setInterval(() => {
        if (!beganAt && Atomics.load(started, 0) === 1) beganAt = Date.now();
        if (beganAt && Date.now() - beganAt > task.timeoutMs + GRACE_MS)
          ctl.abort(new Error("deadline"));
      }, WATCHDOG_TICK_MS);
      const onAbort = () => ctl.abort(new Error("cancelled"));
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        return (await pool.run({ ...task, started }, { signal: ctl.signal })) as CodeAnswer;
      } catch (err) {
        if (ctl.signal.aborted) {
          const why = (ctl.signal.reason as Error | undefined)?.message;
          return why === "deadline"
            ? {
                ok: false,
                kind: "timeout",
                name: "TimeoutError",
                message: `The code ran past its deadline of ${task.timeoutMs} ms; its sandbox was terminated.`,
                logs: [],
              }
            : { ok: false, kind: "internal", name: "AbortError", message: "Cancelled.", logs: [] };
        }
        const code = (err as { code?: string }).code;
        if (code === "ERR_WORKER_OUT_OF_MEMORY")
          return {
            ok: false,
            kind: "memory",
            name: "RangeError",
            message: "The code's sandbox ran out of memory and was terminated.",
            logs: [],
          };
        return {
          ok: false,
          kind: "internal",
          name: "InternalError",
          message: `The code sandbox failed: ${(err as Error).message}`,
          logs: [],
        };
      } finally {
        clearInterval(watchdog);
        signal?.removeEventListener("abort", onAbort);
      }
    },
    threadsStarted: () => started,
    close: () => pool.destroy(),
  };
}

/** What every code block's call carries (each sandbox adds its own fields). */
export type CodeCall = Pick<
  CodeTask,
  "source" | "inputsJson" | "timeoutMs" | "memoryBytes" | "maxOutputBytes" | "seed" | "nowMs"
>;

/**
 * A sandbox run's determinism for a code step (issue 16 item 5): the seed of its `Math.random`
 * and the fixed time its `Date` and `Date.now()` answer.
 */
export interface CodeDeterminism {
  seed: number;
  nowMs: number;
}

/**
 * The determinism of a step's call: for a run in a sandbox session (or of a `sandbox: true`
 * flow) its seed and fixed time, null for an ordinary run (the real clock and randomness).
 */
export type CodeDeterminismOf = (req: RuntimeRequest) => Promise<CodeDeterminism | null>;

/**
 * The seed of one step's `Math.random` in a sandbox run: the session's seed mixed with the step's
 * id (fan-out children `step[2]` have their own) and attempt, never the run's id, so that the
 * same session seed gives the same numbers in every run (FNV-1a, 32 bits).
 */
export function stepSeed(sessionSeed: number, stepId: string, attempt: number): number {
  let h = 0x811c9dc5;
  for (const ch of `${sessionSeed >>> 0}\u0000${stepId}\u0000${attempt}`) {
    h ^= ch.codePointAt(0)!;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/**
 * A code block's runtime (`code.js`, `code.python`): the step's inputs become a {@link CodeCall}
 * to `run`, its answer the step's output `{ result, logs }`; the code's own failures fail the
 * step without retry. `deadlineGraceMs`: how long past `timeoutMs` the sandbox may take to
 * answer a runaway call itself, before the engine's retryable timeout would.
 */
export function codeBlockRuntime(
  run: (call: CodeCall, signal: AbortSignal) => Promise<CodeAnswer>,
  deadlineGraceMs: number,
  determinismOf?: CodeDeterminismOf,
): BlockRuntime {
  return {
    deadlineGraceMs,
    async execute(req: RuntimeRequest) {
      const i = req.inputs as {
        source: string;
        inputs?: Record<string, unknown>;
        timeoutMs?: number;
        memoryMb?: number;
      };
      const fixed = determinismOf ? await determinismOf(req) : null;
      const answer = await run(
        {
          source: i.source,
          inputsJson: JSON.stringify(i.inputs ?? {}),
          timeoutMs: i.timeoutMs ?? 5000,
          memoryBytes: (i.memoryMb ?? 128) * 1024 * 1024,
          maxOutputBytes: MAX_OUTPUT_CHARS,
          ...(fixed ? { seed: fixed.seed, nowMs: fixed.nowMs } : {}),
        },
        req.signal,
      );
      if (answer.ok) return { result: JSON.parse(answer.resultJson) as unknown, logs: answer.logs };
      if (req.signal.aborted) throw req.signal.reason ?? new Error("aborted");
      throw new NonRetryableError(`${answer.name}: ${answer.message}`, {
        classification: { category: answer.kind === "internal" ? "system" : "validation" },
        detail: { kind: answer.kind, logs: answer.logs },
      });
    },
  };
}

/**
 * The `code.js` block runtime on `sandbox`. The sandbox answers a runaway call itself
 * (interrupt, then the watchdog), with room for a cold thread's module load. With
 * `determinismOf`, a sandbox run's code gets a seeded `Math.random` and a fixed `Date`.
 */
export function codeJsRuntime(
  sandbox: () => CodeSandbox,
  determinismOf?: CodeDeterminismOf,
): BlockRuntime {
  return codeBlockRuntime(
    (call, signal) => sandbox().run({ ...call, stackBytes: STACK_BYTES }, signal),
    GRACE_MS + 2000,
    determinismOf,
  );
}
