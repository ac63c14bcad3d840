/**
 * The studio's draft run in a sandbox session, as the canvas shows it: which run it follows, and
 * per step the status of its last attempt and whether its output was pinned. A tiny external
 * store (subscribe / get), so the canvas re-renders when a result arrives without the studio's
 * context changing.
 */

/** What the canvas shows on a step of the last sandbox run. */
export interface StepRunMark {
  status: string;
  pinned: boolean;
}

export type StepRunMarks = Readonly<Record<string, StepRunMark>>;

const NONE: StepRunMarks = Object.freeze({});

/** The studio's last sandbox run: which run, in which session. */
export interface SandboxRunRef {
  runId: string;
  sessionId: string;
}

export class SandboxRunMarks {
  private marks: StepRunMarks = NONE;
  private current: SandboxRunRef | null = null;
  private readonly listeners = new Set<() => void>();

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly get = (): StepRunMarks => this.marks;

  readonly getRun = (): SandboxRunRef | null => this.current;

  /** Follows a new run (its marks start empty). */
  setRun(run: SandboxRunRef | null): void {
    this.current = run;
    this.marks = NONE;
    for (const l of this.listeners) l();
  }

  /** Replaces the marks (null: none), notifying only when something changed. */
  set(next: StepRunMarks | null): void {
    const value = next ?? NONE;
    if (sameMarks(this.marks, value)) return;
    this.marks = value;
    for (const l of this.listeners) l();
  }
}

function sameMarks(a: StepRunMarks, b: StepRunMarks): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  return ka.every((k) => a[k]?.status === b[k]?.status && a[k]?.pinned === b[k]?.pinned);
}

/**
 * The marks of a run: each step's last attempt's status (fan-out children, `id[n]`, are left to
 * their parent), and `pinned` for the steps a `step.pinned` event names.
 */
export function marksOfRun(run: {
  attempts: ReadonlyArray<{ stepId: string; attempt: number; status: string }>;
  events: ReadonlyArray<{ type: string; stepId?: string | null }>;
}): StepRunMarks {
  const last = new Map<string, { attempt: number; status: string }>();
  for (const a of run.attempts) {
    if (a.stepId.includes("[") || a.stepId.includes("~")) continue;
    const prev = last.get(a.stepId);
    if (!prev || a.attempt > prev.attempt) last.set(a.stepId, a);
  }
  const pinned = new Set(
    run.events.filter((e) => e.type === "step.pinned" && e.stepId).map((e) => e.stepId!),
  );
  const out: Record<string, StepRunMark> = {};
  for (const [id, a] of last) out[id] = { status: a.status, pinned: pinned.has(id) };
  return out;
}
