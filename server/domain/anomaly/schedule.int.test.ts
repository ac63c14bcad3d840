/**
 * The rogue-block rule "calls outside the flow's schedule" through the anomaly consumer, on real
 * runs: a scheduled flow's run that nobody started by hand, twelve hours from its fire time, is
 * flagged on the flow and on the endpoints it called, stating the schedule, the time and the
 * rule; the same flow started by a person, and a flow whose schedule covers the run, are not.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { isTerminalRun } from "@/server/engine/types";
import { engineFor } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { foldAnomalies } from "./consumer";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

/** A flow that fires daily at `cron`, reads a contact and creates a deal. */
const flow = (name: string, cron: string) => `flow: ${name}
version: 1.0.0
trigger:
  schedule: { cron: "${cron}" }
steps:
  - id: look
    uses: crm.contact.get@1
    with: { id: CON-1 }
  - id: deal
    uses: crm.deal.create@1
    needs: [look]
    with: { name: Deal, amount: 1, currency: EUR }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "schedule-rule");
  const runtimes = builtinRuntimes();
  runtimes.register("crm.contact.get", { execute: () => ({ id: "CON-1" }) });
  runtimes.register("crm.deal.create", { execute: () => ({ id: "D-1" }) });
  engine = engineFor(db, { runtimes, earnedTrust: undefined });
});
afterAll(() => db?.close());

async function scheduledFlow(name: string, cron: string) {
  const dsl = flow(name, cron);
  const wf = await api().workflow.create({ name, dsl });
  await api().workflow.createVersion({ id: wf.id, version: "1.0.0", dsl });
  const r = compileFlow(dsl);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return { workflowId: wf.id, ir: r.ir };
}

async function runAndFold(
  f: Awaited<ReturnType<typeof scheduledFlow>>,
  who: { startedBy: string; startedByUserId?: string },
) {
  const run = await engine.createRun({
    workspaceId: owner.workspace.id,
    workflowId: f.workflowId,
    version: "1.0.0",
    ir: f.ir,
    inputs: {},
    ...who,
  });
  for (let i = 0; i < 100; i++) {
    await engine.tick({ limit: 20 });
    const r = await engine.deps.store.getRun(run.id);
    if (r && isTerminalRun(r.status)) break;
  }
  const deps = servicesFor(db).reconciliation;
  for (let i = 0; i < 10; i++) if (!(await reconcileEndedRuns(deps, { limit: 100 })).more) break;
  const folded = await foldAnomalies(db.prisma, { now: Date.now() });
  expect(folded.runs).toBe(1);
  return db.prisma.anomaly.findMany({
    where: { workspaceId: owner.workspace.id, rule: "outside-schedule" },
    orderBy: { kind: "asc" },
  });
}

describe("calls outside the flow's schedule", () => {
  it("flags a scheduled flow's run far from its fire time, unless a person started it", async () => {
    const away = (new Date().getUTCHours() + 12) % 24;
    const cron = `0 ${away} * * *`;
    const f = await scheduledFlow("night-push", cron);

    // A person started it by hand: that explains the time.
    expect(
      await runAndFold(f, { startedBy: owner.user.email, startedByUserId: owner.user.id }),
    ).toEqual([]);

    // The same flow run as if by its schedule, twelve hours from the fire time.
    const found = await runAndFold(f, { startedBy: "schedule:night-push" });
    expect(found.map((a) => [a.kind, a.metric])).toEqual([
      ["endpoint", "outside_schedule"],
      ["endpoint", "outside_schedule"],
      ["flow", "outside_schedule"],
    ]);
    const flowFinding = found.find((a) => a.kind === "flow")!;
    expect(flowFinding.key).toBe(f.workflowId);
    expect(flowFinding.explanation).toContain(`"${cron}"`);
    expect(flowFinding.explanation).toContain("outside-schedule");
    expect(flowFinding.explanation).toMatch(/started at \d{4}-\d\d-\d\dT/);
    const write = found.find((a) => a.key.endsWith("crm.deal.create"))!;
    expect(write.explanation).toMatch(/^A write call to .*crm\.deal\.create at /);
    expect(write.observed).toBe(1);

    // Through the API, as people read it.
    const listed = await api().anomaly.list({ kind: "flow", limit: 10 });
    expect(listed.items.map((a) => a.rule)).toContain("outside-schedule");
  });

  it("leaves a run its schedule covers", async () => {
    const f = await scheduledFlow("every-minute", "* * * * *");
    const before = await db.prisma.anomaly.count({ where: { rule: "outside-schedule" } });
    await runAndFold(f, { startedBy: "schedule:every-minute" });
    expect(await db.prisma.anomaly.count({ where: { rule: "outside-schedule" } })).toBe(before);
  });
});
