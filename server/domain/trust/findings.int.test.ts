/**
 * Findings feed earned trust (issue 17 item 1), on the database: an anomaly not marked expected
 * and guardian groups (recurring failures; a released fix failing again) lower the scores of
 * the entities they name, bounded, shown among the inputs (tRPC and `GET /api/v1/trust`) and in
 * the hover's words; marking the anomaly expected takes its effect back. A guardian group
 * lowers the block version its step ran in the IR it failed on, not the block's other versions
 * (every version only when that IR or step cannot be found).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { SqlRunStore, sqlFromDriver } from "@/server/adapters/store/sql-run-store";
import { recordFindings } from "@/server/domain/anomaly/detector";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { page, ZTrustEntry } from "@/server/rest/schemas";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { restClient, tokenOf } from "@/server/testing/rest";
import { openTestDatabase } from "@/server/testing/test-database";
import { getTrustEntity } from "../dashboard/trust-trend";
import { clearTrustProviders, earnedTrustLookup, listTrust } from "./list-trust";
import { DEFAULT_TRUST_CONFIG } from "./score";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const ws = () => owner.workspace.id;
const BLOCK = "crm.deal.create@1.0.0";
const ENDPOINT = "crm:crm.deal.create";
const WF = randomUUID();
const now = () => Date.now();

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "trust-findings");
  const at = new Date();
  const row = (kind: string, key: string, meta: object = {}) => ({
    workspaceId: ws(),
    kind,
    key,
    label: key,
    baseline: 0.9,
    meta,
    successes: 95,
    failures: 5,
    attempts: 100,
    at,
  });
  await db.prisma.trustCount.createMany({
    data: [
      row("block", BLOCK),
      row("endpoint", ENDPOINT),
      row("block", "data.transform@1.0.0"),
      row("flow", `${WF}@1.0.0`, { blocks: ["data.transform@1.0.0", BLOCK] }),
    ],
  });
});
afterAll(() => db?.close());

async function score(kind: "block" | "endpoint" | "flow", key: string, workspaceId = ws()) {
  const e = (await listTrust(db.prisma, workspaceId, kind, now())).find((x) => x.key === key);
  if (!e) throw new Error(`${kind} ${key} is not listed`);
  return e;
}

function anomaly(kind: string, key: string, metric: string) {
  const t = now();
  return recordFindings(db.prisma, [
    {
      workspaceId: ws(),
      kind: kind as "block",
      key,
      label: key,
      metric,
      rule: "robust-z",
      baseline: 0.05,
      observed: 0.5,
      n: 40,
      score: 9,
      threshold: 5,
      explanation: "planted",
      windowStart: t - 900_000,
      at: t,
    },
  ]);
}

describe("findings in earned trust", () => {
  let first: string;
  let clean: Awaited<ReturnType<typeof score>>;
  let one: Awaited<ReturnType<typeof score>>;

  it("an anomaly lowers its block's score (and the flow's), shown among the inputs", async () => {
    clean = await score("block", BLOCK);
    expect(clean.enoughData).toBe(true);
    expect(clean.inputs).toMatchObject({ anomalies: 0, guardianGroups: 0, regressions: 0 });
    const cleanFlow = await score("flow", `${WF}@1.0.0`);

    expect(await anomaly("block", BLOCK, "error_rate")).toBe(1);
    first = (await db.prisma.anomaly.findFirstOrThrow({ where: { key: BLOCK } })).id;
    one = await score("block", BLOCK);
    expect(one.inputs.anomalies).toBe(1);
    expect(one.findingsPenalty).toBe(DEFAULT_TRUST_CONFIG.findingWeights.anomalies);
    expect(one.score).toBeLessThan(clean.score);
    expect(one.findings).toEqual([
      expect.objectContaining({ source: "anomaly", id: first, weight: 1 }),
    ]);
    expect(one.why).toMatch(/findings add 2 pseudo-failures .*anomaly: error rate \(robust-z\)/);
    // Its flow's score is its lowest step's: the block's, lowered with it.
    const flow = await score("flow", `${WF}@1.0.0`);
    expect(flow.score).toBeLessThan(cleanFlow.score);
    expect(flow.lowest?.key).toBe(BLOCK);
    // Other entities are untouched.
    expect((await score("endpoint", ENDPOINT)).inputs.anomalies).toBe(0);
    // The run-start lookup sees it too.
    clearTrustProviders();
    const lookup = await earnedTrustLookup(db.prisma, ws(), now());
    expect(lookup({ id: "crm.deal.create", version: "1.0.0" })?.score).toBe(one.score);
  });

  it("more findings lower it further, within the bound; marking expected takes one back", async () => {
    await anomaly("block", BLOCK, "p95_latency");
    const two = await score("block", BLOCK);
    expect(two.inputs.anomalies).toBe(2);
    expect(two.score).toBeLessThanOrEqual(one.score);

    await api().anomaly.feedback({ id: first, feedback: "real" });
    expect((await score("block", BLOCK)).score).toBe(two.score); // real: it still counts

    await api().anomaly.feedback({ id: first, feedback: "expected" });
    const back = await score("block", BLOCK);
    expect(back.inputs.anomalies).toBe(1);
    expect(back.score).toBe(one.score);
    const second = (await db.prisma.anomaly.findFirstOrThrow({ where: { metric: "p95_latency" } }))
      .id;
    await api().anomaly.feedback({ id: second, feedback: "expected" });
    expect((await score("block", BLOCK)).score).toBe(clean.score);

    // Many findings: the penalty stops at the cap.
    for (const m of ["tokens", "cost", "writes", "calls_per_run", "output_volume"])
      await anomaly("endpoint", ENDPOINT, m);
    const capped = await score("endpoint", ENDPOINT);
    expect(capped.inputs.anomalies).toBe(5);
    expect(capped.findingsPenalty).toBe(DEFAULT_TRUST_CONFIG.findingsCap);
  });

  it("guardian groups lower the block, its endpoint and its flow; a fix failing again more", async () => {
    const before = await score("block", BLOCK);
    const beforeFlow = await score("flow", `${WF}@1.0.0`);
    const group = randomUUID();
    const t = new Date();
    await db.prisma.guardianGroup.create({
      data: {
        id: group,
        workspaceId: ws(),
        workflowId: WF,
        flowName: "deals",
        stepId: "deal",
        blockId: "crm.deal.create",
        operation: "crm.deal.create",
        errorName: "HttpError",
        strictKey: "k",
        template: "the CRM answered 500",
        rulesVersion: 1,
        class: "resilience",
        count: 4,
        firstSeenAt: new Date(t.getTime() - 3_600_000),
        lastSeenAt: t,
        firstRunId: randomUUID(),
        lastRunId: randomUUID(),
        failingVersion: "1.0.0",
        failingIrHash: "h",
      },
    });
    const grouped = await score("block", BLOCK);
    expect(grouped.inputs.guardianGroups).toBe(1);
    expect(grouped.score).toBeLessThan(before.score);
    expect((await score("flow", `${WF}@1.0.0`)).score).toBeLessThan(beforeFlow.score);
    expect((await score("endpoint", ENDPOINT)).inputs.guardianGroups).toBe(1);

    // Its fix was released as 1.0.1, and 1.0.1 fails the same way afterwards.
    const proposal = randomUUID();
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "GuardianProposal" (id, "workspaceId", "groupId", "workflowId", "baseVersion",
              "baseIrHash", rule, title, rationale, text, bump, "nextVersion", status)
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, '1.0.0', 'h', 'retry', 'Back off', 'r', 't',
               'patch', '1.0.1', 'released')`,
      proposal,
      ws(),
      group,
      WF,
    );
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "GuardianRelease" ("proposalId", "workspaceId", "groupId", "workflowId",
              "approvalId", version, "versionId", "releasedBy", "releasedById", "releasedAt")
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4::uuid, $5::uuid, '1.0.1', $6::uuid, 'ann', $7::uuid, $8)`,
      proposal,
      ws(),
      group,
      WF,
      randomUUID(),
      randomUUID(),
      owner.user.id,
      new Date(t.getTime() - 60_000),
    );
    await db.prisma.guardianMember.create({
      data: {
        groupId: group,
        workspaceId: ws(),
        runId: randomUUID(),
        stepId: "deal",
        attempt: 1,
        fingerprint: "f",
        template: "the CRM answered 500",
        message: "the CRM answered 500",
        version: "1.0.1",
        irHash: "h2",
        similarity: 1,
        seenAt: t,
      },
    });
    const regressed = await score("block", BLOCK);
    expect(regressed.inputs).toMatchObject({ guardianGroups: 0, regressions: 1 });
    expect(regressed.score).toBeLessThan(grouped.score);
    expect(regressed.findings[0]?.what).toMatch(/failing again after its fix was released/);
  });

  it("a flow's own findings weigh on each of its steps at its runs' start", async () => {
    // The guardian group above names the flow WF: its steps' scores at a run's start are lower
    // for runs of WF than for runs of another flow using the same blocks.
    clearTrustProviders();
    const other = await earnedTrustLookup(db.prisma, ws(), now(), DEFAULT_TRUST_CONFIG, null);
    const ofWf = await earnedTrustLookup(db.prisma, ws(), now(), DEFAULT_TRUST_CONFIG, WF);
    const step = { id: "data.transform", version: "1.0.0" };
    expect(other(step)?.score).toBeGreaterThan(0);
    expect(ofWf(step)!.score).toBeLessThan(other(step)!.score);
    // As the Trust page scores the flow's steps.
    const flow = await score("flow", `${WF}@1.0.0`);
    expect(ofWf({ id: "crm.deal.create", version: "1.0.0" })?.score).toBe(flow.score);
  });

  it("weigh on the trend from the day they were found, as on the live score", async () => {
    // No rollups here: every day of the trend has the same (no) history, so only the findings
    // (the group first seen an hour ago, the anomalies today) tell today from three days ago.
    // Without history the baseline stands in for the score; the interval shows the findings.
    for (const [kind, key] of [
      ["block", BLOCK],
      ["endpoint", ENDPOINT],
      ["flow", `${WF}@1.0.0`],
    ] as const) {
      const { trend } = await getTrustEntity(db.prisma, ws(), { kind, key, range: "7d" }, now());
      expect(trend).toHaveLength(30);
      const [before, today] = [trend.at(-4)!, trend.at(-1)!];
      expect(today.n).toBe(0);
      expect(today.high, `${kind} ${key}`).toBeLessThan(before.high);
      expect(today.low, `${kind} ${key}`).toBeLessThan(before.low);
      // Three days ago nothing had been found: the same as on any earlier day.
      expect(before).toMatchObject({ low: trend[0]!.low, high: trend[0]!.high });
    }
  });

  it("GET /api/v1/trust shows the findings among the inputs", async () => {
    const rest = restClient(db);
    const token = await tokenOf(db, owner.user, ws(), "admin", ["read"]);
    const res = await rest("GET", "/trust?kind=endpoint", { token });
    expect(res.status).toBe(200);
    const body = page(ZTrustEntry).parse(res.body);
    const e = body.items.find((x) => x.key === ENDPOINT)!;
    expect(e.inputs).toMatchObject({ anomalies: 5, regressions: 1 });
    expect(e.findingsPenalty).toBe(DEFAULT_TRUST_CONFIG.findingsCap);
    expect(e.findings.length).toBeGreaterThan(0);
  });
});

describe("a guardian group in earned trust", () => {
  const ID = "billing.account.upsert";
  const [V1, V2] = [`${ID}@1.3.0`, `${ID}@2.1.0`];
  const ENDPOINT2 = `billing:${ID}`;
  // Version 1.0.0 of a flow still on the block's major 1: a step, and each item of a foreach.
  const FLOW = `flow: billing-sync
version: 1.0.0
inputs:
  ids: { type: array, items: { type: string } }
steps:
  - id: account
    uses: ${ID}@1
    with: { customerId: CUS-88, name: Ada, email: ada@example.com, currency: EUR }
  - id: each
    uses: control.foreach@1
    with:
      items: \${{ inputs.ids }}
      do:
        uses: ${ID}@1
        with:
          customerId: \${{ item }}
          name: Ada
          email: ada@example.com
          currency: EUR
`;
  let other: Awaited<ReturnType<typeof makeUser>>;
  const ws2 = () => other.workspace.id;
  /** The run the first groups' failures were recorded in, and its IR's hash. */
  let failed: { runId: string; irHash: string };

  beforeAll(async () => {
    other = await makeUser(db.prisma, "trust-versions");
    const at = new Date();
    await db.prisma.trustCount.createMany({
      data: (
        [
          ["block", V1],
          ["block", V2],
          ["endpoint", ENDPOINT2],
        ] as const
      ).map(([kind, key]) => ({
        workspaceId: ws2(),
        kind,
        key,
        label: key,
        baseline: 0.9,
        meta: {},
        successes: 95,
        failures: 5,
        attempts: 100,
        at,
      })),
    });
  });

  /** An open group of 4 failures of the block's step `stepId`, the last in run `lastRunId`. */
  function group(stepId: string, failingIrHash: string, lastRunId: string) {
    const t = Date.now();
    return db.prisma.guardianGroup.create({
      data: {
        id: randomUUID(),
        workspaceId: ws2(),
        flowName: "billing-sync",
        stepId,
        blockId: ID,
        operation: ID,
        errorName: "HttpError",
        strictKey: `k-${stepId}-${failingIrHash}`,
        template: "billing answered 500",
        rulesVersion: 1,
        class: "resilience",
        count: 4,
        firstSeenAt: new Date(t - 3_600_000),
        lastSeenAt: new Date(t),
        firstRunId: lastRunId,
        lastRunId,
        failingVersion: "1.0.0",
        failingIrHash,
      },
    });
  }

  it("lowers the block version its failures ran, not the version users upgrade to", async () => {
    const [clean1, clean2] = [await score("block", V1, ws2()), await score("block", V2, ws2())];
    const compiled = compileFlow(FLOW);
    if (!compiled.ir) throw new Error(compiled.diagnostics.map((d) => d.message).join("\n"));
    const ir = compiled.ir;
    // The run the failures were recorded in, as the engine stores it (its IR in `FlowIr`).
    const { run } = await new SqlRunStore(sqlFromDriver(db.driver)).createRun({
      id: randomUUID(),
      workspaceId: ws2(),
      workflowId: null,
      version: "1.0.0",
      ir,
      inputs: { ids: ["CUS-1"] },
      now: now(),
    });
    failed = { runId: run.id, irHash: ir.hash };
    await group("account", ir.hash, run.id);
    await group("each[3]", ir.hash, run.id); // a foreach item: the `do` block's version

    const v2 = await score("block", V2, ws2());
    expect(v2.inputs.guardianGroups).toBe(0);
    expect(v2.score).toBe(clean2.score);
    const v1 = await score("block", V1, ws2());
    expect(v1.inputs.guardianGroups).toBe(2);
    expect(v1.score).toBeLessThan(clean1.score);
    expect(v1.findings.map((f) => f.what)).toEqual([
      `guardian group of 4 failures of ${V1} in billing-sync`,
      `guardian group of 4 failures of ${V1} in billing-sync`,
    ]);
    // The endpoint is the block's, whatever its version.
    expect((await score("endpoint", ENDPOINT2, ws2())).inputs.guardianGroups).toBe(2);

    // The run-start check and the trend read it the same way.
    clearTrustProviders();
    const lookup = await earnedTrustLookup(db.prisma, ws2(), now());
    expect(lookup({ id: ID, version: "1.3.0" })?.score).toBe(v1.score);
    expect(lookup({ id: ID, version: "2.1.0" })?.score).toBe(clean2.score);
    const trend = async (key: string) =>
      (await getTrustEntity(db.prisma, ws2(), { kind: "block", key, range: "7d" }, now())).trend;
    const [t1, t2] = [await trend(V1), await trend(V2)];
    expect(t1.at(-1)!.high).toBeLessThan(t1.at(-4)!.high);
    expect(t2.at(-1)).toMatchObject({ low: t2.at(-4)!.low, high: t2.at(-4)!.high });
  });

  it("weighs on every version when the IR or the step it failed on cannot be found", async () => {
    const before = [await score("block", V1, ws2()), await score("block", V2, ws2())];
    // Its run is gone (the IR is unknown)...
    await group("account", "sha-of-a-deleted-run", randomUUID());
    // ...or its IR holds no such step.
    await group("renamed", failed.irHash, failed.runId);

    const [v1, v2] = [await score("block", V1, ws2()), await score("block", V2, ws2())];
    expect(v1.inputs.guardianGroups).toBe(before[0]!.inputs.guardianGroups + 2);
    expect(v2.inputs.guardianGroups).toBe(2);
    expect(v2.score).toBeLessThan(before[1]!.score);
    expect(v2.findings.map((f) => f.what)).toEqual([
      `guardian group of 4 failures of ${ID} in billing-sync`,
      `guardian group of 4 failures of ${ID} in billing-sync`,
    ]);
  });
});
