/**
 * Which entities a guardian group weighs on (`findingsAt`): the block version it failed on when
 * its IR told it, else every version of its block; its flow and its endpoint either way.
 */
import { describe, expect, it } from "vitest";
import { findingsAt, type GroupRecord } from "./adjustments";
import { DEFAULT_TRUST_CONFIG } from "./score";

const NOW = Date.UTC(2026, 0, 15);

function group(id: string, blockKey: string | null): GroupRecord {
  return {
    id,
    workflowId: "wf",
    flowName: "billing-sync",
    blockId: "billing.account.upsert",
    stepId: "account",
    failingIrHash: `ir-${id}`,
    lastRunId: `run-${id}`,
    blockKey,
    count: 4,
    firstSeenAt: new Date(NOW - 3_600_000),
    lastSeenAt: new Date(NOW),
    regressed: false,
  };
}

describe("guardian groups in the findings index", () => {
  it("weigh on the version they failed on, or on every version when it is unknown", () => {
    const found = findingsAt(
      {
        anomalies: [],
        groups: [group("on-v1", "billing.account.upsert@1.3.0"), group("unknown", null)],
      },
      NOW,
      DEFAULT_TRUST_CONFIG,
    );
    expect(found.size).toBe(2);
    const v1 = found.of("block", "billing.account.upsert@1.3.0");
    expect(v1?.guardianGroups).toBe(2);
    expect(v1?.items.map((i) => i.what)).toEqual([
      "guardian group of 4 failures of billing.account.upsert@1.3.0 in billing-sync",
      "guardian group of 4 failures of billing.account.upsert in billing-sync",
    ]);
    const v2 = found.of("block", "billing.account.upsert@2.1.0");
    expect(v2?.guardianGroups).toBe(1);
    expect(v2?.items.map((i) => i.id)).toEqual(["unknown"]);
    // The flow and the endpoint name no block version: both groups weigh on them.
    expect(found.of("flow", "wf")?.guardianGroups).toBe(2);
    expect(found.of("endpoint", "billing:billing.account.upsert")?.guardianGroups).toBe(2);
  });
});
