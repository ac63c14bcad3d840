/**
 * Saga compensation: when a step with `on_error: compensate` fails for good, every completed
 * write step that declares a `compensate` block is undone, in reverse completion order, one at
 * a time. Each compensation is a node `<step>~compensate` with durable attempts and the step's
 * retry policy; its runtime receives `{ original: { stepId, inputs, output } }`.
 */
import type { Node } from "./graph";
import { applyRow } from "./graph";
import type { AttemptRecord } from "./types";

/** Completed write steps to undo, last finished first. */
export function compensationOrder(nodes: Iterable<Node>): Node[] {
  return [...nodes]
    .filter(
      (n) =>
        n.kind !== "compensation" &&
        n.status === "succeeded" &&
        n.compensate &&
        n.block.sideEffect === "write",
    )
    .sort((a, b) => (b.finishSeq ?? 0) - (a.finishSeq ?? 0) || b.order - a.order);
}

/** The compensation node of `target`, restored from its latest stored attempt. */
export function compensationNode(target: Node, row: AttemptRecord | undefined, now: number): Node {
  const c: Node = {
    id: `${target.id}~compensate`,
    kind: "compensation",
    order: target.order,
    source: target.source,
    block: target.compensate!,
    fixedInputs: {
      original: {
        stepId: target.id,
        inputs: target.row?.inputs ?? null,
        output: target.output ?? null,
      },
    },
    resilience: target.resilience,
    onError: "fail",
    refs: new Set(),
    status: "ready",
    attempt: 0,
    recover: false,
    needs: [],
    dependents: [],
    open: 0,
    skippedNeeds: 0,
    succeededNeeds: 0,
    joinAny: false,
  };
  if (row) applyRow(c, row, now);
  return c;
}
