/**
 * Model-written proposals with a real (OpenAI-compatible) model of the router (issue 18, item 3)
 * on PGlite: a local fake server the operator configured in TRUSTFLOW_MODELS answers. The call
 * goes through the egress guard on the operator's entry for that host and port (counted as a
 * model call), the prompt reaches the model with personal data redacted by the PII guard, the
 * usage lands under the request's own run id; an outage and a redirect elsewhere are recorded
 * as failed requests that save nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { egressCallCount } from "@/server/adapters/egress/metrics";
import type { Database } from "@/server/adapters/prisma";
import {
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from "@/server/adapters/llm/testing/fake-openai-server";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import type { Engine } from "@/server/engine/engine";
import { engineFor, tickToEnd } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { groupFailedRuns } from "./consumer";
import { requestModelProposal } from "./model-proposals";
import { GREETING_PATCH, greetingFlow } from "@/server/testing/guardian-model-flow";

let db: Database;
let engine: Engine;
let fake: FakeOpenAiServer;
let owner: Awaited<ReturnType<typeof makeUser>>;
let groupId = "";
const savedModels = process.env.TRUSTFLOW_MODELS;

const FLOW = greetingFlow("real-greeting", "greetings, owned by ada.lovelace@example.com");
const PATCH = GREETING_PATCH;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const deps = () => ({ db: db.prisma, guardianModel: servicesFor(db).guardianModel });

beforeAll(async () => {
  fake = await startFakeOpenAiServer();
  process.env.TRUSTFLOW_MODELS = JSON.stringify([
    {
      name: "fixer",
      provider: "openai-compatible",
      baseURL: fake.baseURL,
      model: "fixer-1",
      tier: "large",
      capabilities: { tasks: ["drafting"], json: "json_object" },
      costPerInputToken: 0.000001,
      costPerOutputToken: 0.000002,
    },
  ]);
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "real-model-owner");
  engine = engineFor(db);
  const wf = await api().workflow.create({ name: "Real greeting", dsl: FLOW });
  await api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
  for (let i = 0; i < 2; i++) {
    const r = await api().run.start({
      workflowId: wf.id,
      version: "1.0.0",
      inputs: { customer: { name: `Ada ${i}` } },
    });
    await tickToEnd(engine, r.id);
  }
  const rec = servicesFor(db).reconciliation;
  for (let i = 0; i < 10; i++) if (!(await reconcileEndedRuns(rec, { limit: 500 })).more) break;
  await groupFailedRuns(db.prisma);
  groupId = (await db.prisma.guardianGroup.findFirstOrThrow({ where: { workflowId: wf.id } })).id;
  await api().guardianModel.set({ model: "fixer" });
});
afterAll(async () => {
  if (savedModels === undefined) delete process.env.TRUSTFLOW_MODELS;
  else process.env.TRUSTFLOW_MODELS = savedModels;
  await fake?.close();
  await db?.close();
});

describe("a configured real model as the guardian's model", () => {
  it("is called through the egress guard with the prompt's personal data redacted", async () => {
    expect((await api().guardianModel.get()).choices).toContainEqual({
      value: "fixer",
      label: "fixer",
      kind: "configured",
    });
    const ok = await egressCallCount("model", "ok");
    fake.enqueue({ kind: "json", content: JSON.stringify(PATCH) });
    const r = await requestModelProposal(deps(), groupId);
    expect(r, JSON.stringify(r)).toMatchObject({ outcome: "proposed" });
    expect(await egressCallCount("model", "ok")).toBe(ok + 1);
    const sent = JSON.stringify(fake.requests.at(-1)!.body.messages);
    expect(sent).toContain("inputs.customer.fullName");
    expect(sent).not.toContain("ada.lovelace@example.com");
    expect(sent).toContain("[EMAIL_1]");
    const usage = await db.prisma.agentUsage.findMany({
      where: { runId: `guardian:${r.attemptId}` },
    });
    expect(usage.map((u) => u.model)).toEqual(["fixer"]);
    const p = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: r.proposalId! } });
    expect(p.rationale).toMatch(/^Written by the model fixer \(not a rule\)/);
  });

  it("records an outage and a redirect to another address as failed requests, saving nothing", async () => {
    await db.prisma.guardianProposal.deleteMany({ where: { groupId } });
    fake.enqueue({ kind: "error", status: 503, message: "overloaded" });
    const down = await requestModelProposal(deps(), groupId);
    expect(down).toMatchObject({ outcome: "failed", reason: "call-failed", proposalId: null });
    expect(down.detail).toMatch(/503/);
    const refused = await egressCallCount("model", "forbidden_address");
    fake.enqueue({ kind: "redirect", location: "https://127.0.0.1:1/v1/chat/completions" });
    const redirected = await requestModelProposal(deps(), groupId);
    expect(redirected).toMatchObject({ outcome: "failed", reason: "call-failed" });
    expect(await egressCallCount("model", "forbidden_address")).toBe(refused + 1);
    expect(await db.prisma.guardianProposal.count({ where: { groupId } })).toBe(0);
  });
});
