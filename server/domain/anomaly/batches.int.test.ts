/**
 * What the anomaly consumer finds does not depend on where its batches end (PGlite): one hour of
 * runs of a one-step flow, with a latency spike of ten minutes, after two days of history (its
 * buckets written as the consumer would have folded them), and one run of the spike reconciled
 * last (a late commit: its windows are judged again when it comes), folded from scratch in one
 * batch, in batches of 7 runs, in two batches cut inside the spike's windows, and with the late
 * run alone after the rest. Every split finds the same anomalies: the spike once per entity,
 * from the first window it reaches to the last, with the values of the complete windows, and
 * nothing else.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Prng } from "@/server/adapters/connectors/mock/prng";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { compileFlow } from "../workflow/compile-flow";
import { foldAnomalies } from "./consumer";
import { BUCKET_MS, emptyStats, latencyBin, type BucketStats } from "./metrics";

const FLOW = `flow: batch-look
version: 1.0.0
steps:
  - id: look
    uses: crm.contact.get@1
    with: { id: CON-1 }
`;
const MIN = 60_000;
const DAY = 86_400_000;
/** The folded hour starts on a window boundary; the history is the two days before it. */
const T0 = Date.UTC(2026, 10, 2, 9, 0);
/** A run ends every 7.5 s (40 a bucket, as in the history); the spike: T0 + 30 to 40 minutes. */
const EVERY_MS = 7_500;
const RUNS = 480;
const SPIKE = { from: T0 + 30 * MIN, to: T0 + 40 * MIN };
/** The run reconciled last: it ended in the spike, inside the window the spike is detected in. */
const LATE_END = T0 + 33 * MIN + 1_000;

let db: Database;
let workspaceId: string;
let workflowId: string;
/** The block version the step compiles to (`id@version`). */
let BLOCK: string;
const ENDPOINT = "crm:crm.contact.get";

/** A log-normal latency around 100 ms (the spike: three times that). */
const latency = (r: Prng, spike = false) =>
  Math.round((spike ? 300 : 100) * Math.exp(0.4 * (r.next() + r.next() + r.next() - 1.5)));

beforeAll(async () => {
  db = await openTestDatabase();
  const owner = await makeUser(db.prisma, "batches");
  workspaceId = owner.workspace.id;
  const api = callerFor(db.prisma, owner.user, workspaceId);
  workflowId = (await api.workflow.create({ name: "Batch Look", dsl: FLOW })).id;
  await api.workflow.createVersion({ id: workflowId, version: "1.0.0", dsl: FLOW });
  const ir = compileFlow(FLOW).ir!;
  BLOCK = `${ir.steps[0]!.block.id}@${ir.steps[0]!.block.version}`;
  const irKey = `batches:${ir.hash}`;
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "FlowIr" ("key", "ir") VALUES ($1, $2)`,
    irKey,
    JSON.stringify(ir),
  );
  const r = new Prng(7);
  const run = (end: number, reconciledAt: number) => {
    const ms = latency(r, end >= SPIKE.from && end < SPIKE.to);
    return { id: randomUUID(), start: end - ms, end, ms, reconciledAt };
  };
  const runs = Array.from({ length: RUNS }, (_, i) => {
    const end = T0 + (i + 1) * EVERY_MS - 1;
    return run(end, end + 500);
  });
  runs.push(run(LATE_END, T0 + 61 * MIN));
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", "irKey", status, inputs,
                        "createdAt", "startedAt", "finishedAt", "reconciledAt")
     SELECT x.id, $1::uuid, $2::uuid, '1.0.0', $3, $4, 'succeeded', '{}'::jsonb, x.start, x.start,
            x.fin, x.rec
       FROM unnest($5::uuid[], $6::timestamptz[], $7::timestamptz[], $8::timestamptz[])
            AS x(id, start, fin, rec)`,
    workspaceId,
    workflowId,
    ir.hash,
    irKey,
    runs.map((x) => x.id),
    runs.map((x) => new Date(x.start)),
    runs.map((x) => new Date(x.end)),
    runs.map((x) => new Date(x.reconciledAt)),
  );
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "StepAttempt" ("runId", "stepId", "attempt", "status", "blockId", "idempotencyKey",
                                "startedAt", "finishedAt", "durationMs")
     SELECT x.run, 'look', 1, 'succeeded', 'crm.contact.get', x.run::text || ':look', x.start, x.fin, x.ms
       FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[], $4::int[]) AS x(run, start, fin, ms)`,
    runs.map((x) => x.id),
    runs.map((x) => new Date(x.start)),
    runs.map((x) => new Date(x.end)),
    runs.map((x) => x.ms),
  );
});
afterAll(() => db?.close());

/** The detector's tables as before the first fold: only the two days of history's buckets. */
async function reset() {
  for (const table of ["Anomaly", "AnomalyEntity", "AnomalyBucket", "AnomalyFoldedRun"])
    await db.prisma.$executeRawUnsafe(`DELETE FROM "${table}"`);
  await db.prisma.$executeRawUnsafe(`DELETE FROM "TrustCursor"`);
  const r = new Prng(3);
  const rows = [];
  for (let t = T0 - 2 * DAY; t < T0; t += BUCKET_MS) {
    const s: BucketStats = emptyStats();
    s.runs = s.calls = 40;
    for (let i = 0; i < 40; i++) s.latency[latencyBin(latency(r))]!++;
    for (const [kind, key] of [
      ["flow", workflowId],
      ["block", BLOCK],
      ["endpoint", ENDPOINT],
    ] as const)
      rows.push({ workspaceId, kind, key, bucket: new Date(t), ...s });
  }
  await db.prisma.anomalyBucket.createMany({ data: rows });
}

/** Folds every run from scratch in batches of `sizes` runs (the last size repeated). */
async function foldIn(sizes: number[]) {
  await reset();
  const now = T0 + 2 * 60 * MIN;
  let batches = 0;
  for (let more = true; more; batches++)
    more = (
      await foldAnomalies(db.prisma, { now, batch: sizes[Math.min(batches, sizes.length - 1)]! })
    ).more;
  const rows = await db.prisma.anomaly.findMany({ orderBy: [{ kind: "asc" }, { key: "asc" }] });
  return {
    batches,
    anomalies: rows.map((a) => ({
      kind: a.kind,
      key: a.key,
      metric: a.metric,
      rule: a.rule,
      windowStart: a.windowStart.toISOString(),
      detectedAt: a.detectedAt.toISOString(),
      lastSeenAt: a.lastSeenAt.toISOString(),
      repeats: a.repeats,
      baseline: a.baseline,
      observed: a.observed,
      n: a.n,
      score: a.score,
    })),
  };
}

describe("anomaly detection across batch boundaries", () => {
  let whole: Awaited<ReturnType<typeof foldIn>>;

  it("finds the spike once per entity when the hour is folded in one batch", async () => {
    whole = await foldIn([10_000]);
    expect(whole.batches).toBe(1);
    const at = (minutes: number) => new Date(T0 + minutes * MIN).toISOString();
    // The windows ending 5–20 minutes after the spike's start hold it: one anomaly per entity,
    // with the values of the first (its 120 calls and the late one).
    expect(whole.anomalies.map((a) => [a.kind, a.key, a.metric, a.rule])).toEqual([
      ["block", BLOCK, "p95_latency", "tail-exceedance"],
      ["endpoint", ENDPOINT, "p95_latency", "tail-exceedance"],
      ["flow", workflowId, "p95_latency", "tail-exceedance"],
    ]);
    for (const a of whole.anomalies)
      expect(a).toMatchObject({
        windowStart: at(20),
        detectedAt: at(35),
        lastSeenAt: at(50),
        repeats: 3,
        n: 121,
      });
  });

  it.each([
    ["batches of 7 runs", [7]],
    ["a cut 7.5 minutes into the spike", [300, 10_000]],
    ["a cut 30 s after the spike starts", [244, 10_000]],
    ["the late run alone, after the rest", [RUNS, 1]],
  ])("finds the same with %s", async (_, sizes) => {
    const split = await foldIn(sizes);
    expect(split.batches).toBeGreaterThan(1);
    expect(split.anomalies).toEqual(whole.anomalies);
  });
});
