/**
 * Failure prediction end to end on PGlite: a seeded synthetic history of a real flow (its runs,
 * IR and step attempts in the tables) is trained on, the model stored and used to score a run
 * before it starts (tRPC `prediction.risk`), the quality read over REST, a person's retraining
 * audited; and, in the database itself, features as of a time equal those computed after every
 * later row was deleted.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { crmFlowText, seedSyntheticHistory } from "@/server/testing/prediction-history";
import { restClient, tokenOf } from "@/server/testing/rest";
import { openTestDatabase } from "@/server/testing/test-database";
import { DAY_MS, featuresAt, indexHistory } from "./features";
import { hourOf, loadAnomalyCounter } from "./anomaly-feature";
import { readHistory } from "./history";
import { trainWorkspaceModel } from "./train";
import type { BacktestSettings } from "./backtest";

const FLOW = crmFlowText("predict-me");
const SETTINGS: BacktestSettings = {
  lookbackMs: DAY_MS,
  horizonMs: DAY_MS,
  folds: 2,
  trainSpanMs: 7 * DAY_MS,
  trainCap: 1_000,
  fitSteps: 150,
  seed: 3,
};
const DAYS = 5;

let db: Database;
let owner: TestUser;
let ws: string;
let wfId: string;
let now: number;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "predict");
  ws = owner.workspace.id;
  const caller = callerFor(db.prisma, owner.user, ws);
  const wf = await caller.workflow.create({ name: "Predict me" });
  wfId = wf.id;
  await caller.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
  // The history ends now: the flow's connector `crm.contact.get` degrades in its second half.
  now = Date.now();
  await seedSyntheticHistory(db.prisma, {
    workspaceId: ws,
    workflowId: wf.id,
    version: "1.0.0",
    flowText: FLOW,
    end: now,
    days: DAYS,
    everyMinutes: 6,
    degrading: "crm:crm.contact.get",
  });
}, 120_000);
afterAll(() => db?.close());

describe("failure prediction on a seeded history", () => {
  it("reads the history back from the tables with its blocks and endpoints", async () => {
    const h = await readHistory(db.prisma, ws, { from: now - 30 * DAY_MS, to: now + 1 });
    expect(h.runs.length).toBeGreaterThan(500);
    expect(h.truncated).toBe(false);
    expect(h.runs[0]!.endpoints).toEqual(["crm:crm.contact.get", "crm:crm.contact.update"]);
    expect(h.runs.filter((r) => r.failed).length).toBeGreaterThan(20);
    expect(h.attempts.some((a) => a.retry && a.endpoint === "crm:crm.contact.get")).toBe(true);
  });

  it("trains, backtests and stores a model; the run dialog's risk uses it", async () => {
    const before = await callerFor(db.prisma, owner.user, ws).prediction.quality();
    expect(before.modelVersion).toBeNull();
    expect(before.gate).toMatch(/no model yet/);

    const m = await trainWorkspaceModel(db.prisma, ws, { now, settings: SETTINGS });
    expect(m.version).toBe(1);
    expect(m.model).not.toBeNull();
    expect(m.figures.n).toBeGreaterThan(300);
    expect(m.figures.auc).toBeGreaterThan(0);
    expect(m.figures.baselineAuc).toBeGreaterThan(0);
    expect(m.protocol.windows).toHaveLength(2);
    expect(m.protocol.features).toContain("open_anomalies");
    expect(m.gateEnabled).toBe(
      m.figures.auc! >= 0.7 &&
        m.figures.auc! - m.figures.baselineAuc! >= 0.05 &&
        m.figures.positives >= 20,
    );

    const caller = callerFor(db.prisma, owner.user, ws);
    const risk = await caller.prediction.risk({ workflowId: wfId, inputs: { id: "CON-1" } });
    expect(risk.source).toBe("model");
    expect(risk.modelVersion).toBe(1);
    expect(risk.risk).toBeGreaterThan(0);
    expect(risk.risk).toBeLessThan(1);
    expect(risk.version).toBe("1.0.0");
    expect(risk.reasons.at(-1)).toMatch(
      m.gateEnabled ? /reliable enough to gate/ : /not reliable enough to gate/,
    );
    const flows = await caller.prediction.highRisk({ threshold: 0 });
    expect(flows.map((f) => f.workflowId)).toEqual([wfId]);
    expect(await caller.prediction.highRisk({ threshold: 1 })).toEqual([]);
  }, 120_000);

  it("answers GET /predictions/quality with the figures and protocol (read scope)", async () => {
    const rest = restClient(db);
    const token = await tokenOf(db, owner.user, ws, "admin", ["read"]);
    const res = await rest("GET", "/predictions/quality", { token });
    expect(res.status).toBe(200);
    const body = res.body as {
      modelVersion: number;
      figures: { n: number };
      protocol: { kind: string };
    };
    expect(body.modelVersion).toBe(1);
    expect(body.figures.n).toBeGreaterThan(300);
    expect(body.protocol.kind).toBe("rolling-origin");
    expect((await rest("GET", "/predictions/quality", {})).status).toBe(401);
  });

  it("records a person's retraining in the audit ledger", async () => {
    const caller = callerFor(db.prisma, owner.user, ws);
    const q = await caller.prediction.retrain();
    expect(q.modelVersion).toBe(2);
    const entry = await db.prisma.auditEntry.findFirst({
      where: { workspaceId: ws, action: "prediction.retrain" },
    });
    expect(entry?.subjectId).toBe("2");
  }, 120_000);

  it("refuses a flow without a saved version, and a bad threshold, with clear errors", async () => {
    const caller = callerFor(db.prisma, owner.user, ws);
    const draft = await caller.workflow.create({ name: "Only a draft" });
    await expect(caller.prediction.risk({ workflowId: draft.id })).rejects.toThrow(
      /saved versions/,
    );
    await expect(caller.prediction.risk({ workflowId: wfId, version: "9.9.9" })).rejects.toThrow(
      /not found/,
    );
    await expect(caller.prediction.highRisk({ threshold: 2 })).rejects.toThrow(/between 0 and 1/);
  });

  it("computes the same features at t after every later row is deleted (leakage, in SQL)", async () => {
    const t = now - Math.round(1.5 * DAY_MS);
    const subject = (await readHistory(db.prisma, ws, { from: t - DAY_MS, to: t })).runs.at(-1)!;
    const full = await readHistory(db.prisma, ws, { from: t - 2 * DAY_MS, to: now + 1 });
    const expected = featuresAt(indexHistory(full.runs, full.attempts), subject, t);
    const p = db.prisma;
    await p.$executeRawUnsafe(
      `DELETE FROM "Run" WHERE "workspaceId" = $1::uuid AND "createdAt" >= $2`,
      ws,
      new Date(t),
    );
    await p.$executeRawUnsafe(`DELETE FROM "StepAttempt" WHERE "finishedAt" >= $1`, new Date(t));
    await p.$executeRawUnsafe(
      `UPDATE "Run" SET status = 'running', "finishedAt" = NULL WHERE "workspaceId" = $1::uuid AND "finishedAt" >= $2`,
      ws,
      new Date(t),
    );
    const past = await readHistory(db.prisma, ws, { from: t - 2 * DAY_MS, to: now + 1 });
    expect(past.runs.length).toBeLessThan(full.runs.length);
    expect(featuresAt(indexHistory(past.runs, past.attempts), subject, t)).toEqual(expected);
  });

  it("counts the anomalies open on a run's entities as of its hour, never later ones", async () => {
    const t = hourOf(now - DAY_MS) + 30 * 60_000;
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "Anomaly" (id, "workspaceId", kind, key, metric, rule, observed, n, "windowStart",
                              "detectedAt", "lastSeenAt")
       VALUES (gen_random_uuid(), $1::uuid, 'endpoint', 'crm:crm.contact.get', 'error_rate', 'robust_z',
               0.5, 40, $2, $2, $3)`,
      ws,
      new Date(hourOf(t) - 10 * 60_000),
      new Date(hourOf(t) + 20 * 60_000),
    );
    const subject = {
      workflowId: wfId,
      version: "1.0.0",
      inputBytes: 2,
      versionCreatedAt: now - 10 * DAY_MS,
      blocks: [],
      endpoints: ["crm:crm.contact.get"],
    };
    const times = [t, t - 3 * 3_600_000, t + 5 * 3_600_000];
    const count = await loadAnomalyCounter(db.prisma, ws, times);
    expect(count(subject, t)).toBe(1);
    expect(count({ ...subject, endpoints: ["crm:crm.contact.update"] }, t)).toBe(0);
    expect(count(subject, times[1]!)).toBe(0); // before it was detected
    expect(count(subject, times[2]!)).toBe(0); // closed an hour after it was last seen
  });
});
