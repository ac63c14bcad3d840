/**
 * A guardian journey's start (issue 18): a flow whose billing write meets an injected 429 storm.
 * One run succeeds first (the proof's regression set), then three fail and leave dead letters;
 * the guardian groups them off the request path, proposes a back-off and proves it on its own.
 */
import { expect, type APIRequestContext } from "@playwright/test";
import { expectRunStatus, mutate, query } from "./api";

export const guardianFlowText = (suffix: string) => `# guardian fix ${suffix}: bills new customers.
flow: guardian-fix-${suffix}
version: 1.0.0
trigger:
  manual: {}
inputs:
  customerId: { type: string }
steps:
  - id: account        # the billing write
    uses: billing.account.upsert@2
    retry: { max: 0 }
    with:
      customer:
        id: \${{ inputs.customerId }}
        name: Guardian fix ${suffix}
        email: guardian-fix-${suffix}@example.test
      currency: EUR
`;

export interface StormedFlow {
  workflowId: string;
  flowName: string;
  /** The failed runs' ids. */
  failed: string[];
  /** Ends the storm. */
  clearFaults(): Promise<void>;
}

/** Creates the flow in the signed-in admin's workspace, fails three runs, waits for the group. */
export async function stormedFlow(
  request: APIRequestContext,
  suffix: string,
): Promise<StormedFlow> {
  const ws = await query<{ id: string }>(request, "workspace.current");
  await mutate(request, "connector.create", {
    name: "billing",
    system: "billing",
    baseUrl: "mock://billing",
  });
  const dsl = guardianFlowText(suffix);
  const flowName = `Guardian fix ${suffix}`;
  const wf = await mutate<{ id: string }>(request, "workflow.create", { name: flowName, dsl });
  await mutate(request, "workflow.createVersion", { id: wf.id, version: "1.0.0", dsl });
  const start = (i: number) =>
    mutate<{ id: string }>(request, "run.start", {
      workflowId: wf.id,
      version: "1.0.0",
      inputs: { customerId: `CUS-${suffix}-${i}` },
    });
  const good = await start(0);
  await expectRunStatus(request, good.id, /^succeeded$/);
  const faults = `/api/mock/billing/t/${ws.id}/_faults`;
  const injected = await request.post(faults, {
    data: { operation: "account.upsert", errorRate: 1, status: 429, seed: 11 },
  });
  expect(injected.ok()).toBe(true);
  const failed: string[] = [];
  for (let i = 1; i <= 3; i++) failed.push((await start(i)).id);
  for (const id of failed) await expectRunStatus(request, id, /^failed$/);
  // Grouped off the request path, after the runs are reconciled.
  await expect
    .poll(
      async () =>
        (
          await query<{ items: Array<{ flowName: string }> }>(request, "guardian.groups", {
            limit: 100,
          })
        ).items.some((g) => g.flowName === flowName),
      { timeout: 180_000, intervals: [1_000, 2_000, 5_000] },
    )
    .toBe(true);
  return {
    workflowId: wf.id,
    flowName,
    failed,
    async clearFaults() {
      const cleared = await request.delete(faults, {
        headers: { "content-type": "application/json" },
      });
      expect(cleared.ok()).toBe(true);
    },
  };
}
