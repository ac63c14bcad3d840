/**
 * The guardian's model calls (issue 18, item 3; the port `server/domain/guardian/model-ports.ts`):
 * one `agent.draft` execution of the agent runtime whose answer schema is the patch's JSON
 * Schema — so the call has the router (route, cooldown), the run budget (`model.budget_usd`,
 * summed over the request's own usage rows, run id `guardian:<id>`), the PII guard (`redact`: the
 * flow's text and the message reach the model with personal data replaced), structural repair,
 * validation and one repair request of every agent step. A configured real model is called
 * through the egress guard bound to the workspace (the runtime's `egress`); a scripted sandbox
 * model (`scripted/<id>`) is answered by the demo model's endpoint in scripted mode, in-process.
 */
import { createAgentRuntime, type AgentRuntime } from "@/server/adapters/llm/agent-runtime";
import { isDemoModel, loadModels, type ModelConfig } from "@/server/adapters/llm/config";
import { RepetitionCounter } from "@/server/adapters/llm/demo-model/scripted";
import { createPrismaUsageSink } from "@/server/adapters/llm/prisma-usage";
import { AGENT_TASKS, agentBlock } from "@/server/adapters/llm/tasks";
import type { EgressGuard } from "@/server/adapters/egress/guard";
import { modelLabel } from "@/server/domain/agent/constants";
import type { GuardianModelChoice, GuardianModelPort } from "@/server/domain/guardian/model-ports";
import type { Db } from "@/server/domain/types";
import { NonRetryableError } from "@/server/engine/errors";
import { logger } from "@/server/logger";
import { scriptedClientFor, scriptedModelConfig } from "./sandbox-answers";

/** Runtimes kept (their routers hold each model's cooldown state). */
const MAX_RUNTIMES = 32;
const DRAFT = agentBlock("agent.draft")!;

/** The agent task of an agent block (`agent.classify` → `classification`). */
export function agentTaskOf(blockId: string): string | undefined {
  return AGENT_TASKS[blockId.replace(/@\d+$/, "")];
}

export function guardianModelPort(
  db: Db,
  opts: { egress?: EgressGuard; models?: () => ModelConfig[] } = {},
): GuardianModelPort {
  const configured = () => (opts.models ? opts.models() : loadModels().models);
  const runtimes = new Map<string, AgentRuntime>();
  const usageSink = createPrismaUsageSink(db);
  const log = logger().child({ component: "guardian-model" });
  const counter = new RepetitionCounter(1_000);

  function runtimeOf(workspaceId: string, model: string): AgentRuntime {
    if (model.startsWith("scripted/")) {
      const id = model.slice("scripted/".length);
      return createAgentRuntime({
        models: [scriptedModelConfig(id)],
        usageSink,
        logger: log,
        rememberContext: false,
        clientFor: scriptedClientFor(db, workspaceId, counter, `guardian:${workspaceId}`),
      });
    }
    const all = configured();
    const m = all.find((c) => c.name === model);
    if (!m)
      throw new NonRetryableError(
        `the guardian's model ${JSON.stringify(model)} is no longer configured (TRUSTFLOW_MODELS): an admin can choose another one`,
        { classification: { category: "validation", severity: "high" } },
      );
    const key = `${workspaceId}\u0000${JSON.stringify(m)}`;
    let runtime = runtimes.get(key);
    if (runtime) runtimes.delete(key);
    else {
      if (!isDemoModel(m) && !opts.egress)
        throw new NonRetryableError(
          "this process has no egress guard: the guardian cannot call a real model",
          { classification: { category: "system", severity: "high" } },
        );
      runtime = createAgentRuntime({
        models: [m],
        usageSink,
        logger: log,
        rememberContext: false,
        ...(opts.egress ? { egress: opts.egress } : {}),
      });
      if (runtimes.size >= MAX_RUNTIMES) runtimes.delete(runtimes.keys().next().value!);
    }
    runtimes.set(key, runtime);
    return runtime;
  }

  return {
    configured(): GuardianModelChoice[] {
      try {
        return configured().map((m) => ({
          value: m.name,
          label: isDemoModel(m) ? modelLabel(m.name) : m.name,
          kind: "configured" as const,
        }));
      } catch {
        return []; // a broken configuration: Settings → Models names the problem
      }
    },
    capableOf(blockId) {
      const task = agentTaskOf(blockId);
      if (!task) return [];
      try {
        return configured()
          .filter((m) => (m.capabilities.tasks as string[]).includes(task))
          .map((m) => m.name);
      } catch {
        return [];
      }
    },
    async ask(req) {
      const runtime = runtimeOf(req.workspaceId, req.model);
      const result = await runtime.execute({
        block: { id: DRAFT.id, version: DRAFT.version, major: Number(DRAFT.version.split(".")[0]) },
        inputs: { prompt: req.prompt, output: req.schema },
        idempotencyKey: `guardian:${req.callId}`,
        attempt: 1,
        signal: req.signal ?? AbortSignal.timeout(120_000),
        workspaceId: req.workspaceId,
        runId: `guardian:${req.callId}`,
        stepId: "guardian-proposal",
        flow: req.flow,
        pii: "redact",
        model: { fallback: [], budgetUsd: req.budgetUsd },
      });
      return { answer: result.output, model: result.usage.model, usage: result.usage };
    },
  };
}
