/**
 * Anomaly detection and alerts end to end on PGlite: real runs are reconciled and folded once
 * into 5-minute metrics; below the minimum history an entity reads "not enough data"; against a
 * history of two days a burst of failures is an anomaly naming its baseline, observed value, n
 * and rule (tRPC, REST with a read token, openAnomalies); a new write endpoint of a flow with
 * history is one too; feedback is audited and raises the threshold; alert rules fire in-app and
 * as signed webhooks once per cooldown, and acknowledging one is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { evaluateAlerts } from "@/server/domain/alert/evaluate";
import { deliverDueWebhooks } from "@/server/domain/notification/webhooks";
import { signWebhook } from "@/server/domain/notification/signing";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { NonRetryableError } from "@/server/engine/errors";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { isTerminalRun } from "@/server/engine/types";
import { page } from "@/server/rest/schemas";
import { ZAnomaly } from "@/server/rest/anomaly-schemas";
import { engineFor } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { restClient, tokenOf } from "@/server/testing/rest";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { foldAnomalies } from "./consumer";
import { COMPLETE_AFTER_MS } from "./detector";
import { openAnomalies } from "./index";
import { bucketOf, BUCKET_MS, emptyStats, latencyBin } from "./metrics";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let workflowId: string;
let failNext = false;
const DAY = 86_400_000;

const V1 = `flow: anomaly-look
version: 1.0.0
steps:
  - id: look
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-1 }
`;
const V2 = `flow: anomaly-look
version: 1.1.0
steps:
  - id: look
    uses: crm.contact.get@1
    retry: { max: 0 }
    with: { id: CON-1 }
  - id: deal
    uses: crm.deal.create@1
    needs: [look]
    retry: { max: 0 }
    with: { name: Deal, amount: 1, currency: EUR }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "anomaly");
  const runtimes = builtinRuntimes();
  runtimes.register("crm.contact.get", {
    execute() {
      if (failNext) throw new NonRetryableError("the CRM is down");
      return { id: "CON-1", email: "a@b.co" };
    },
  });
  runtimes.register("crm.deal.create", { execute: () => ({ id: "D-1" }) });
  engine = engineFor(db, { runtimes, earnedTrust: undefined });
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const wf = await api.workflow.create({ name: "Anomaly Look", dsl: V1 });
  await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: V1 });
  workflowId = wf.id;
});
afterAll(() => db?.close());

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const BLOCK = () =>
  db.prisma.anomalyEntity.findFirstOrThrow({
    where: { kind: "block", key: { startsWith: "crm.contact.get@" } },
  });

async function runMany(count: number, dsl: string, version: string) {
  const r = compileFlow(dsl);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  const ids: string[] = [];
  for (let i = 0; i < count; i++)
    ids.push(
      (
        await engine.createRun({
          workspaceId: owner.workspace.id,
          workflowId,
          version,
          ir: r.ir,
          inputs: {},
          startedBy: "tester@example.com",
        })
      ).id,
    );
  for (let i = 0; i < 200; i++) {
    await engine.tick({ limit: 50 });
    const runs = await Promise.all(ids.map((id) => engine.deps.store.getRun(id)));
    if (runs.every((x) => x && isTerminalRun(x.status))) break;
  }
  const deps = servicesFor(db).reconciliation;
  for (let i = 0; i < 20; i++) if (!(await reconcileEndedRuns(deps, { limit: 500 })).more) break;
}

/** Folds every reconciled run; `now`: the consumer's clock (its windows complete a minute after). */
async function foldAll(now = Date.now()) {
  let total = { runs: 0, anomalies: 0 };
  for (let i = 0; i < 20; i++) {
    const r = await foldAnomalies(db.prisma, { now });
    total = { runs: total.runs + r.runs, anomalies: total.anomalies + r.anomalies };
    if (!r.more) break;
  }
  return total;
}

describe("anomaly detection", () => {
  it("folds reconciled runs once into 5-minute metrics; young entities read 'not enough data'", async () => {
    await runMany(8, V1, "1.0.0");
    expect((await foldAll()).runs).toBe(8);
    expect((await foldAll()).runs).toBe(0);
    const buckets = await db.prisma.anomalyBucket.findMany();
    const kinds = new Set(buckets.map((b) => b.kind));
    expect([...kinds].sort()).toEqual(["block", "endpoint", "flow"]);
    const flowCalls = buckets.filter((b) => b.kind === "flow").reduce((s, b) => s + b.runs, 0);
    expect(flowCalls).toBe(8);
    const block = await BLOCK();
    expect(block.fields).toEqual(expect.arrayContaining(["id", "email"]));
    const state = await api().anomaly.state({ kind: "block", key: block.key });
    expect(state.metrics.every((m) => m.state === "not-enough-data")).toBe(true);
    expect((await api().anomaly.list({})).items).toEqual([]);
  });

  it("finds a burst of failures against two days of history, naming baseline, observed, n and rule", async () => {
    const block = await BLOCK();
    // Two days of folded history before now (5 % errors, 40 calls a bucket), as the consumer
    // would have written it: real runs over two days are too slow for a test.
    const now = Date.now();
    const latency = emptyStats().latency;
    latency[latencyBin(20)] = 40;
    const start = bucketOf(now) - 2 * DAY;
    const rows = [];
    for (let t = start; t < bucketOf(now) - 3 * BUCKET_MS; t += BUCKET_MS)
      rows.push({
        workspaceId: owner.workspace.id,
        kind: "block",
        key: block.key,
        bucket: new Date(t),
        runs: 40,
        calls: 40,
        failures: 2,
        latency,
      });
    await db.prisma.anomalyBucket.createMany({ data: rows });
    await db.prisma.anomalyEntity.updateMany({
      where: { workspaceId: owner.workspace.id },
      data: { firstSeenAt: new Date(start), baselineAt: null },
    });
    failNext = true;
    await runMany(12, V1, "1.0.0");
    failNext = false;
    // The burst's window is judged once complete: a minute after its 5-minute bucket ends.
    const judgedAt = bucketOf(Date.now()) + BUCKET_MS + COMPLETE_AFTER_MS;
    expect((await foldAll(judgedAt)).anomalies).toBeGreaterThanOrEqual(1);
    const list = await api().anomaly.list({ kind: "block" });
    const a = list.items.find((x) => x.metric === "error_rate")!;
    expect(a).toMatchObject({ key: block.key, rule: "robust-z" });
    expect(a.baseline).toBeCloseTo(0.05, 2);
    expect(a.observed).toBeGreaterThanOrEqual(0.5);
    expect(a.n).toBeGreaterThanOrEqual(12);
    expect(a.explanation).toMatch(/against a median of 0\.0\d+ \(MAD .*robust z = /);
    // Detected at the end of its window's last bucket (data time), not when the batch ran.
    expect(Date.parse(a.detectedAt) % BUCKET_MS).toBe(0);
    expect(Date.parse(a.detectedAt)).toBeLessThanOrEqual(judgedAt - COMPLETE_AFTER_MS);
    const open = await openAnomalies(db.prisma, owner.workspace.id, {
      at: judgedAt,
      entities: [{ kind: "block", key: block.key }],
    });
    expect(open.map((o) => o.id)).toContain(a.id);
    // Nothing is open before it was detected.
    expect(await openAnomalies(db.prisma, owner.workspace.id, { at: now - 60_000 })).toEqual([]);

    const rest = restClient(db);
    const token = await tokenOf(db, owner.user, owner.workspace.id, "admin", ["read"]);
    const since = new Date(now - 3_600_000).toISOString();
    const res = await rest("GET", `/anomalies?since=${encodeURIComponent(since)}&limit=50`, {
      token,
    });
    expect(res.status).toBe(200);
    const body = page(ZAnomaly).parse(res.body);
    expect(body.items.map((x) => x.id)).toContain(a.id);
    const later = await rest(
      "GET",
      `/anomalies?since=${encodeURIComponent(new Date(now + DAY).toISOString())}`,
      { token },
    );
    expect(page(ZAnomaly).parse(later.body).items).toEqual([]);
    expect((await rest("GET", "/anomalies?since=yesterday", { token })).status).toBe(400);
  });

  it("reports a new write endpoint of a flow with history", async () => {
    await api().workflow.createVersion({ id: workflowId, version: "1.1.0", dsl: V2 });
    await runMany(3, V2, "1.1.0");
    await foldAll();
    const list = await api().anomaly.list({ kind: "endpoint" });
    expect(list.items.map((x) => [x.key, x.rule])).toContainEqual([
      "crm:crm.deal.create",
      "new-write-endpoint",
    ]);
  });

  it("records feedback in the ledger and raises the entity-metric's threshold", async () => {
    const a = (await api().anomaly.list({ kind: "block" })).items.find(
      (x) => x.metric === "error_rate",
    )!;
    const r = await api().anomaly.feedback({ id: a.id, feedback: "expected" });
    expect(r.factor).toBe(1.25);
    const state = await api().anomaly.state({ kind: "block", key: a.key });
    expect(state.metrics.find((m) => m.metric === "error_rate")).toMatchObject({
      factor: 1.25,
      threshold: 6.25,
    });
    const audit = await db.prisma.auditEntry.findMany({ where: { action: "anomaly.feedback" } });
    expect(audit).toHaveLength(1);
    // Marked expected: no longer open.
    const open = await openAnomalies(db.prisma, owner.workspace.id, { at: Date.now() });
    expect(open.map((o) => o.id)).not.toContain(a.id);
    await expect(
      api().anomaly.feedback({ id: "00000000-0000-4000-8000-000000000000", feedback: "real" }),
    ).rejects.toThrow(/not found/i);
  });
});

describe("alerts", () => {
  it("fires in-app and as a signed webhook once per cooldown; acknowledging is audited", async () => {
    const block = await BLOCK();
    const created = await api().alert.createRule({
      name: "Block errors",
      kind: "error_rate",
      entityKind: "block",
      entityKey: block.key,
      threshold: 0.3,
      cooldownMinutes: 30,
      webhookUrl: "https://hooks.example.com/trustflow",
    });
    expect(created.secret).toMatch(/^whsec_/);
    await expect(
      api().alert.createRule({ name: "x", kind: "trust_floor", threshold: 2 }),
    ).rejects.toThrow(/between 0 and 1/);
    expect(await evaluateAlerts(db.prisma, Date.now())).toBe(1);
    expect(await evaluateAlerts(db.prisma, Date.now())).toBe(0); // cooldown
    const events = await api().alert.events({});
    expect(events.items).toHaveLength(1);
    expect(events.items[0]!.title).toMatch(/Block errors: Error rate of .* is \d+\.\d %/);
    const notes = await api().notification.list({ unreadOnly: false, limit: 20 });
    expect(notes.items.map((n) => n.kind)).toContain("alert.fired");

    const sent: Array<{ url: string; headers: Record<string, string>; body: string }> = [];
    const deps = {
      ...servicesFor(db).outgoingWebhooks,
      sender: {
        send: async (req: { url: string; headers: Record<string, string>; body: string }) => {
          sent.push(req);
          return { ok: true as const, status: 204 };
        },
      },
    };
    await deliverDueWebhooks(deps, {});
    expect(sent).toHaveLength(1);
    const h = sent[0]!.headers;
    expect(sent[0]!.url).toBe("https://hooks.example.com/trustflow");
    expect(JSON.parse(sent[0]!.body)).toMatchObject({
      type: "alert.fired",
      data: { rule: { name: "Block errors" } },
    });
    expect(h["webhook-signature"]).toBe(
      signWebhook(created.secret!, h["webhook-id"]!, Number(h["webhook-timestamp"]), sent[0]!.body),
    );

    const ack = await api().alert.acknowledge({ id: events.items[0]!.id });
    expect(ack.ackBy).toBe(owner.user.email);
    await expect(api().alert.acknowledge({ id: events.items[0]!.id })).rejects.toThrow(/already/);
    const audit = await db.prisma.auditEntry.findMany({
      where: { action: { in: ["alert.rule.create", "alert.acknowledge"] } },
    });
    expect(audit.map((x) => x.action).sort()).toEqual(["alert.acknowledge", "alert.rule.create"]);

    const anomalyRule = await api().alert.createRule({
      name: "Any anomaly",
      kind: "anomaly",
      threshold: 0,
    });
    expect(anomalyRule.secret).toBeNull();
    // Anomalies of the last 15 minutes: the error burst and the new endpoint (and any other).
    expect(await evaluateAlerts(db.prisma, Date.now())).toBeGreaterThanOrEqual(2);
  });
});
