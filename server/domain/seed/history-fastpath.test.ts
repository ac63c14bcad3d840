/**
 * The fast path records a clean run exactly as the engine does: the same history generated
 * with every run executed by the engine and with the fast path gives equal records, run by
 * run (attempts, events with their checkpoints, completion order, usage, ledger entries).
 */
import { describe, expect, it } from "vitest";
import { compileFlow } from "../workflow/compile-flow";
import { historyBatches, historyStart, type StoredHistoryFlow } from "./history-generate";
import { HISTORY_FLOWS } from "./history-flows";
import { DAY_MS } from "./history-plan";

const endMs = Date.UTC(2026, 11, 6, 5, 0);

function flows(): StoredHistoryFlow[] {
  const start = historyStart(endMs);
  return HISTORY_FLOWS.map((f, i) => ({
    name: f.name,
    workflowId: `00000000-0000-4000-8000-00000000000${i}`,
    versions: f.versions.map((v) => ({
      version: v.version,
      fromMs: start + v.fromDay * DAY_MS,
      ir: compileFlow(v.text).ir!,
    })),
  }));
}

async function generate(runs: number, fastPath: boolean) {
  const out = [];
  const counts = { fast: 0, engine: 0, stuck: 0 };
  for await (const b of historyBatches(
    {
      seed: 5,
      runs,
      endMs,
      workspaceId: "00000000-0000-4000-8000-0000000000ff",
      writtenAt: new Date(endMs),
    },
    flows(),
    250,
    0,
    { fastPath, counts },
  ))
    out.push(...b.runs.map((r) => ({ ...r, ir: r.ir.hash })), ...b.ledger);
  return { out, counts };
}

describe("the demo history's fast path", () => {
  it("records clean runs as the engine does", async () => {
    const engine = await generate(600, false);
    const fast = await generate(600, true);
    expect(engine.counts.fast).toBe(0);
    // Most runs are clean: the comparison covers every flow's clean shape.
    expect(fast.counts.fast).toBeGreaterThan(500);
    expect(fast.counts.engine).toBeGreaterThan(0);
    for (let i = 0; i < engine.out.length; i++)
      expect(fast.out[i], `record ${i}`).toEqual(engine.out[i]);
  }, 120_000);
});
