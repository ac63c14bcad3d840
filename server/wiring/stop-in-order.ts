/**
 * A process's parts stopped one after another, in the order given (run execution before what
 * its runs need), within a deadline. A part that has not stopped after `slowMs` is named in a
 * warning (an operator then sees which part holds the stop up, not a silent process); past
 * `deadlineMs` the stop gives up on the parts left and answers which part it waited for, so the
 * caller exits anyway: runs are durable, and the reconciler and the claim loop of the next start
 * continue what a forced exit interrupted. A part whose stop fails is logged and the next one
 * stopped all the same.
 */

export interface StopPart {
  name: string;
  stop(): Promise<void> | void;
}

interface Log {
  debug(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

interface ProcessLog extends Log {
  info(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StopOutcome {
  /** Whether every part stopped within the deadline. */
  complete: boolean;
  /** The part the stop was waiting for when the deadline passed (null when complete). */
  waitingFor: string | null;
  /** The parts whose stop failed (logged; the next ones were stopped all the same). */
  failed: string[];
  ms: number;
}

export async function stopInOrder(
  parts: readonly StopPart[],
  log: Log,
  opts: { slowMs?: number; deadlineMs: number },
): Promise<StopOutcome> {
  const startedAt = Date.now();
  const slowMs = opts.slowMs ?? 5_000;
  let current: string | null = null;
  const failed: string[] = [];
  let deadline: NodeJS.Timeout | undefined;
  const expired = new Promise<"expired">((resolve) => {
    deadline = setTimeout(() => resolve("expired"), opts.deadlineMs);
    deadline.unref?.();
  });
  const all = (async () => {
    for (const part of parts) {
      current = part.name;
      const partStart = Date.now();
      const slow = setTimeout(
        () => log.warn({ part: part.name, ms: Date.now() - partStart }, "still stopping"),
        slowMs,
      );
      slow.unref?.();
      try {
        await part.stop();
      } catch (err) {
        failed.push(part.name);
        log.warn({ part: part.name, err: String(err) }, "stopping failed");
      } finally {
        clearTimeout(slow);
      }
      log.debug({ part: part.name, ms: Date.now() - partStart }, "stopped");
    }
    current = null;
    return "done" as const;
  })();
  const result = await Promise.race([all, expired]);
  clearTimeout(deadline);
  return {
    complete: result === "done",
    waitingFor: result === "done" ? null : current,
    failed: [...failed],
    ms: Date.now() - startedAt,
  };
}

/** Parts named by their keys, stopped in the order the object lists them. */
export function partsOf(parts: Record<string, { stop(): Promise<void> | void }>): StopPart[] {
  return Object.entries(parts).map(([name, p]) => ({ name, stop: () => p.stop() }));
}

/** How long closing the database (and stopping an embedded server) may take at a stop. */
export const DATABASE_CLOSE_MS = 15_000;

/**
 * A process's stop (SIGTERM, Ctrl-C): `parts` in order within `deadlineMs`, then the database
 * closed either way (within {@link DATABASE_CLOSE_MS}). Resolves with the exit status: 0 when
 * everything stopped, else 1 (the part it gave up on is logged; runs are durable, so the next
 * start continues what the exit interrupts).
 */
export async function stopProcess(
  parts: readonly StopPart[],
  closeDatabase: () => Promise<void>,
  log: ProcessLog,
  deadlineMs: number,
): Promise<0 | 1> {
  const outcome = await stopInOrder(parts, log, { deadlineMs });
  if (!outcome.complete)
    log.error(
      { waitingFor: outcome.waitingFor, ms: outcome.ms },
      `stop did not finish within TRUSTFLOW_STOP_TIMEOUT_MS (${deadlineMs} ms): exiting anyway`,
    );
  const db = await stopInOrder([{ name: "database", stop: closeDatabase }], log, {
    deadlineMs: DATABASE_CLOSE_MS,
  });
  const clean = outcome.complete && db.complete && !outcome.failed.length && !db.failed.length;
  if (clean) log.info({ ms: outcome.ms + db.ms }, "stopped");
  return clean ? 0 : 1;
}
