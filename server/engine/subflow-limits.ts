/**
 * Bounds on sub-flow runs, checked before a `control.subflow` step (or a foreach child running
 * one) creates its child run: the nesting depth (a flow that calls itself, directly or through
 * other flows, stops at `maxSubflowDepth`) and the workspace's active runs (`maxActiveRuns`, so
 * a foreach of 10,000 fire-and-forget sub-flows cannot flood the database). Both refusals are
 * non-retryable failures of the step that name the limit; nothing is written for a refused
 * child. The active-run cap is soft by at most the starts in flight at the same instant.
 */
import { NonRetryableError } from "./errors";
import type { RunStore } from "./ports";
import type { RunRecord } from "./types";

/** The limits, as `EngineDeps` carries them. */
export interface SubflowLimits {
  maxSubflowDepth: number;
  maxActiveRuns: number;
}

/** `detail.limit` of a refusal: which bound tripped. */
export type SubflowLimitName = "subflow-depth" | "active-runs";

/**
 * Throws a {@link NonRetryableError} when `run` may not start the sub-flow `ref`: it is already
 * `maxSubflowDepth` levels deep, or its workspace has `maxActiveRuns` active runs.
 *
 * @example
 * await assertSubflowAllowed(store, run, "billing-sync@1", { maxSubflowDepth: 10, maxActiveRuns: 1000 });
 */
export async function assertSubflowAllowed(
  store: RunStore,
  run: Pick<RunRecord, "id" | "workspaceId" | "parentRunId">,
  ref: string,
  limits: SubflowLimits,
): Promise<void> {
  const maxDepth = limits.maxSubflowDepth;
  // A top-level run is at depth 0: no query. A child's depth is its ancestors (bounded walk).
  const depth = run.parentRunId ? await store.runDepth(run.id, maxDepth) : 0;
  if (depth >= maxDepth) {
    throw new NonRetryableError(
      `subflow ${ref} refused: the sub-flow depth limit is ${maxDepth} (TRUSTFLOW_MAX_SUBFLOW_DEPTH) and this run is already ${depth} levels deep; does the flow call itself?`,
      {
        classification: { category: "validation", severity: "high" },
        detail: { limit: "subflow-depth" satisfies SubflowLimitName, max: maxDepth, depth },
      },
    );
  }
  const cap = limits.maxActiveRuns;
  const active = await store.countActiveRuns(run.workspaceId, cap);
  if (active >= cap) {
    throw new NonRetryableError(
      `subflow ${ref} refused: the workspace has ${active} active runs, the limit of active runs per workspace (TRUSTFLOW_MAX_ACTIVE_RUNS is ${cap})`,
      {
        classification: { category: "performance", severity: "high" },
        detail: { limit: "active-runs" satisfies SubflowLimitName, max: cap, active },
      },
    );
  }
}
