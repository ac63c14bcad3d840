/**
 * A guardian test bed on a test database: a workspace whose one-step flow writes the CRM, and a
 * switch for a 429 storm on that write. Failed runs are reconciled and grouped on demand, as
 * the background consumers would.
 */
import type { Database } from "@/server/adapters/prisma";
import { groupFailedRuns } from "@/server/domain/guardian/consumer";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import type { Actor } from "@/server/domain/types";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { RetryAfterError } from "@/server/engine/errors";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { engineFor, runManyToEnd } from "./engine";
import { callerFor, makeUser } from "./fixtures";
import { servicesFor } from "./services";

export const stormFlow = (
  name: string,
  version: string,
) => `# contacts: the CRM is written once per person
flow: ${name}
version: ${version}
steps:
  - id: sync           # the CRM write
    uses: crm.contact.update@1
    retry: { max: 0 }
    with: { id: CON-1, email: ada@example.com }
`;

export interface GuardianBed {
  owner: Awaited<ReturnType<typeof makeUser>>;
  engine: Engine;
  workflowId: string;
  /** Turns the CRM's 429 storm on or off (on at first). */
  storm(on: boolean): void;
  /** Starts `count` runs of version 1.0.0 and ticks them to their end; their ids. */
  runs(count: number): Promise<string[]>;
  /** Reconciles the ended runs and groups their failures (the consumers' work). */
  group(): Promise<void>;
  actorOf(u: { user: { id: string; email: string } }, role: Actor["role"]): Actor;
}

/** A workspace owned by a new user `label`, with the flow `name` saved as 1.0.0. */
export async function guardianBed(db: Database, label: string, name: string): Promise<GuardianBed> {
  const owner = await makeUser(db.prisma, label);
  let storming = true;
  const runtimes = builtinRuntimes();
  runtimes.register("crm.contact.update", {
    execute() {
      if (storming)
        throw new RetryAfterError(
          20_000,
          `crm PATCH /contacts/CON-1 failed with HTTP 429: rate limit exceeded (request ${crypto.randomUUID()})`,
          { detail: { status: 429 } },
        );
      return { id: "CON-1" };
    },
  });
  const engine = engineFor(db, { runtimes });
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const dsl = stormFlow(name, "1.0.0");
  const wf = await api.workflow.create({ name, dsl });
  await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl });
  const ir = compileFlow(dsl).ir!;
  return {
    owner,
    engine,
    workflowId: wf.id,
    storm: (on) => void (storming = on),
    async runs(count) {
      const runs = await runManyToEnd(
        engine,
        { workspaceId: owner.workspace.id, workflowId: wf.id, version: "1.0.0", ir },
        count,
      );
      return runs.map((r) => r.id);
    },
    async group() {
      const deps = servicesFor(db).reconciliation;
      for (let i = 0; i < 20; i++)
        if (!(await reconcileEndedRuns(deps, { limit: 500 })).more) break;
      await groupFailedRuns(db.prisma);
    },
    actorOf: (u, role) => ({
      userId: u.user.id,
      label: u.user.email,
      workspaceId: owner.workspace.id,
      role,
      via: "session",
    }),
  };
}
