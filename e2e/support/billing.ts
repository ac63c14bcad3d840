/**
 * Making a billing flow fail, as the dead-letter, replay and guardian specs do: the workspace's
 * billing connector is this app's mock billing service, whose fault rules (per workspace tenant,
 * editor role) make a write fail until they are cleared; a flow is saved at 1.0.0 and runs of it
 * started and waited for.
 */
import { expect, type APIRequestContext } from "@playwright/test";
import { expectRunStatus, mutate, query } from "./api";

/** A fault rule of the mock billing service (`server/adapters/connectors/mock`). */
export interface BillingFault {
  operation: string;
  errorRate: number;
  status: number;
  seed?: number;
}

/** The mock billing service's fault rules in a workspace's tenant. */
export interface BillingFaults {
  inject(rule: BillingFault): Promise<void>;
  clear(): Promise<void>;
}

/**
 * Adds the `billing` connector (the mock service) to the signed-in person's current workspace;
 * its fault rules.
 */
export async function mockBilling(request: APIRequestContext): Promise<BillingFaults> {
  const ws = await query<{ id: string }>(request, "workspace.current");
  await mutate(request, "connector.create", {
    name: "billing",
    system: "billing",
    baseUrl: "mock://billing",
  });
  const path = `/api/mock/billing/t/${ws.id}/_faults`;
  return {
    async inject(rule) {
      const res = await request.post(path, { data: rule });
      expect(res.ok(), `inject fault: ${res.status()} ${await res.text()}`).toBe(true);
    },
    async clear() {
      // A mutation of the mock is sent as JSON (its cross-site guard), even without a body.
      const res = await request.delete(path, { headers: { "content-type": "application/json" } });
      expect(res.ok(), `clear faults: ${res.status()} ${await res.text()}`).toBe(true);
    },
  };
}

/** Creates the flow `name` and saves `dsl` as its version 1.0.0; the workflow's id. */
export async function savedFlow(
  request: APIRequestContext,
  name: string,
  dsl: string,
): Promise<string> {
  const wf = await mutate<{ id: string }>(request, "workflow.create", { name, dsl });
  await mutate(request, "workflow.createVersion", { id: wf.id, version: "1.0.0", dsl });
  return wf.id;
}

/** Starts a run of version 1.0.0 per inputs, in order, and waits for each to end `failed`. */
export async function failedRuns(
  request: APIRequestContext,
  workflowId: string,
  inputs: Array<Record<string, unknown>>,
): Promise<string[]> {
  const ids: string[] = [];
  for (const i of inputs) {
    const run = await mutate<{ id: string }>(request, "run.start", {
      workflowId,
      version: "1.0.0",
      inputs: i,
    });
    ids.push(run.id);
  }
  for (const id of ids) await expectRunStatus(request, id, /^failed$/);
  return ids;
}

/**
 * A billing flow that fails: the mock billing connector with `fault` injected, the flow saved
 * at 1.0.0, a run per `inputs` started and failed. The faults stay until cleared.
 *
 * @example
 * const { runs, faults } = await failingBillingFlow(page.request, {
 *   name: "Dead letters", dsl, fault: { operation: "account.upsert", errorRate: 1, status: 503 },
 *   inputs: [{ customerId: "CUS-1" }],
 * });
 * await faults.clear();
 */
export async function failingBillingFlow(
  request: APIRequestContext,
  o: { name: string; dsl: string; fault: BillingFault; inputs: Array<Record<string, unknown>> },
): Promise<{ workflowId: string; runs: string[]; faults: BillingFaults }> {
  const faults = await mockBilling(request);
  await faults.inject(o.fault);
  const workflowId = await savedFlow(request, o.name, o.dsl);
  const runs = await failedRuns(request, workflowId, o.inputs);
  return { workflowId, runs, faults };
}
