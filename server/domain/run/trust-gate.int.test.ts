/**
 * Trust gates on earned scores at every start path (issue 17), on PGlite: a workspace whose CRM
 * read has failed a lot (its decayed counts seeded as the trust consumer writes them) starts a
 * flow with `trust.min` from the studio (tRPC), the REST API, a webhook, a schedule and as a
 * sub-flow. Each run halts before any side effect with a `TrustError` naming the step, its earned
 * score, interval, n and the minimum, and the ledger records the gate. With `below: approval`
 * the run waits instead, the starter may not approve it (four-eyes), an approver may.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import { clearTrustProviders } from "@/server/domain/trust/list-trust";
import { serverRegistry } from "@/server/domain/workflow/compile-flow";
import { fireDueSchedules } from "@/server/domain/trigger/schedules";
import { signWebhook } from "@/server/domain/trigger/signature";
import { receiveWebhook, rotateWebhookSecret } from "@/server/domain/trigger/webhooks";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { approvalCast, type Person } from "@/server/testing/approvals";
import { engineFor, watchRunEnds } from "@/server/testing/engine";
import { adminActor, callerFor, type TestUser } from "@/server/testing/fixtures";
import { restClient, tokenOf } from "@/server/testing/rest";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { testVault } from "@/server/testing/webhooks";

let db: Database;
let worker: EmbeddedWorker;
let owner: TestUser;
let approver: Person;
const vault = testVault();
const { ended, stop: stopListening } = watchRunEnds();
/** Every call the CRM read received: a halted run must add none. */
const calls: string[] = [];

const flow = (name: string, trigger: string, trust: string) => `flow: ${name}
version: 1.0.0
sla: T2
trigger:
  ${trigger}
trust: ${trust}
steps:
  - id: look
    uses: crm.contact.get@1
    with: { id: CON-1 }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  const cast = await approvalCast(db, { approver: "approver" });
  owner = cast.owner;
  approver = cast.people.approver;
  const runtimes = builtinRuntimes().register("crm.contact.get", {
    execute(req) {
      calls.push(req.run.id);
      return { id: "CON-1" };
    },
  });
  worker = startEmbeddedWorker(servicesFor(db), {
    engine: engineFor(db, { runtimes }),
    pollMs: 20,
  });
  // 40 failures and 2 successes of the CRM read in the last minutes (baseline 0.99).
  const block = serverRegistry().get("crm.contact.get")!;
  await db.driver.query(
    `INSERT INTO "TrustCount" ("workspaceId", "kind", "key", "label", "baseline", "successes",
       "failures", "attempts", "at")
     VALUES ($1::uuid, 'block', $2, $2, $3, 2, 40, 42, now())`,
    [owner.workspace.id, `crm.contact.get@${block.version}`, block.baselineTrust],
  );
  clearTrustProviders();
});
afterAll(async () => {
  stopListening();
  await worker?.stop();
  await db?.close();
});

const api = (user: Person = owner.user) => callerFor(db.prisma, user, owner.workspace.id);

async function saved(name: string, dsl: string) {
  const wf = await api().workflow.create({ name, dsl });
  await api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl });
  return wf.id;
}

/** The run ended failed by the trust gate, with nothing called and the gate in the ledger. */
async function expectHalted(runId: string) {
  const end = await ended(runId);
  expect(end.status).toBe("failed");
  const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
  const error = run.error as { name: string; message: string };
  expect(error.name).toBe("TrustError");
  expect(error.message).toMatch(
    /^trust gate halted the run before any step: flow trust 0\.\d+ \(lowest step look; earned from run history: 90% interval 0\.\d+–0\.\d+, n = 42, block crm\.contact\.get@[\d.]+\) is below its minimum 0\.6$/,
  );
  expect(calls).not.toContain(runId);
  const gate = await db.prisma.auditEntry.findFirst({
    where: { workspaceId: owner.workspace.id, action: "run.trust_gate", subjectId: runId },
  });
  expect(gate?.payload).toMatchObject({
    decision: "halt",
    shortfalls: [{ entity: "flow", stepId: "look" }, { entity: "look" }],
  });
  const [short] = (gate!.payload as { shortfalls: Array<{ n: number; score: number }> }).shortfalls;
  expect(short!.n).toBeCloseTo(42, 2);
  expect(short!.score).toBeLessThan(0.3);
  return run;
}

describe("trust gates on earned scores at each start path", () => {
  it("the studio's start (tRPC) halts a flow below its minimum", async () => {
    const id = await saved("Studio", flow("studio-gated", "manual: {}", "{ min: 0.6 }"));
    const started = await api().run.start({ workflowId: id, inputs: {} });
    await expectHalted(started.id);
    // The same flow's baseline (0.99) clears the minimum: the compile is clean, history is not.
    const events = await api().run.get({ id: started.id });
    expect(events.events.map((e) => e.type)).toEqual(
      expect.arrayContaining(["run.trust_checked", "run.trust_halted", "run.failed"]),
    );
  });

  it("the REST API's start halts it too", async () => {
    const id = await saved("Rest", flow("rest-gated", "manual: {}", "{ min: 0.6 }"));
    const token = await tokenOf(db, owner.user, owner.workspace.id, "admin", ["run"]);
    const res = await restClient(db)("POST", `/workflows/${id}/runs`, {
      token,
      body: { inputs: {} },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    await expectHalted((res.body as { id: string }).id);
  });

  it("a webhook's run halts", async () => {
    const dsl = flow("hook-gated", "webhook: {}", "{ min: 0.6 }");
    const wf = await api().workflow.create({ name: "Hook", dsl });
    const { secret } = await rotateWebhookSecret({ ...servicesFor(db), vault }, adminActor(owner), {
      workflowId: wf.id,
    });
    const body = "{}";
    const answer = await receiveWebhook(
      servicesFor(db),
      {
        workspaceSlug: owner.workspace.slug,
        flowName: "hook-gated",
        body,
        signature: signWebhook(secret, body, Math.floor(Date.now() / 1000)),
        deliveryId: "trust-1",
        wait: false,
      },
      { vault, cacheMs: 0 },
    );
    expect(answer.status, JSON.stringify(answer.body)).toBe(202);
    const [run] = await db.prisma.run.findMany({ where: { workflowId: wf.id } });
    await expectHalted(run!.id);
  });

  it("a schedule's run halts", async () => {
    const id = await saved(
      "Cron",
      flow("cron-gated", 'schedule: { cron: "* * * * *" }', "{ min: 0.6 }"),
    );
    const t = Date.UTC(2031, 0, 1, 12, 0, 30);
    const fired = await fireDueSchedules(servicesFor(db), t, { lookbackMs: 100_000 });
    expect(fired.started.length).toBeGreaterThan(0);
    const [run] = await db.prisma.run.findMany({ where: { workflowId: id } });
    await expectHalted(run!.id);
  });

  it("a sub-flow's run halts, and its parent's step fails with it", async () => {
    await saved("Child", flow("child-gated", "manual: {}", "{ min: 0.6 }"));
    const parent = await saved(
      "Parent",
      `flow: parent-calls\nversion: 1.0.0\nsla: T2\ntrigger:\n  manual: {}\nsteps:\n  - id: call\n    uses: control.subflow@1\n    with:\n      flow: child-gated@1\n`,
    );
    const started = await api().run.start({ workflowId: parent, inputs: {} });
    expect((await ended(started.id)).status).toBe("failed");
    const child = await db.prisma.run.findFirstOrThrow({ where: { parentRunId: started.id } });
    await expectHalted(child.id);
  });

  it("`below: approval` waits; the starter may not approve, an approver may, and the flow runs", async () => {
    const id = await saved("Ask", flow("ask-gated", "manual: {}", "{ min: 0.6, below: approval }"));
    const started = await api().run.start({ workflowId: id, inputs: {} });
    let approval;
    for (let i = 0; i < 100 && !approval; i++) {
      await new Promise((r) => setTimeout(r, 30));
      approval = (await api(approver).approval.list({ status: "pending", runId: started.id }))
        .items[0];
    }
    expect(approval).toMatchObject({ stepId: "trust-gate" });
    expect((await db.prisma.run.findUniqueOrThrow({ where: { id: started.id } })).status).toBe(
      "waiting",
    );
    expect(calls).not.toContain(started.id);
    const ledger = await db.prisma.auditEntry.findFirst({
      where: { action: "run.trust_gate", subjectId: started.id },
    });
    expect(ledger?.payload).toMatchObject({ decision: "approval" });
    // Four eyes: the person who started the run never approves it.
    await expect(
      api().approval.decide({ id: approval!.id, decision: "approve" }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await api(approver).approval.decide({ id: approval!.id, decision: "approve" });
    expect((await ended(started.id)).status).toBe("succeeded");
    expect(calls).toContain(started.id);
  });

  it("a T0 flow's risk gate asks the prediction model at the start (no model yet: it runs)", async () => {
    const dsl = flow("risk-gated", "manual: {}", "{ min: 0.01 }")
      .replace("sla: T2", "sla: T0\nrisk: { max: 0.3 }")
      .replace("trust: { min: 0.01 }\n", "");
    const id = await saved("Risky", dsl);
    const started = await api().run.start({ workflowId: id, inputs: {} });
    expect((await ended(started.id)).status).toBe("succeeded");
    const view = await api().run.get({ id: started.id });
    const checked = view.events.find((e) => e.type === "run.trust_checked");
    expect(checked?.data).toMatchObject({
      decision: "clear",
      risk: { max: 0.3, gateEnabled: false, above: false },
    });
  });
});
