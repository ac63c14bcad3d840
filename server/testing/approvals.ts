/**
 * Arranging approvals in tests: a workspace with its cast (the requester is its admin), its
 * groups and its members as actors, flows parked on a human step, hand-ticked engines (no
 * worker: each test decides when the run moves), replay approvals asked for directly, runs that
 * fail a CRM write (to replay or reprocess) on a fake clock, and the state a refused decision
 * must leave as it was.
 */
import type { Database } from "@/server/adapters/prisma";
import { requestApproval, type ApprovalRequest } from "@/server/domain/approval/approvals";
import type { Actor, Role } from "@/server/domain/types";
import type { Engine } from "@/server/engine/engine";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { FakeClock } from "@/server/engine/testing/fakes";
import { isTerminalRun, type RunRecord } from "@/server/engine/types";
import { addMembership, callerFor, makeUser, type TestUser } from "./fixtures";
import { engineFor } from "./engine";
import { mockWrites } from "./mock-writes";
import { servicesFor } from "./services";

export type Person = TestUser["user"];

/** A workspace whose admin (`owner`) starts runs, with one member per name and role. */
export async function approvalCast<K extends string>(
  db: Database,
  people: Record<K, Role>,
): Promise<{ owner: TestUser; people: Record<K, Person> }> {
  const owner = await makeUser(db.prisma, "requester");
  const out = {} as Record<K, Person>;
  for (const [name, role] of Object.entries(people) as Array<[K, Role]>) {
    const u = await makeUser(db.prisma, name);
    await addMembership(db.prisma, u.user.id, owner.workspace.id, role);
    out[name] = u.user;
  }
  return { owner, people: out };
}

/** A flow with one human step `gate` (its `uses` and `with` given) after a transform. */
export function humanFlow(name: string, uses: string, withYaml: string): string {
  const indented = withYaml
    .trim()
    .split("\n")
    .map((l) => `      ${l}`)
    .join("\n");
  return `flow: ${name}
version: 1.0.0
sla: T2
trigger:
  manual: {}
inputs:
  amount: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0 }
  - id: gate
    uses: ${uses}
    needs: [calc]
    with:
${indented}
outputs:
  double: \${{ steps.calc.output.double }}
`;
}

/** Ticks `engine` until `runId` has `status` (or throws). */
export async function tickUntil(
  db: Database,
  engine: Engine,
  runId: string,
  ok: (status: string) => boolean,
  ticks = 50,
) {
  for (let i = 0; i < ticks; i++) {
    const run = await db.prisma.run.findUnique({ where: { id: runId } });
    if (run && ok(run.status)) return run;
    await engine.tick({ limit: 10 });
  }
  throw new Error(`run ${runId} did not reach the expected status`);
}

/** Starts a draft run of `dsl` as `user` (its requester) and ticks it until it waits. */
export async function parkedRun(
  db: Database,
  user: Person,
  workspaceId: string,
  dsl: string,
  engine: Engine = engineFor(db),
) {
  const api = callerFor(db.prisma, user, workspaceId);
  const name = /^flow: (.+)$/m.exec(dsl)![1]!;
  const wf = await api.workflow.create({
    name: `${name} ${Math.random().toString(36).slice(2, 7)}`,
    dsl,
  });
  const started = await api.run.start({ workflowId: wf.id, draft: true, inputs: { amount: 21 } });
  await tickUntil(db, engine, started.id, (s) => s === "waiting");
  return { workflowId: wf.id, runId: started.id, engine };
}

/** The approval of `runId`'s step `gate`, as `user` lists it. */
export async function approvalOf(db: Database, user: Person, workspaceId: string, runId: string) {
  const list = await callerFor(db.prisma, user, workspaceId).approval.list({
    status: "all",
    runId,
  });
  const found = list.items.find((a) => a.stepId === "gate");
  if (!found) throw new Error(`no approval for run ${runId}`);
  return found;
}

/** `person`, a member of `workspaceId` with `role`, signed in (for domain functions). */
export function memberActor(person: Person, workspaceId: string, role: Role): Actor {
  return { userId: person.id, label: person.email, workspaceId, role, via: "session" };
}

/** Creates the group `name` of `workspaceId` with `members`, as `admin` through the API. */
export async function groupWith(
  db: Database,
  admin: Person,
  workspaceId: string,
  name: string,
  members: Person[],
) {
  const api = callerFor(db.prisma, admin, workspaceId);
  const group = await api.group.create({ name });
  for (const m of members) await api.group.addMember({ groupId: group.id, userId: m.id });
  return group;
}

/** A pending replay or reprocess approval, asked for in its own transaction on `db`'s services. */
export function requestedApproval(db: Database, request: ApprovalRequest) {
  return servicesFor(db).transactor.transaction((tx) => requestApproval(tx, request));
}

/**
 * What a refused decision must leave as it was: the approval, its decisions, the size of the
 * workspace's ledger and the resume tasks (of every run), as one comparable string.
 */
export async function approvalSnapshot(db: Database, workspaceId: string, approvalId: string) {
  return JSON.stringify({
    approval: await db.prisma.approval.findUnique({ where: { id: approvalId } }),
    decisions: await db.prisma.approvalDecision.findMany({ where: { approvalId } }),
    audit: await db.prisma.auditEntry.count({ where: { workspaceId } }),
    resumes: await db.prisma.runTask.count({ where: { kind: "resume" } }),
  });
}

/**
 * An engine on `db` whose CRM writes (`crm.deal.update`) go to the mock billing tenant
 * `tenant`, on a fake clock a second ahead of the wall clock (runs started now are due).
 */
export function mockCrmEngine(db: Database, tenant: string) {
  const mock = mockWrites(tenant);
  const clock = new FakeClock(Date.now() + 1000);
  const engine = engineFor(db, {
    runtimes: builtinRuntimes().register("crm.deal.update", mock.runtime),
    clock,
  });
  return { mock, clock, engine };
}

/**
 * Ticks `engine` until the run `id` ends (at most 40 ticks), moving `clock` ten minutes on
 * after each tick so that retry waits pass; returns the ended run.
 */
export async function runOnClock(engine: Engine, clock: FakeClock, id: string): Promise<RunRecord> {
  for (let i = 0; i < 40; i++) {
    await engine.tick({ limit: 10 });
    const run = (await engine.deps.store.getRun(id))!;
    if (isTerminalRun(run.status)) return run;
    // A retry waits: move the fake clock past it.
    await clock.advance(10 * 60_000);
  }
  throw new Error(`run ${id} did not end`);
}
