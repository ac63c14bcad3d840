/**
 * Fan-out of `control.foreach` and `control.parallel`: each item (or branch) becomes a child
 * node `<step>[<i>]` with its own attempts, retries, timeouts and checkpoints, so a crash
 * mid-loop redoes only the unfinished items. The parent's evaluated inputs (the item list) are
 * stored on its attempt row, so the fan-out is rebuilt identically after a crash.
 */
import type { CompiledValue, CompiledObject } from "@/dsl";
import { NonRetryableError } from "./errors";
import type { FanState, Node } from "./graph";
import { referencedSteps } from "./context";
import type { BlockLookup } from "./ports";

/** Maximum children per fan-out (the foreach schema allows 10,000 items). */
export const MAX_CHILDREN = 10_000;

function entry(v: CompiledValue | undefined, key: string): CompiledValue | undefined {
  return v?.kind === "object" ? v.entries[key] : undefined;
}

function literalString(v: CompiledValue | undefined): string | undefined {
  return v?.kind === "literal" && typeof v.value === "string" ? v.value : undefined;
}

/**
 * The parent's inputs without the nested step(s): those are evaluated per child (`item` and
 * `index` are only bound there).
 */
export function fanoutParentInputs(n: Node): CompiledObject {
  const src = n.inputs?.kind === "object" ? n.inputs : { kind: "object" as const, entries: {} };
  const entries = { ...src.entries };
  delete entries.do;
  delete entries.branches;
  return { kind: "object", entries };
}

/** Creates the children of a fan-out parent from its evaluated inputs. */
export function createChildren(
  parent: Node,
  kind: "foreach" | "parallel",
  evaluated: Record<string, unknown>,
  blocks: BlockLookup,
): FanState {
  const nested: Array<{ uses: string; with?: CompiledValue; item?: unknown }> = [];
  if (kind === "foreach") {
    const items = evaluated.items;
    if (!Array.isArray(items)) throw new NonRetryableError("foreach `items` must be a list");
    if (items.length > MAX_CHILDREN)
      throw new NonRetryableError(
        `foreach has ${items.length} items; the limit is ${MAX_CHILDREN}`,
      );
    const doV = entry(parent.inputs, "do");
    const uses = literalString(entry(doV, "uses"));
    if (!uses) throw new NonRetryableError("foreach `do.uses` must be a block reference");
    items.forEach((item) => nested.push({ uses, with: entry(doV, "with"), item }));
  } else {
    const branches = entry(parent.inputs, "branches");
    if (branches?.kind !== "array")
      throw new NonRetryableError("parallel `branches` must be a list");
    for (const b of branches.items) {
      const uses = literalString(entry(b, "uses"));
      if (!uses) throw new NonRetryableError("parallel branch `uses` must be a block reference");
      nested.push({ uses, with: entry(b, "with") });
    }
  }
  const children = nested.map((c, i): Node => {
    const block = blocks.resolve(c.uses);
    if (!block) throw new NonRetryableError(`unknown block ${c.uses} in ${parent.id}`);
    // Children inherit the step's resilience profile (its tier and overrides).
    const resilience = { ...parent.resilience, breaker: { ...parent.resilience.breaker } };
    const child: Node = {
      id: `${parent.id}[${i}]`,
      kind: "child",
      order: parent.order + 1 + i,
      source: parent.source,
      block,
      inputs: c.with,
      resilience,
      onError: parent.onError,
      compensate: blocks.compensationOf?.(c.uses),
      refs: referencedSteps([c.with]),
      parent,
      childIndex: i,
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
    if (kind === "foreach") child.item = c.item;
    return child;
  });
  const concurrency =
    kind === "parallel"
      ? children.length
      : Math.min(100, Math.max(1, Number(evaluated.concurrency ?? 1) || 1));
  return {
    kind,
    children,
    concurrency,
    continueOnError: evaluated.continueOnError === true,
    inFlight: 0,
    failed: false,
  };
}

/** The parent's output once every child settled: results in item order, failures counted. */
export function fanoutOutput(fan: FanState): Record<string, unknown> {
  const results = fan.children.map((c) => (c.status === "succeeded" ? (c.output ?? null) : null));
  const failed = fan.children.filter((c) => c.status === "failed").length;
  return fan.kind === "foreach" ? { results, failed } : { results };
}
