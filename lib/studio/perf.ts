/**
 * Performance hooks for the studio benchmark (bench/studio): `performance.mark`s named after
 * studio phases, and `window.__tfPerf` to read them. Test builds only: they exist when the build
 * had `NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS=1` (`npm test`'s e2e build; build with it to run the
 * benchmark); in any other build the check below is `false` at build time and the marks are
 * dropped.
 */
declare global {
  interface Window {
    __tfPerf?: {
      /** Revision -> time (ms, performance.now) each phase finished for that revision. */
      marks: Record<string, Record<number, number>>;
      /** Revision of the text the canvas last rendered. */
      canvasRevision: number;
    };
  }
}

function hook() {
  // Spelled out here (not imported) so the bundler folds it and drops the hook.
  if (process.env.NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS !== "1") return undefined;
  if (typeof window === "undefined") return undefined;
  window.__tfPerf ??= { marks: {}, canvasRevision: -1 };
  return window.__tfPerf;
}

/** Records that `phase` finished for text `revision`. */
export function perfMark(phase: string, revision: number) {
  const h = hook();
  if (!h) return;
  const now = performance.now();
  (h.marks[phase] ??= {})[revision] = now;
  // Keep a bounded record: the benchmark only reads recent revisions.
  const keys = Object.keys(h.marks[phase]!);
  if (keys.length > 500) delete h.marks[phase]![Number(keys[0])];
  try {
    performance.mark(`${phase}:${revision}`);
  } catch {
    // performance.mark can throw in exotic environments; the hook still has the time.
  }
}

/** Called by the canvas after it committed the nodes of `revision`. */
export function perfCanvasRendered(revision: number) {
  const h = hook();
  if (!h) return;
  h.canvasRevision = revision;
  perfMark("tf:canvas", revision);
}
