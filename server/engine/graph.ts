/**
 * The run's DAG as the scheduler sees it: one node per flow step (plus fan-out children and
 * compensations), each with its latest attempt and how many of its needs are still open.
 * Readiness is incremental: settling a node decrements its dependents' counters, so picking the
 * next ready step is O(1) whatever the flow's size.
 */
import type {
  BlockRef,
  CompiledExpr,
  CompiledValue,
  FlowIR,
  OnError,
  ResilienceProfile,
  StepIR,
} from "@/dsl";
import { referencedSteps } from "./context";
import type { ErrorInfo } from "./errors";
import type { AttemptRecord } from "./types";

/** Where a node is in its life. `scheduled`: a retry row is due later. */
export type NodeStatus =
  "blocked" | "ready" | "running" | "waiting" | "scheduled" | "succeeded" | "failed" | "skipped";

/** Fan-out bookkeeping of a foreach/parallel step. */
export interface FanState {
  kind: "foreach" | "parallel";
  children: Node[];
  concurrency: number;
  continueOnError: boolean;
  inFlight: number;
  /** A child failed for good and errors do not continue: launch no more children. */
  failed: boolean;
}

/** One schedulable unit. */
export interface Node {
  id: string;
  kind: "step" | "child" | "compensation";
  /** Topological position (children sort after their parent). */
  order: number;
  source: StepIR;
  block: BlockRef;
  /** Compiled inputs (children: the nested `with`). */
  inputs?: CompiledValue;
  /** Inputs known up front (compensations). */
  fixedInputs?: Record<string, unknown>;
  condition?: CompiledExpr;
  resilience: ResilienceProfile;
  onError: OnError;
  compensate?: BlockRef;
  refs: Set<string> | "all";
  parent?: Node;
  item?: unknown;
  childIndex?: number;
  fan?: FanState;

  status: NodeStatus;
  /** Latest attempt number (0: none yet). */
  attempt: number;
  /** Re-execute the latest attempt (a worker died while it ran). */
  recover: boolean;
  row?: AttemptRecord;
  output?: unknown;
  error?: ErrorInfo | null;
  retryAt?: number | null;
  retryTaskId?: string;
  finishSeq?: number | null;

  needs: string[];
  dependents: Node[];
  /** Needs not settled yet. */
  open: number;
  skippedNeeds: number;
  succeededNeeds: number;
  /** For `control.join` with `mode: any`. */
  joinAny: boolean;
}

/** Statuses that let dependents proceed. */
export function isSettled(n: Node): boolean {
  return (
    n.status === "succeeded" ||
    n.status === "skipped" ||
    (n.status === "failed" && n.onError === "continue" && n.retryAt == null)
  );
}

/** A failure that ends the run (or starts its compensation). */
export function isFatal(n: Node): boolean {
  return (
    n.kind === "step" && n.status === "failed" && n.retryAt == null && n.onError !== "continue"
  );
}

/** Builds nodes for the flow's steps, wired by `needs`. */
export function buildGraph(ir: FlowIR): Map<string, Node> {
  const nodes = new Map<string, Node>();
  ir.steps.forEach((s, i) => {
    const joinMode =
      s.block.id === "control.join" && s.inputs.entries.mode?.kind === "literal"
        ? s.inputs.entries.mode.value
        : undefined;
    nodes.set(s.id, {
      id: s.id,
      kind: "step",
      order: i * 100_000,
      source: s,
      block: s.block,
      inputs: s.inputs,
      condition: s.condition,
      resilience: s.resilience,
      onError: s.onError,
      compensate: s.compensate?.block,
      refs: referencedSteps([s.inputs, s.condition]),
      status: "blocked",
      attempt: 0,
      recover: false,
      needs: s.needs,
      dependents: [],
      open: 0,
      skippedNeeds: 0,
      succeededNeeds: 0,
      joinAny: joinMode === "any",
    });
  });
  for (const n of nodes.values()) {
    for (const need of n.needs) nodes.get(need)?.dependents.push(n);
  }
  return nodes;
}

/** Counts a settled need of `n` (skipped and succeeded needs decide skips and joins). */
export function countSettledNeed(n: Node, need: Node): void {
  if (need.status === "skipped") n.skippedNeeds++;
  if (need.status === "succeeded") n.succeededNeeds++;
}

/** Applies a stored attempt row to a node. */
export function applyRow(n: Node, row: AttemptRecord, now: number): void {
  n.row = row;
  n.attempt = row.attempt;
  n.finishSeq = row.finishSeq;
  n.output = row.output;
  n.error = row.error;
  n.retryAt = null;
  switch (row.status) {
    case "succeeded":
    case "skipped":
      n.status = row.status;
      break;
    case "failed":
      n.retryAt = row.retryAt;
      n.status = row.retryAt == null ? "failed" : row.retryAt <= now ? "ready" : "scheduled";
      break;
    case "waiting":
      n.status = "waiting";
      break;
    case "running":
      n.status = "ready";
      n.recover = true;
      break;
  }
}

/**
 * Decides whether a node whose needs are settled runs or is skipped because of its needs:
 * a skipped need skips its dependents (the untaken side of a branch), except for `join`, which
 * runs when at least one need succeeded.
 */
export function skippedByNeeds(n: Node): boolean {
  if (n.block.id === "control.join") return n.succeededNeeds === 0 && n.skippedNeeds > 0;
  return n.skippedNeeds > 0;
}
