/**
 * Every template and every seeded flow succeeds on its first run, with the inputs its form
 * proposes (the inputs' `examples`; defaults left for the engine to apply), against the mock
 * services the demo workspace's connectors point at (`mock://…`). A run that waits for a decision
 * is decided by one of the demo's approvers, never by the admin who started it.
 *
 * Agent steps reach a local OpenAI-compatible fake (a scripted answer per agent call), so this
 * test does not depend on which model a workspace has.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { flowTemplates } from "@/dsl";
import type { JsonSchema } from "@/dsl";
import {
  startFakeOpenAiServer,
  type FakeOpenAiServer,
} from "@/server/adapters/llm/testing/fake-openai-server";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import { allowLoopback } from "@/server/testing/egress";
import { callerFor } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { ensureDemoConnectors } from "../connector/connectors";
import { compileFlow } from "../workflow/compile-flow";
import { irHashOf } from "../workflow/ir-hash";
import { DEMO_GROUPS, DEMO_USERS, seedDemo } from "./seed-demo";
import { servicesFor } from "@/server/testing/services";
import { engineFor } from "@/server/testing/engine";

let db: Database;
let worker: EmbeddedWorker;
let fake: FakeOpenAiServer;
let workspaceId: string;
type User = { id: string; email: string; name: string };
let admin: User;
let approvers: User[];

/** What a run form proposes: each input's first example; inputs with a default are left out. */
function proposedInputs(schema: JsonSchema): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const props = (schema.properties ?? {}) as Record<string, JsonSchema>;
  for (const [name, spec] of Object.entries(props)) {
    if (spec.default !== undefined) continue;
    const examples = spec.examples;
    expect(Array.isArray(examples) && examples.length > 0, `input ${name} proposes a value`).toBe(
      true,
    );
    out[name] = (examples as unknown[])[0];
  }
  return out;
}

/** The agent answers the fake model gives, by agent block. */
const AGENT_ANSWERS: Record<string, string> = {
  "agent.route": '{"route":"sales","confidence":0.91,"rationale":"asks for a demo and pricing"}',
  "agent.draft": '{"subject":"Welcome aboard","body":"Dear customer, welcome."}',
};

beforeAll(async () => {
  db = await openTestDatabase();
  fake = await startFakeOpenAiServer();
  vi.stubEnv(
    "TRUSTFLOW_MODELS",
    JSON.stringify([
      {
        name: "first-runs-model",
        provider: "openai-compatible",
        baseURL: fake.baseURL,
        model: "first-runs-model",
        capabilities: {
          tasks: ["classification", "extraction", "summarization", "drafting", "routing"],
          json: "json_object",
        },
        maxTokens: 200,
        costPerInputToken: 0.000001,
        costPerOutputToken: 0.000002,
        tier: "small",
      },
    ]),
  );
  expect(await seedDemo(db.prisma, { irHashOf })).toEqual({ created: true });
  const ws = await db.prisma.workspace.findUniqueOrThrow({ where: { slug: "demo" } });
  workspaceId = ws.id;
  await ensureDemoConnectors(db.prisma, workspaceId);
  await allowLoopback(db.prisma, workspaceId);
  const users = await db.prisma.user.findMany({
    where: { email: { in: DEMO_USERS.map((u) => u.email) } },
  });
  const byEmail = (email: string) => users.find((u) => u.email === email)!;
  admin = byEmail(DEMO_USERS.find((u) => u.role === "admin")!.email);
  approvers = DEMO_USERS.filter((u) => u.role === "approver").map((u) => byEmail(u.email));
  worker = startEmbeddedWorker(servicesFor(db), {
    engine: engineFor(db),
    pollMs: 20,
  });
});

afterAll(async () => {
  await worker?.stop();
  vi.unstubAllEnvs();
  await fake?.close();
  await db?.close();
});

type Run = Awaited<ReturnType<ReturnType<typeof callerFor>["run"]["get"]>>;

async function until(read: () => Promise<Run>, ok: (r: Run) => boolean): Promise<Run> {
  for (let i = 0; i < 1500; i++) {
    const r = await read();
    if (ok(r)) return r;
    await new Promise((res) => setTimeout(res, 20));
  }
  throw new Error("the run did not get there in time");
}

/**
 * Starts a run as the admin with the proposed inputs and follows it to its end; each decision it
 * waits for is approved by an approver (the admin never decides their own run).
 */
async function firstRun(workflowId: string, draft: boolean) {
  const asAdmin = callerFor(db.prisma, admin, workspaceId);
  // A seeded workflow's draft is the text of its version.
  const { draft: text } = await asAdmin.workflow.get({ id: workflowId });
  const compiled = compileFlow(text);
  expect(compiled.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  const ir = compiled.ir!;
  for (const s of ir.steps) {
    const answer = AGENT_ANSWERS[s.block.id];
    if (answer) fake.enqueue({ kind: "json", content: answer });
  }
  const started = await asAdmin.run.start({
    workflowId,
    draft,
    inputs: proposedInputs(ir.inputsSchema),
  });
  const decided: string[] = [];
  for (let round = 0; round < 5; round++) {
    const r = await until(
      () => asAdmin.run.get({ id: started.id }),
      (x) => ["waiting", "succeeded", "failed", "compensated", "cancelled"].includes(x.status),
    );
    if (r.status !== "waiting") return { run: r, decided };
    const latest = new Map<string, (typeof r.attempts)[number]>();
    for (const a of r.attempts) {
      const prev = latest.get(a.stepId);
      if (!prev || a.attempt > prev.attempt) latest.set(a.stepId, a);
    }
    const waiting = [...latest.values()].filter((a) => a.status === "waiting");
    expect(waiting.length, "a waiting run has a waiting step").toBeGreaterThan(0);
    const approver = callerFor(db.prisma, approvers[round % approvers.length]!, workspaceId);
    for (const a of waiting) {
      await approver.run.resume({ runId: r.id, stepId: a.stepId, decision: "approve" });
      decided.push(a.stepId);
    }
    await until(
      () => asAdmin.run.get({ id: started.id }),
      (x) => x.status !== "waiting" || x.events.some((e) => e.type === "step.resumed"),
    );
  }
  throw new Error("too many decisions");
}

describe("the demo workspace", () => {
  it("has an admin, two approvers in the finance group and a viewer", async () => {
    expect(DEMO_USERS.map((u) => u.role).sort()).toEqual([
      "admin",
      "approver",
      "approver",
      "viewer",
    ]);
    const groups = await db.prisma.workspaceGroup.findMany({
      where: { workspaceId },
      include: { members: { include: { user: true } } },
    });
    expect(groups.map((g) => g.name)).toEqual(DEMO_GROUPS.map((g) => g.name));
    expect(groups[0]!.members.map((m) => m.user.email).sort()).toEqual(
      approvers.map((a) => a.email).sort(),
    );
    // Seeding again changes nothing.
    expect(await seedDemo(db.prisma, { irHashOf })).toEqual({ created: false });
    expect(await db.prisma.workspaceGroup.count({ where: { workspaceId } })).toBe(1);
  });
});

describe("first runs", () => {
  for (const template of flowTemplates) {
    it(`template "${template.title}" succeeds on its first run`, async () => {
      const asAdmin = callerFor(db.prisma, admin, workspaceId);
      const wf = await asAdmin.workflow.createFromTemplate({
        name: `${template.title} first run`,
        template: template.id,
      });
      const { run, decided } = await firstRun(wf.id, true);
      expect(run.error, `${template.id}: ${JSON.stringify(run.error)}`).toBeNull();
      expect(run.status).toBe("succeeded");
      if (template.id === "refund-approval") expect(decided).toEqual(["approval"]);
      // Every step did its work: none failed, none was skipped by a condition the data missed.
      const notDone = run.attempts.filter((a) => a.status !== "succeeded").map((a) => a.stepId);
      expect(notDone, template.id).toEqual([]);
    });
  }

  it("every seeded flow succeeds on its first run", async () => {
    const asAdmin = callerFor(db.prisma, admin, workspaceId);
    const seeded = await asAdmin.workflow.list();
    const samples = seeded.filter((w) => !w.name.endsWith(" first run"));
    expect(samples.map((w) => w.name).sort()).toEqual(["Invoice dunning", "Quote to cash"]);
    for (const wf of samples) {
      const { run, decided } = await firstRun(wf.id, false);
      expect(run.error, `${wf.name}: ${JSON.stringify(run.error)}`).toBeNull();
      expect(run.status, wf.name).toBe("succeeded");
      if (wf.name === "Quote to cash") {
        // The drafting agent is under its step's trust minimum: an approver lets the run start.
        expect(decided[0]).toBe("trust-gate");
        const welcome = run.attempts.find(
          (a) => a.stepId === "welcome" && a.status === "succeeded",
        );
        expect(welcome?.consentId).toBe("CNS-1001");
      }
    }
  });
});
