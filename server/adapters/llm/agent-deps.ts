/**
 * Wires the agent use cases (`server/domain/agent/models-and-usage.ts`) to their adapters: the
 * model configuration from the environment, agent memory and usage in PostgreSQL.
 */
import type { AgentDeps } from "@/server/domain/agent/ports";
import { configuredModels } from "./config";
import { createPrismaAgentMemory } from "./prisma-memory";
import { createPrismaUsageSink } from "./prisma-usage";

/** The production dependencies; the model configuration is read on each call. */
export function agentDeps(): AgentDeps {
  return {
    models: configuredModels(),
    memory: createPrismaAgentMemory,
    usage: createPrismaUsageSink,
  };
}
