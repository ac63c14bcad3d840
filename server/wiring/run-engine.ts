/**
 * The engine's wiring for the server (part of the composition root, `server/composition.ts`):
 * the block runtimes (built-ins, connectors, agents on the configured models) behind the egress
 * guard, the workspace's flows as subflows, and the engine itself on the services' ports (SQL
 * run store, ledger sink, clock, ids, notifier hooks, prom-client metrics, pino logs). Moved out
 * of the domain: wiring is not a use case.
 */
import { appOrigin, dbConnectorResolver } from "@/server/adapters/connectors/store";
import {
  createConnectorRuntime,
  withConnectorRuntimes,
} from "@/server/adapters/connectors/runtime";
import type { EgressGuard } from "@/server/adapters/egress/guard";
import { evalRoutePreference } from "@/server/domain/sandbox/evals-preference";
import { createAgentRuntime } from "@/server/adapters/llm/agent-runtime";
import { createPrismaAgentMemory } from "@/server/adapters/llm/prisma-memory";
import { createPrismaUsageSink } from "@/server/adapters/llm/prisma-usage";
import { createAgentToolExecutor, flowChainFromStore } from "@/server/domain/run/agent-wiring";
import type { Db } from "@/server/domain/types";
import { compileFlowCached, serverRegistry } from "@/server/domain/workflow/compile-flow";
import { NonRetryableError } from "@/server/engine/errors";
import type { FlowResolver, RunStore, RuntimeRegistry } from "@/server/engine/ports";
import { codeJsRuntime, stepSeed, type CodeSandbox } from "@/server/adapters/code/code-runtime";
import {
  codePythonRuntime,
  type PythonSandbox,
} from "@/server/adapters/code/python/python-runtime";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { logger } from "@/server/logger";
import { DEFAULT_SANDBOX_SEED } from "@/server/domain/sandbox/schemas";
import { sandboxRouting } from "./sandbox-runtimes";

/** The shared block registry of the server (primitives; workspace blocks arrive later). */
export const blockRegistry = serverRegistry;

/** Resolves `name@major` to the newest version of that major of a workspace flow (subflows). */
export function workspaceFlows(db: Db): FlowResolver {
  return {
    async resolve(workspaceId, ref) {
      const [name, majorText] = ref.split("@");
      const major = Number(majorText);
      const versions = await db.workflowVersion.findMany({
        where: { workflow: { workspaceId, deletedAt: null } },
        orderBy: { createdAt: "desc" },
        take: 500,
      });
      for (const v of versions) {
        if (Number(v.version.split(".")[0]) !== major) continue;
        // Versions are immutable: each is compiled once per process, not per subflow lookup.
        const { ir } = compileFlowCached(`v:${v.id}`, v.dsl);
        if (ir && ir.name === name) return { ir, workflowId: v.workflowId, version: v.version };
      }
      return null;
    },
  };
}

/**
 * Every block runtime of the server: the engine's built-ins (control, data, policy, human, http,
 * trigger), `code.js` in the QuickJS sandbox (`server/adapters/code/`), `code.python` in Pyodide in
 * an isolated process per call (`server/adapters/code/python/`), the CRM/Billing/CLM and
 * imported connectors, and the agent blocks on the configured
 * models (the built-in demo model when TRUSTFLOW_MODELS is unset; with `[]`, an agent step fails
 * with a configuration error naming TRUSTFLOW_MODELS).
 * An agent step's `tools` are called through the connectors and built-ins (read-only blocks
 * only, see `agent-wiring.ts`); a sub-flow's agents read the memory of its parent flows.
 */
export function serverRuntimes(
  db: Db,
  opts: {
    egress: EgressGuard;
    runs: RunStore;
    code?: () => CodeSandbox;
    python?: () => PythonSandbox;
  },
): RuntimeRegistry {
  // Every outbound call of a run (http.request, connectors, OAuth2 tokens, agent model calls)
  // goes through the egress guard bound to the run's workspace.
  const { egress, runs } = opts;
  const connectors = withConnectorRuntimes(
    builtinRuntimes({ fetchFor: egress.fetchFor }),
    createConnectorRuntime({
      resolveConnector: dbConnectorResolver(db, { demoOrigin: appOrigin() }),
      breakers: null,
      fetchFor: egress.fetchFor,
    }),
  );
  let agentRuntime: ReturnType<ReturnType<typeof createAgentRuntime>["blockRuntime"]> | undefined;
  let agentError: Error | undefined;
  const agents = () => {
    if (!agentRuntime && !agentError) {
      try {
        agentRuntime = createAgentRuntime({
          memory: createPrismaAgentMemory(db),
          usageSink: createPrismaUsageSink(db),
          // Suites that steer the router (issue 16): their best-evaluated model goes first.
          routePreference: evalRoutePreference(db),
          logger: logger().child({ component: "agents" }),
          toolExecutor: createAgentToolExecutor({ registry: blockRegistry, runtimes: connectors }),
          flowChainOf: flowChainFromStore(runs),
          // Model calls: the configured models' hosts and ports are the operator's entries.
          egress,
        }).blockRuntime();
      } catch (err) {
        agentError = err as Error;
      }
    }
    if (agentError) {
      // A broken model configuration fails agent steps with its own message, not "no runtime".
      const message = agentError.message;
      return {
        execute: () =>
          Promise.reject(
            new NonRetryableError(message, {
              classification: { severity: "high", category: "system" },
            }),
          ),
      };
    }
    return agentRuntime;
  };
  // code.python: Pyodide in a separate, isolated process per call (a warm pool started on the
  // first call; disabled with a clear error where the machine refuses the isolation).
  const python = opts.python ? codePythonRuntime(opts.python) : undefined;
  // Sandbox runs (a session's, a `sandbox: true` flow's) reach only mocks and the demo model.
  const sandbox = sandboxRouting(db, {
    runs,
    registry: blockRegistry,
    defaultSeed: DEFAULT_SANDBOX_SEED,
    // Only for the real model routes an admin opted a session in to (connectors stay mocked).
    egress,
  });
  // code.js: QuickJS in the process's pool of sandbox threads (started on the first call). In a
  // sandbox run its `Math.random` is seeded from the session's seed and the step, and its
  // `Date` fixed at the run's start: the same seed gives the same outputs.
  const code = opts.code
    ? codeJsRuntime(opts.code, async (req) => {
        const target = await sandbox.targetOf(req.run);
        if (!target) return null;
        const run = await runs.getRun(req.run.id);
        return {
          seed: stepSeed(target.profile.seed, req.step.id, req.attempt),
          nowMs: run?.startedAt ?? run?.createdAt ?? req.services.now(),
        };
      })
    : undefined;
  return {
    get: (blockId) =>
      sandbox.route(
        blockId,
        (blockId === "code.js" ? code : undefined) ??
          (blockId === "code.python" ? python : undefined) ??
          (blockId.startsWith("agent.") ? agents() : undefined) ??
          connectors.get(blockId),
      ),
  };
}
