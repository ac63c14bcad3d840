/**
 * Arranging approvals in tests: a workspace with its cast (the requester is its admin), flows
 * parked on a human step, hand-ticked engines (no worker: each test decides when the run moves).
 */
import type { Database } from "@/server/adapters/prisma";
import type { Engine } from "@/server/engine/engine";
import type { Role } from "@/server/domain/types";
import { addMembership, callerFor, makeUser, type TestUser } from "./fixtures";
import { engineFor } from "./engine";

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
