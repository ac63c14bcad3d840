/**
 * One attempt of one step as an adapter runtime sees it (connectors here, agents in
 * `server/adapters/llm`): the engine's {@link RuntimeRequest}, flattened to the fields a remote
 * call needs. Types only from the engine, so this module has no runtime dependencies.
 */
import type { BlockExecution, RuntimeRequest } from "@/server/engine/ports";

export type { BlockExecution };

/** Maps the engine's request to a {@link BlockExecution}. */
export function toBlockExecution(req: RuntimeRequest): BlockExecution {
  return {
    block: { id: req.block.id, version: req.block.version, major: req.block.major },
    inputs: req.inputs,
    idempotencyKey: req.idempotencyKey,
    attempt: req.attempt,
    signal: req.signal,
    workspaceId: req.run.workspaceId,
    runId: req.run.id,
    stepId: req.step.id,
  };
}
