/**
 * Real model routes in sandbox sessions (issue 16), part of the sandbox routing
 * (`sandbox-runtimes.ts`). A session a workspace admin opted in to named models of the model
 * router (`server/domain/sandbox/session-models.ts`) runs its agent steps on an agent runtime
 * whose models are the demo model and exactly those routes: the same router (route, fallbacks,
 * cooldown), run budgets (the agent usage table), PII guard and answer checks as live agent
 * steps, and every call to a real model goes through the egress guard bound to the run's
 * workspace, as a live step's does (`model-egress.ts`: the operator's entries of those routes). Its tools stay on the session's mocks. Sessions without an opt-in never get here:
 * a step naming a configured real model in such a session fails, saying so, instead of
 * quietly answering from the demo model.
 */
import type { AgentRuntimeOptions } from "@/server/adapters/llm/agent-runtime";
import {
  demoModelConfig,
  isDemoModel,
  loadModels,
  type ModelConfig,
} from "@/server/adapters/llm/config";
import type { EgressGuard } from "@/server/adapters/egress/guard";
import { needsOptIn } from "@/server/domain/sandbox/model-routes";
import { NonRetryableError } from "@/server/engine/errors";
import type { BlockRuntime, RuntimeRequest } from "@/server/engine/ports";

/** Agent runtimes of opted-in route sets kept (their routers hold cooldown state). */
const MAX_RUNTIMES = 50;

export interface SandboxModels {
  /**
   * The agent runtime of a session run opted in to `routes` (never empty), built with `build`
   * on the demo model and those configured models, real ones called through the egress guard.
   */
  runtimeFor(
    req: RuntimeRequest,
    routes: readonly string[],
    build: (extra: Partial<AgentRuntimeOptions>) => BlockRuntime,
  ): BlockRuntime;
  /**
   * Throws when the step names a configured real model its session is not opted in to (or,
   * `inSession` false, a `sandbox: true` run outside any session, which reaches none).
   */
  refuseUnopted(req: RuntimeRequest, routes: readonly string[], inSession: boolean): void;
}

const refusal = (message: string, detail: Record<string, unknown>) =>
  new NonRetryableError(message, {
    classification: { category: "validation", severity: "high" },
    detail,
  });

export function sandboxModels(opts: {
  egress?: EgressGuard;
  /** The model router's configured models. Default: `loadModels()` at each use. */
  models?: () => ModelConfig[];
}): SandboxModels {
  const configured = () => (opts.models ? opts.models() : loadModels().models);
  const runtimes = new Map<string, BlockRuntime>();

  return {
    runtimeFor(req, routes, build) {
      const workspaceId = req.run.workspaceId;
      if (!opts.egress) {
        throw refusal(
          "this sandbox session is opted in to real model routes, but this process has no egress guard to reach them",
          { routes },
        );
      }
      const all = configured();
      const models: ModelConfig[] = [demoModelConfig()];
      for (const name of routes) {
        const m = all.find((c) => c.name === name && !isDemoModel(c));
        if (!m) {
          throw refusal(
            `the model route ${JSON.stringify(name)} this sandbox session is opted in to is no longer configured (TRUSTFLOW_MODELS): an admin can change the session's model routes`,
            { route: name },
          );
        }
        models.push(m);
      }
      // Keyed by the models themselves: a changed configuration builds a new runtime.
      const key = `${workspaceId}\u0000${JSON.stringify(models)}`;
      let runtime = runtimes.get(key);
      if (runtime) {
        runtimes.delete(key);
      } else {
        // The live agent steps' seam: the guard with the operator's entries of these models.
        runtime = build({ models, egress: opts.egress });
        if (runtimes.size >= MAX_RUNTIMES) runtimes.delete(runtimes.keys().next().value!);
      }
      runtimes.set(key, runtime);
      return runtime;
    },
    refuseUnopted(req, routes, inSession) {
      const route = req.step.source.model?.route;
      if (!needsOptIn(route, routes)) return;
      let all: ModelConfig[];
      try {
        all = configured();
      } catch {
        return; // a broken configuration: the demo model's path reports nothing else
      }
      if (!all.some((m) => m.name === route && !isDemoModel(m))) return;
      throw refusal(
        inSession
          ? `the model route ${JSON.stringify(route)} is a real model, and this sandbox session is not opted in to it: a workspace admin can opt the session in (Sandbox → Sessions → Real model routes); until then its agent steps reach only the demo model`
          : `the model route ${JSON.stringify(route)} is a real model, and a sandbox run outside a session reaches only the demo model: run it in a session a workspace admin opted in to this route`,
        { route },
      );
    },
  };
}
