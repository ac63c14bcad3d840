/**
 * Findings feed earned trust (issue 17 item 1), on the database: an anomaly not marked expected
 * and guardian groups (recurring failures; a released fix failing again) lower the scores of
 * the entities they name, bounded, shown among the inputs (tRPC and `GET /api/v1/trust`) and in
 * the hover's words; marking the anomaly expected takes its effect back.
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { recordFindings } from "@/server/domain/anomaly/detector";
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

async function score(kind: "block" | "endpoint" | "flow", key: string) {
  const e = (await listTrust(db.prisma, ws(), kind, now())).find((x) => x.key === key);
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
