/**
 * A training's history as flat typed arrays and one table of strings (pure), for the hand-off to
 * the training thread: the arrays' buffers are transferred (moved, not copied), so the web
 * process pays a loop over the rows instead of a structured clone of every run and attempt object
 * (~100 ms of its event loop for 20,000 runs and 62,000 attempts: bench/RESULTS.md).
 */
import type { HistAttempt, HistRun } from "./features";

export interface PackedHistory {
  strings: string[];
  /** Per run, 5 numbers: startedAt, finishedAt (NaN: unfinished), failed (NaN: none; 0; 1), inputBytes, versionCreatedAt. */
  runNums: Float64Array;
  /** Per run, 5 indexes: id, workflowId, version (-1: none) into `strings`; where its blocks, then its endpoints, start in `sets`. */
  runRefs: Int32Array;
  /** The runs' blocks and endpoints, as indexes into `strings`, run after run. */
  sets: Int32Array;
  attTimes: Float64Array;
  /** Per attempt, 2 indexes: block, endpoint (-1: none). */
  attRefs: Int32Array;
  /** Per attempt: 1 failed, 2 retry, 4 refused by an open breaker. */
  attFlags: Uint8Array;
}

const RUN_NUMS = 5;
const RUN_REFS = 5;

/** The history packed (the inputs stay as they are). */
export function packHistory(
  runs: readonly HistRun[],
  attempts: readonly HistAttempt[],
): PackedHistory {
  const strings: string[] = [];
  const ids = new Map<string, number>();
  const ref = (s: string) => {
    let i = ids.get(s);
    if (i === undefined) {
      i = strings.push(s) - 1;
      ids.set(s, i);
    }
    return i;
  };
  const runNums = new Float64Array(runs.length * RUN_NUMS);
  const runRefs = new Int32Array(runs.length * RUN_REFS);
  const sets: number[] = [];
  runs.forEach((r, i) => {
    runNums.set(
      [
        r.startedAt,
        r.finishedAt ?? NaN,
        r.failed === null ? NaN : r.failed ? 1 : 0,
        r.inputBytes,
        r.versionCreatedAt,
      ],
      i * RUN_NUMS,
    );
    const blocksAt = sets.length;
    for (const b of r.blocks) sets.push(ref(b));
    const endpointsAt = sets.length;
    for (const e of r.endpoints) sets.push(ref(e));
    runRefs.set(
      [
        ref(r.id),
        ref(r.workflowId),
        r.version === undefined ? -1 : ref(r.version),
        blocksAt,
        endpointsAt,
      ],
      i * RUN_REFS,
    );
  });
  const attTimes = new Float64Array(attempts.length);
  const attRefs = new Int32Array(attempts.length * 2);
  const attFlags = new Uint8Array(attempts.length);
  attempts.forEach((a, i) => {
    attTimes[i] = a.finishedAt;
    attRefs[2 * i] = ref(a.block);
    attRefs[2 * i + 1] = a.endpoint === null ? -1 : ref(a.endpoint);
    attFlags[i] = (a.failed ? 1 : 0) | (a.retry ? 2 : 0) | (a.breakerRefused ? 4 : 0);
  });
  return {
    strings,
    runNums,
    runRefs,
    sets: Int32Array.from(sets),
    attTimes,
    attRefs,
    attFlags,
  };
}

/** The buffers of a packed history, to transfer. */
export function packedBuffers(p: PackedHistory): ArrayBuffer[] {
  return [p.runNums, p.runRefs, p.sets, p.attTimes, p.attRefs, p.attFlags].map(
    (a) => a.buffer as ArrayBuffer,
  );
}

/** The history a packed one holds (as `packHistory` was given it). */
export function unpackHistory(p: PackedHistory): { runs: HistRun[]; attempts: HistAttempt[] } {
  const n = p.runNums.length / RUN_NUMS;
  const runs: HistRun[] = [];
  for (let i = 0; i < n; i++) {
    const num = (k: number) => p.runNums[i * RUN_NUMS + k]!;
    const at = (k: number) => p.runRefs[i * RUN_REFS + k]!;
    const blocksAt = at(3);
    const endpointsAt = at(4);
    const end = i + 1 < n ? p.runRefs[(i + 1) * RUN_REFS + 3]! : p.sets.length;
    const strs = (from: number, to: number) =>
      Array.from(p.sets.subarray(from, to), (s) => p.strings[s]!);
    const finishedAt = num(1);
    const failed = num(2);
    const run: HistRun = {
      id: p.strings[at(0)]!,
      workflowId: p.strings[at(1)]!,
      startedAt: num(0),
      finishedAt: Number.isNaN(finishedAt) ? null : finishedAt,
      failed: Number.isNaN(failed) ? null : failed === 1,
      inputBytes: num(3),
      versionCreatedAt: num(4),
      blocks: strs(blocksAt, endpointsAt),
      endpoints: strs(endpointsAt, end),
    };
    if (at(2) >= 0) run.version = p.strings[at(2)]!;
    runs.push(run);
  }
  const attempts: HistAttempt[] = Array.from(p.attTimes, (finishedAt, i) => {
    const endpoint = p.attRefs[2 * i + 1]!;
    const flags = p.attFlags[i]!;
    return {
      block: p.strings[p.attRefs[2 * i]!]!,
      endpoint: endpoint < 0 ? null : p.strings[endpoint]!,
      finishedAt,
      failed: (flags & 1) !== 0,
      retry: (flags & 2) !== 0,
      breakerRefused: (flags & 4) !== 0,
    };
  });
  return { runs, attempts };
}
