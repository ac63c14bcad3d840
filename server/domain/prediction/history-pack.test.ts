/**
 * The training thread's hand-off: a history packed into typed arrays unpacks to the same runs
 * and attempts (unfinished and cancelled runs, runs without a version, attempts without an
 * endpoint included).
 */
import { describe, expect, it } from "vitest";
import { syntheticHistory } from "@/server/testing/prediction-history";
import type { HistAttempt, HistRun } from "./features";
import { packHistory, packedBuffers, unpackHistory } from "./history-pack";

describe("packed history", () => {
  it("unpacks to the history it was given", () => {
    const h = syntheticHistory({ seed: 2, days: 2, everyMinutes: 20 });
    const odd: HistRun[] = [
      { ...h.runs[0]!, finishedAt: null, failed: null, version: undefined },
      { ...h.runs[1]!, failed: null, blocks: [], endpoints: [] },
    ];
    const runs = [...odd, ...h.runs];
    const attempts: HistAttempt[] = h.attempts.map((a) => ({
      block: a.block,
      endpoint: a.endpoint,
      finishedAt: a.finishedAt,
      failed: a.failed,
      retry: a.retry,
      breakerRefused: a.breakerRefused,
    }));
    expect(attempts.some((a) => a.endpoint === null)).toBe(true);
    const packed = packHistory(runs, attempts);
    expect(packedBuffers(packed)).toHaveLength(6);
    // As the thread receives it: a structured clone (the buffers moved).
    const received = structuredClone(packed, { transfer: packedBuffers(packed) });
    const back = unpackHistory(received);
    expect(back.attempts).toEqual(attempts);
    expect(back.runs).toEqual(runs);
    expect("version" in back.runs[0]!).toBe(false);
  });
});
