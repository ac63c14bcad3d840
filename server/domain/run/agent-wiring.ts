/**
 * What the agent runtime needs from the engine's world: the tools a step may call (registry
 * blocks run through the engine's runtimes) and the flow chain of a run (sub-flows inherit their
 * parents' memory).
 */
import { blockRef, isAgentToolBlock } from "@/dsl";
import type { BlockRegistry, BlockDefinition } from "@/dsl";
import type { AgentExecution, AgentToolExecutor } from "../agent/ports";
import { NonRetryableError } from "@/server/engine/errors";
import {
  isPark,
  type RunInfo,
  type RunStore,
  type RuntimeRegistry,
  type RuntimeRequest,
} from "@/server/engine/ports";

/** At most this many tools per step (the agent blocks' `tools` input allows 10). */
const MAX_TOOLS = 10;

/**
 * The tool executor of the server: `toolsFor` resolves the step's `tools` input (`id@major`) in
 * `registry`, keeping tool blocks only ({@link isAgentToolBlock}: blocks that write
 * nothing; writes are not callable as tools yet); `execute` runs one call through
 * `runtimes` (the engine's connectors and built-ins, never the agents) with the agent step's run,
 * services and signal, the call's idempotency key and the block's SLA timeout.
 */
export function createAgentToolExecutor(deps: {
  registry: () => BlockRegistry;
  runtimes: RuntimeRegistry;
}): AgentToolExecutor {
  const toolsFor = (exec: AgentExecution): BlockDefinition[] => {
    const refs = exec.inputs.tools;
    if (!Array.isArray(refs)) return [];
    const out: BlockDefinition[] = [];
    for (const ref of refs.slice(0, MAX_TOOLS)) {
      if (typeof ref !== "string") continue;
      const r = deps.registry().resolve(ref);
      if (!r.ok || !isAgentToolBlock(r.block)) continue;
      if (!out.some((b) => b.id === r.block.id)) out.push(r.block);
    }
    return out;
  };
  return {
    toolsFor,
    async execute(call, exec) {
      // Only what toolsFor offered: the model cannot reach any other block.
      const def = toolsFor(exec).find(
        (b) => b.id === call.block.id && Number(b.version.split(".")[0]) === call.block.major,
      );
      if (!def) throw new Error(`${call.block.id}@${call.block.major} is not a tool of this step.`);
      const req = exec.request;
      if (!req) throw new Error("Tools need the engine's request of the agent step.");
      const runtime = deps.runtimes.get(def.id);
      if (!runtime || runtime.fanout) throw new Error(`No runtime can run ${def.id} as a tool.`);
      const block = blockRef(def);
      const signals = [exec.signal];
      if (def.sla?.timeoutMs) signals.push(AbortSignal.timeout(def.sla.timeoutMs));
      const toolReq: RuntimeRequest = {
        ...req,
        step: { id: `${req.step.id}~tool`, block, source: req.step.source },
        block,
        inputs: call.inputs,
        idempotencyKey: call.idempotencyKey,
        signal: AbortSignal.any(signals),
      };
      const out = await runtime.execute(toolReq);
      if (isPark(out)) {
        throw new NonRetryableError(`${def.id} tried to wait; tools must answer at once.`, {
          classification: { category: "validation", severity: "medium" },
        });
      }
      return out;
    },
  };
}

/** How many parent runs {@link flowChainFromStore} follows at most. */
export const MAX_FLOW_CHAIN_DEPTH = 10;

/**
 * The flow chain of a run for the agent runtime's memory: root flow first, the run's own flow
 * last (`[parent, child]`), following `parentRunId` through `store` (at most
 * {@link MAX_FLOW_CHAIN_DEPTH} parents; a missing parent ends the chain).
 */
export function flowChainFromStore(store: Pick<RunStore, "getRun">) {
  return async (run: RunInfo): Promise<string[]> => {
    const chain = [run.flow];
    const seen = new Set([run.id]);
    let parentId = (await store.getRun(run.id))?.parentRunId ?? null;
    for (let depth = 0; parentId && depth < MAX_FLOW_CHAIN_DEPTH; depth++) {
      if (seen.has(parentId)) break;
      seen.add(parentId);
      const parent = await store.getRun(parentId);
      if (!parent) break;
      chain.unshift(parent.ir.name);
      parentId = parent.parentRunId;
    }
    return chain;
  };
}
