/**
 * Training in its worker thread: the model handed back (plain coefficients, figures, protocol)
 * equals the one computed in-process from the same history and anomalies; a training past its
 * time budget, or its memory, is stopped with a clear error (the thread terminated, not the
 * process), and the pool trains again afterwards.
 */
import { afterAll, describe, expect, it } from "vitest";
import { syntheticHistory } from "@/server/testing/prediction-history";
import { hourOf } from "./anomaly-hours";
import { DEFAULT_BACKTEST } from "./backtest";
import { DAY_MS } from "./features";
import { createTrainingPool, type TrainingPool } from "./train-pool";
import { trainOnHistory, type TrainingInput } from "./train-work";

const h = syntheticHistory({ seed: 4, days: 5, everyMinutes: 10 });
const now = h.runs[h.runs.length - 1]!.startedAt + 1;
const input: TrainingInput = {
  runs: h.runs,
  attempts: h.attempts,
  // An anomaly open on the first flow's billing endpoint for a day's hours.
  openAnomalies: Array.from({ length: 24 }, (_, i) => [
    hourOf(now - 2 * DAY_MS) + i * 3_600_000,
    ["endpoint:billing:billing.invoice.create"],
  ]),
  settings: { ...DEFAULT_BACKTEST, folds: 2, fitSteps: 100, trainCap: 800 },
  now,
};

const pools: TrainingPool[] = [];
const pool = (o: Parameters<typeof createTrainingPool>[0] = {}) => {
  const p = createTrainingPool(o);
  pools.push(p);
  return p;
};
afterAll(async () => {
  await Promise.all(pools.map((p) => p.close()));
});

describe("training in a worker thread", () => {
  it("hands back the model the same computation gives in-process", async () => {
    const inThread = await pool().train(input);
    const inProcess = trainOnHistory(input);
    expect(inThread.model).not.toBeNull();
    expect(inThread.model!.features).toContain("open_anomalies");
    expect(inThread).toEqual(inProcess);
    expect(inThread.trainRows).toBeGreaterThan(100);
    expect(inThread.protocol.windows).toHaveLength(2);
  }, 60_000);

  it("stops a training past its time budget with a clear error, then trains again", async () => {
    const p = pool({ timeoutMs: 5 });
    await expect(p.train(input)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(
        /past its 0 s budget and was stopped; the current model stays/,
      ),
    });
    const again = pool({ timeoutMs: 60_000 });
    await expect(again.train(input)).resolves.toMatchObject({ trainRows: expect.any(Number) });
  }, 60_000);

  it("stops a training that needs more memory than its thread has", async () => {
    const p = pool({ heapMb: 32, timeoutMs: 60_000 });
    const big: TrainingInput = {
      ...input,
      runs: Array.from({ length: 60 }, () => h.runs).flat(),
      attempts: Array.from({ length: 60 }, () => h.attempts).flat(),
    };
    await expect(p.train(big)).rejects.toMatchObject({
      code: "PRECONDITION_FAILED",
      message: expect.stringMatching(/needed more than 32 MB of memory and was stopped/),
    });
  }, 60_000);
});
