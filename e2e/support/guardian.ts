/**
 * A guardian journey's start (issue 18): a flow whose billing write meets an injected 429 storm.
 * One run succeeds first (the proof's regression set), then three fail and leave dead letters;
 * the guardian groups them off the request path, proposes a back-off and proves it on its own.
 */
import { expect, type APIRequestContext } from "@playwright/test";
import { expectRunStatus, mutate, query } from "./api";
import { failedRuns, mockBilling, savedFlow } from "./billing";

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
  const faults = await mockBilling(request);
  const dsl = guardianFlowText(suffix);
  const flowName = `Guardian fix ${suffix}`;
  const workflowId = await savedFlow(request, flowName, dsl);
  const good = await mutate<{ id: string }>(request, "run.start", {
    workflowId,
    version: "1.0.0",
    inputs: { customerId: `CUS-${suffix}-0` },
  });
  await expectRunStatus(request, good.id, /^succeeded$/);
  await faults.inject({ operation: "account.upsert", errorRate: 1, status: 429, seed: 11 });
  const failed = await failedRuns(
    request,
    workflowId,
    [1, 2, 3].map((i) => ({ customerId: `CUS-${suffix}-${i}` })),
  );
  // Grouped off the request path, after the runs are reconciled: all three failures (a fix
  // proved before the last one was grouped is proved again on all of them).
  await expect
    .poll(
      async () =>
        (
          await query<{ items: Array<{ flowName: string; count: number }> }>(
            request,
            "guardian.groups",
            { limit: 100 },
          )
        ).items.find((g) => g.flowName === flowName)?.count ?? 0,
      { timeout: 180_000, intervals: [1_000, 2_000, 5_000] },
    )
    .toBe(failed.length);
  return { workflowId, flowName, failed, clearFaults: () => faults.clear() };
}
