/**
 * Model-written fix proposals (issue 18, item 3) on PGlite, with real runs and a scripted
 * sandbox model as the guardian's model: a group no rule can patch (a mapping reads a field the
 * flow's input never has) gets a model proposal, which compiles, keeps the flow's comments, is
 * proved on the recorded failing inputs and goes to review; an answer that is not a patch, a
 * patch whose edit does not apply and one that does not compile are discarded with the reason
 * and save nothing; only admins choose the model, and the choice is audited.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { createScriptedModel, updateScriptedModel } from "@/server/domain/sandbox/scripted-models";
import type { Engine } from "@/server/engine/engine";
import { engineFor, tickToEnd, whileTicking } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { groupFailedRuns } from "./consumer";
import { requestModelProposal, writeModelProposals } from "./model-proposals";
import { GREETING_PATCH, greetingFlow } from "@/server/testing/guardian-model-flow";
import { proveProposal } from "./proof";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let editor: Awaited<ReturnType<typeof makeUser>>;
let workflowId = "";
let scriptId = "";

const FLOW = greetingFlow(
  "guarded-greeting",
  "greetings: the name of a customer, for the welcome mail",
);
const PATCH = GREETING_PATCH;

const as = (u: Awaited<ReturnType<typeof makeUser>>) =>
  callerFor(db.prisma, u.user, owner.workspace.id);
const ownerActor = () => ({
  userId: owner.user.id,
  label: owner.user.email,
  workspaceId: owner.workspace.id,
  role: "admin" as const,
  via: "session" as const,
});
const deps = () => ({ db: db.prisma, guardianModel: servicesFor(db).guardianModel });

/** Makes the scripted model answer `answer` to every prompt naming the failing field. */
async function answer(text: string) {
  await updateScriptedModel(db.prisma, ownerActor(), {
    id: scriptId,
    rules: [{ kind: "contains", value: "fullName", answer: text }],
  });
}

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "model-owner");
  editor = await makeUser(db.prisma, "model-editor");
  await addMembership(db.prisma, editor.user.id, owner.workspace.id, "editor");
  engine = engineFor(db);
  const wf = await as(owner).workflow.create({ name: "Guarded greeting", dsl: FLOW });
  await as(owner).workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
  workflowId = wf.id;
  const script = await createScriptedModel(db.prisma, ownerActor(), {
    name: "Fixes",
    rules: [{ kind: "contains", value: "fullName", answer: JSON.stringify(PATCH) }],
    fallback: "error",
  });
  scriptId = script.id;
});
afterAll(async () => {
  await db?.close();
});

describe("model-written fix proposals", () => {
  let groupId = "";

  it("only an admin chooses the guardian's model, among configured and scripted ones; audited", async () => {
    expect(await as(owner).guardianModel.get()).toMatchObject({ model: null });
    await expect(
      as(editor).guardianModel.set({ model: `scripted/${scriptId}` }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(as(owner).guardianModel.set({ model: "no-such-model" })).rejects.toThrow(
      /not a configured model/,
    );
    const view = await as(owner).guardianModel.set({ model: `scripted/${scriptId}` });
    expect(view).toMatchObject({
      model: `scripted/${scriptId}`,
      label: "scripted model Fixes",
      setBy: owner.user.email,
    });
    expect(view.choices.map((c) => c.value)).toContain(`scripted/${scriptId}`);
    const audit = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, action: "guardian.model.set" },
    });
    expect(audit).toHaveLength(1);
  });

  it("writes a proposal for a group no rule patches: it compiles, keeps the comments, is proved and goes to review", async () => {
    for (let i = 0; i < 3; i++) {
      const r = await as(owner).run.start({
        workflowId,
        version: "1.0.0",
        inputs: { customer: { name: `Ada ${i}` } },
      });
      expect((await tickToEnd(engine, r.id)).status).toBe("failed");
    }
    const rec = servicesFor(db).reconciliation;
    for (let i = 0; i < 10; i++) if (!(await reconcileEndedRuns(rec, { limit: 500 })).more) break;
    await groupFailedRuns(db.prisma);
    const group = await db.prisma.guardianGroup.findFirstOrThrow({ where: { workflowId } });
    groupId = group.id;
    expect(group.class).toBe("mapping");
    // The rules have nothing for it.
    expect(await db.prisma.guardianProposal.count({ where: { groupId } })).toBe(0);

    const outcomes = await writeModelProposals(deps(), { now: Date.now() + 60_000 });
    expect(outcomes, JSON.stringify(outcomes)).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ outcome: "proposed", reason: null });
    const p = await db.prisma.guardianProposal.findUniqueOrThrow({
      where: { id: outcomes[0]!.proposalId! },
    });
    expect(p).toMatchObject({ rule: "model", proposedBy: "guardian", status: "proposed" });
    expect(p.rationale).toMatch(/^Written by the model scripted model Fixes \(not a rule\): /);
    expect(p.text).toContain("        name: inputs.customer.name\n");
    expect(p.text).toContain("  - id: shape          # the mail's fields\n");
    expect(p.text).toContain("# greetings: the name of a customer, for the welcome mail\n");
    expect(p.nextVersion).toMatch(/^1\.0\.\d|^1\.\d\.0/);
    // Asked once per failing version: the next turn asks nothing.
    expect(await writeModelProposals(deps(), { now: Date.now() + 60_000 })).toEqual([]);
    // The model's usage is recorded under the request's own run id.
    const attempt = await db.prisma.guardianModelAttempt.findFirstOrThrow({
      where: { proposalId: p.id },
    });
    expect(attempt).toMatchObject({ outcome: "proposed", modelLabel: "scripted model Fixes" });
    expect(await db.prisma.agentUsage.count({ where: { runId: `guardian:${attempt.id}` } })).toBe(
      1,
    );

    const proof = await whileTicking(engine, proveProposal(servicesFor(db), ownerActor(), p.id));
    expect(proof, JSON.stringify(proof?.runs.map((r) => r.note))).toMatchObject({
      status: "passed",
      fixed: 3,
      of: 3,
      regressions: 0,
    });
    const proven = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: p.id } });
    expect(proven.status).toBe("proven");
    expect(proven.approvalId).not.toBeNull();
  }, 120_000);

  it("discards an answer that is not a patch, an edit that does not apply and a patch that does not compile", async () => {
    const before = await db.prisma.guardianProposal.count();
    await answer("Sure! Just rename the field, that should do it.");
    const garbage = await requestModelProposal(deps(), groupId);
    expect(garbage).toMatchObject({
      outcome: "discarded",
      reason: "invalid-patch",
      proposalId: null,
    });

    await answer(JSON.stringify({ ...PATCH, edits: [{ ...PATCH.edits[0], step: "nope" }] }));
    const wrongStep = await requestModelProposal(deps(), groupId);
    expect(wrongStep).toMatchObject({ outcome: "discarded", reason: "edit-failed" });
    expect(wrongStep.detail).toMatch(/nope/);

    await answer(
      JSON.stringify({ ...PATCH, edits: [{ ...PATCH.edits[0], value: "inputs.customer.(" }] }),
    );
    const broken = await requestModelProposal(deps(), groupId);
    expect(broken).toMatchObject({ outcome: "discarded", reason: "does-not-compile" });

    expect(await db.prisma.guardianProposal.count()).toBe(before);
    const attempts = await as(owner).guardianModel.attempts({ id: groupId });
    expect(attempts.map((a) => a.outcome)).toEqual([
      "discarded",
      "discarded",
      "discarded",
      "proposed",
    ]);
    expect(attempts[0]!.reason).toMatch(/^does-not-compile: /);
    const figures = await as(owner).guardianModel.figures();
    expect(figures).toMatchObject({
      requests: 4,
      byOutcome: { proposed: 1, discarded: 3 },
      discardedBy: { "invalid-patch": 1, "edit-failed": 1, "does-not-compile": 1 },
    });
  }, 60_000);

  it("calls a configured model of the router too (the built-in demo model): its answer is checked like any other", async () => {
    const choices = (await as(owner).guardianModel.get()).choices;
    expect(choices).toContainEqual({
      value: "trustflow-demo",
      label: "demo model (no AI)",
      kind: "configured",
    });
    await as(owner).guardianModel.set({ model: "trustflow-demo" });
    const before = await db.prisma.agentUsage.count();
    const r = await requestModelProposal(deps(), groupId);
    // The demo model answers schema-valid JSON made of the prompt's words: rarely a patch that
    // applies and compiles. Whatever it is, the call went through the runtime and was judged.
    expect(r.outcome, JSON.stringify(r)).not.toBe("failed");
    expect(await db.prisma.agentUsage.count()).toBe(before + 1);
    const row = await db.prisma.guardianModelAttempt.findUniqueOrThrow({
      where: { id: r.attemptId },
    });
    expect(row).toMatchObject({ model: "trustflow-demo", modelLabel: "demo model (no AI)" });
    await as(owner).guardianModel.set({ model: `scripted/${scriptId}` });
  }, 60_000);

  it("asks on demand (editors, audited), refusing a second model proposal for the same version", async () => {
    await expect(as(editor).guardianModel.propose({ id: groupId })).rejects.toMatchObject({
      code: "CONFLICT",
    });
    await db.prisma.guardianProposal.deleteMany({ where: { groupId, rule: "model" } });
    await answer(JSON.stringify(PATCH));
    const again = await as(editor).guardianModel.propose({ id: groupId });
    expect(again).toMatchObject({ outcome: "proposed" });
    const audit = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, action: "guardian.model.propose" },
    });
    expect(audit).toHaveLength(1);
  }, 60_000);

  it("proves the stricter input schema rule: the failing inputs are refused at the start, the good ones still run", async () => {
    const flow = `# seats: the price per seat
flow: guarded-seats
version: 1.0.0
trigger:
  manual: {}
inputs:
  seats: { type: number }   # from the order form
steps:
  - id: price
    uses: data.transform@1
    with:
      fields:
        perSeat: 1200 / int(inputs.seats)
`;
    const wf = await as(owner).workflow.create({ name: "Guarded seats", dsl: flow });
    await as(owner).workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: flow });
    for (const seats of [4, 7, 0, 0, 0]) {
      const r = await as(owner).run.start({
        workflowId: wf.id,
        version: "1.0.0",
        inputs: { seats },
      });
      await tickToEnd(engine, r.id);
    }
    const rec = servicesFor(db).reconciliation;
    for (let i = 0; i < 10; i++) if (!(await reconcileEndedRuns(rec, { limit: 500 })).more) break;
    await groupFailedRuns(db.prisma);
    const p = await db.prisma.guardianProposal.findFirstOrThrow({
      where: { workflowId: wf.id, rule: "stricter-input-schema" },
    });
    expect(p.text).toContain(
      "  seats: {type: number, exclusiveMinimum: 0}   # from the order form\n",
    );
    const proof = await whileTicking(engine, proveProposal(servicesFor(db), ownerActor(), p.id));
    expect(proof, JSON.stringify(proof?.runs.map((r) => [r.outcome, r.note]))).toMatchObject({
      status: "passed",
      fixed: 3,
      of: 3,
      regressions: 0,
      regressionOf: 2,
    });
    expect(proof!.runs.filter((r) => r.kind === "failing").map((r) => r.outcome)).toEqual([
      "refused",
      "refused",
      "refused",
    ]);

    // Had that proof failed, the guardian's model is asked, told which rule fix failed.
    await db.prisma.guardianProposal.update({ where: { id: p.id }, data: { status: "unproven" } });
    const guard = {
      title: "Guard the division by a seat count of 0",
      rationale: "A seat count of 0 divides by zero; the price per seat is 0 then.",
      edits: [
        {
          type: "set-input",
          step: "price",
          key: "fields.perSeat",
          value: "int(inputs.seats) == 0 ? 0 : 1200 / int(inputs.seats)",
        },
      ],
    };
    await updateScriptedModel(db.prisma, ownerActor(), {
      id: scriptId,
      rules: [
        {
          kind: "contains",
          value: "did not pass their proof: Refuse the inputs",
          answer: JSON.stringify(guard),
        },
      ],
    });
    const asked = await writeModelProposals(deps(), { now: Date.now() + 60_000 });
    expect(asked, JSON.stringify(asked)).toHaveLength(1);
    expect(asked[0]).toMatchObject({ outcome: "proposed" });
    const written = await db.prisma.guardianProposal.findUniqueOrThrow({
      where: { id: asked[0]!.proposalId! },
    });
    expect(written).toMatchObject({ rule: "model", groupId: p.groupId });
    expect(written.text).toContain(
      '        perSeat: "int(inputs.seats) == 0 ? 0 : 1200 / int(inputs.seats)"\n',
    );
  }, 120_000);
});
