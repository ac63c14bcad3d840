/**
 * The anomaly detector against the demo history's planted effects, on a small history (PGlite):
 * the history written as the first start writes it, the anomaly consumer catching up through
 * its normal path (catch-up batches), then what it found compared with the plan
 * (`history-detection.ts`). At this size (a tenth of the demo's runs: about one run of a flow
 * an hour) the effects on rates and latencies are below what the detector may honestly call
 * (its windows hold too few calls: "not enough data"), so the test holds the detector to what
 * such a history can show: the rule-based effect (a new write endpoint) found when it starts,
 * and nothing flagged that nothing planted explains (no template block, no clean entity).
 * `npm run bench:seed:first-start` prints the comparison for the 20,000 runs of the demo.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { sqlHistoryWriter } from "@/server/adapters/store/sql-demo-history";
import { openTestDatabase } from "@/server/testing/test-database";
import { foldAnomalies } from "../anomaly/consumer";
import { CATCH_UP_BATCH } from "../finished-runs";
import { irHashOf } from "../workflow/ir-hash";
import { seedDemoHistory } from "./history";
import { detectionReport, type DetectionReport } from "./history-detection";
import { planted } from "./history-plan";
import { seedDemo } from "./seed-demo";

const RUNS = 2_000;
let db: Database;
let report: DetectionReport;

beforeAll(async () => {
  db = await openTestDatabase();
  await seedDemo(db.prisma, { irHashOf });
  await seedDemoHistory(db.prisma, sqlHistoryWriter(db.driver), {
    runs: RUNS,
    now: new Date("2026-12-01T12:00:00.000Z"),
  });
  for (let more = true; more;)
    more = (await foldAnomalies(db.prisma, { now: Date.now(), batch: CATCH_UP_BATCH })).more;
  const ws = await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "demo" } });
  report = (await detectionReport(db.prisma, ws.id))!;
}, 300_000);
afterAll(async () => {
  await db?.close();
});

describe("the anomaly detector on the demo history", () => {
  it("finds the new write endpoint when it starts", () => {
    const p = report.planted.find((x) => x.kind === "new-write-endpoint")!;
    expect(p.found).toMatchObject({ rule: "new-write-endpoint", key: "crm:crm.deal.create" });
    expect(p.found!.day).toBeGreaterThanOrEqual(planted("new-write-endpoint").fromDay);
    expect(p.found!.day).toBeLessThan(planted("new-write-endpoint").fromDay + 1);
  });

  it("flags nothing that no planted effect explains", () => {
    expect(report.unexplained).toEqual([]);
  });
});
