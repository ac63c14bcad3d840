/**
 * Sandbox routing (issue 16), part of the engine's wiring: a run inside a sandbox session, every
 * run of a flow with `sandbox: true`, and their sub-flows and replays reach only the in-process
 * mock services (the session's own tenant, `sbx_<sessionId>`, or the run's own,
 * `sbxrun_<runId>`) and the built-in demo model — plus, for a session a workspace admin opted in
 * to named real model routes, those models through the egress guard (`sandbox-models.ts`). CRM, Billing and CLM steps go to the mocks
 * whatever connectors the workspace configured; `http.request`, imported connectors and any
 * other outbound call are refused with a non-retryable "a sandbox run makes no outbound calls".
 * The engine only passes `sandboxSessionId` and `sandboxOnly` in the run's info; the routing is
 * decided here.
 */
import type { ResolvedConnector } from "@/server/adapters/connectors/runtime";
import { createConnectorRuntime, BUILTIN_CONNECTORS } from "@/server/adapters/connectors/runtime";
import { toBlockExecution } from "@/server/adapters/connectors/execution";
import { inProcessMockUrl } from "@/server/adapters/connectors/mock/in-process";
import { isMockSystem, type TenantProfile } from "@/server/adapters/connectors/mock/mock-service";
import {
  runTenant,
  SANDBOX_NO_EGRESS,
  sandboxEgressRefused,
  sandboxFetch,
  sessionTenant,
} from "@/server/adapters/connectors/mock/sandbox";
import { demoModelConfig } from "@/server/adapters/llm/config";
import { createAgentRuntime, type AgentRuntimeOptions } from "@/server/adapters/llm/agent-runtime";
import { createPrismaUsageSink } from "@/server/adapters/llm/prisma-usage";
import { createAgentToolExecutor, flowChainFromStore } from "@/server/domain/run/agent-wiring";
import { sessionModelRoutes } from "@/server/domain/sandbox/model-routes";
import { openSessionProfile } from "@/server/domain/sandbox/sessions";
import type { EgressGuard } from "@/server/adapters/egress/guard";
import type { ModelConfig } from "@/server/adapters/llm/config";
import type { Db } from "@/server/domain/types";
import type { BlockRegistry } from "@/dsl";
import { NonRetryableError } from "@/server/engine/errors";
import type {
  BlockRuntime,
  RunInfo,
  RunStore,
  RuntimeRegistry,
  RuntimeRequest,
} from "@/server/engine/ports";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { logger } from "@/server/logger";
import { sessionDatasets } from "./datasets";
import { sandboxAnswers } from "./sandbox-answers";
import { sandboxModels } from "./sandbox-models";
import { sessionMockState } from "./sandbox-state";

/** Where a sandbox run's calls go: one mock tenant and how it starts. */
export interface SandboxTarget {
  tenant: string;
  profile: TenantProfile;
  /** The session the run belongs to (itself or through its ancestors); none for `sandbox: true`. */
  sessionId?: string;
}

/** A run's sandboxed ancestor: a session's run, a `sandbox: true` run, or none. */
type Lineage = { sessionId: string } | { runId: string } | null;

/** How many parent (or replayed) runs are followed to find a sandboxed ancestor. */
const MAX_ANCESTORS = 10;
/** Runs whose sandboxed ancestor is remembered (it never changes for a run). */
const MAX_CACHED_RUNS = 5000;

/** What a sandbox run reaches instead of the world. */
export interface SandboxRouting {
  /** The run's sandbox target, or null for an ordinary run. Throws when its session is closed. */
  targetOf(run: RunInfo): Promise<SandboxTarget | null>;
  /** `real` for ordinary runs, the sandbox's runtime of `blockId` for sandbox runs. */
  route(blockId: string, real: BlockRuntime | undefined): BlockRuntime | undefined;
}

/** Whether a block reaches outside the process (connectors, http, agents). */
function isOutbound(blockId: string, isConnector: (id: string) => boolean): boolean {
  return blockId.startsWith("http.") || blockId.startsWith("agent.") || isConnector(blockId);
}

export function sandboxRouting(
  db: Db,
  opts: {
    runs: RunStore;
    registry: () => BlockRegistry;
    defaultSeed: number;
    /** Reaches the real model routes a session is opted in to; without it none are reached. */
    egress?: EgressGuard;
    /** The model router's configured models. Default: `loadModels()` at each use. */
    models?: () => ModelConfig[];
  },
): SandboxRouting {
  const datasetOf = sessionDatasets(db);
  const answers = sandboxAnswers(db);
  const mockState = sessionMockState(db);
  const realModels = sandboxModels({
    ...(opts.egress ? { egress: opts.egress } : {}),
    ...(opts.models ? { models: opts.models } : {}),
  });
  /** Sandboxed ancestors of runs (sub-flows, replays), remembered: a run's never changes. */
  const lineages = new Map<string, Lineage>();

  /**
   * The nearest sandboxed run this run descends from (as a sub-flow or a replay), or null: a
   * sub-flow or a replay of a sandbox run stays in the sandbox.
   */
  async function lineageOf(runId: string): Promise<Lineage> {
    if (lineages.has(runId)) return lineages.get(runId)!;
    let found: Lineage = null;
    let row = await db.run.findUnique({
      where: { id: runId },
      select: { parentRunId: true, replayOfRunId: true },
    });
    for (let i = 0; row && i < MAX_ANCESTORS; i++) {
      const upId: string | null = row.parentRunId ?? row.replayOfRunId ?? null;
      if (!upId) break;
      const up = await db.run.findUnique({
        where: { id: upId },
        select: { parentRunId: true, replayOfRunId: true, sandboxSessionId: true },
      });
      if (!up) break;
      if (up.sandboxSessionId) {
        found = { sessionId: up.sandboxSessionId };
        break;
      }
      const upRun = await opts.runs.getRun(upId);
      if (upRun?.ir.sandboxOnly) {
        found = { runId: upId };
        break;
      }
      row = up;
    }
    if (lineages.size >= MAX_CACHED_RUNS) lineages.delete(lineages.keys().next().value!);
    lineages.set(runId, found);
    return found;
  }

  async function sessionTarget(workspaceId: string, sessionId: string): Promise<SandboxTarget> {
    const session = await openSessionProfile(db, workspaceId, sessionId);
    if (!session) {
      throw new NonRetryableError(
        "this run's sandbox session is closed or expired: start the run in an open session",
        {
          classification: { category: "validation", severity: "high" },
          detail: { sandboxSessionId: sessionId },
        },
      );
    }
    // A session started from a dataset version: its records are written over the seed's.
    const dataset = session.datasetRef
      ? await datasetOf(workspaceId, session.datasetRef)
      : undefined;
    return {
      tenant: sessionTenant(sessionId),
      sessionId,
      profile: {
        seed: session.seed,
        faults: session.faultProfile,
        ...(dataset ? { dataset } : {}),
      },
    };
  }

  async function targetOf(run: RunInfo): Promise<SandboxTarget | null> {
    if (run.sandboxSessionId) return sessionTarget(run.workspaceId, run.sandboxSessionId);
    if (run.sandboxOnly) return { tenant: runTenant(run.id), profile: { seed: opts.defaultSeed } };
    const lineage = await lineageOf(run.id);
    if (!lineage) return null;
    if ("sessionId" in lineage) return sessionTarget(run.workspaceId, lineage.sessionId);
    return { tenant: runTenant(lineage.runId), profile: { seed: opts.defaultSeed } };
  }

  async function targetOrThrow(run: RunInfo): Promise<SandboxTarget> {
    const t = await targetOf(run);
    if (!t) throw new NonRetryableError("the sandbox runtime ran outside a sandbox run");
    return t;
  }

  // Connector blocks: the built-in systems on the session's mock tenant, nothing else.
  const resolveMock = (_workspaceId: string, system: string): Promise<ResolvedConnector> => {
    if (!isMockSystem(system) || !BUILTIN_CONNECTORS.has(system)) {
      return Promise.reject(sandboxEgressRefused(`the ${system} connector has no mock`));
    }
    return Promise.resolve({ system, baseUrl: inProcessMockUrl(system), auth: { type: "none" } });
  };
  const probe = createConnectorRuntime({ resolveConnector: resolveMock, breakers: null });
  const isConnector = (blockId: string) => probe.supports(blockId);
  const connectorRuntime: BlockRuntime = {
    async execute(req: RuntimeRequest) {
      const target = await targetOrThrow(req.run);
      // Answers copied from a run (`sandbox.fromRun`) come first; the rest go to the mocks.
      const recorded = await answers.connector(req);
      if (recorded) return recorded.output;
      // A session's changed mock state this process no longer holds is not forked again quietly.
      if (target.sessionId) await mockState.assertHeld(req.run.workspaceId, target);
      const runtime = createConnectorRuntime({
        resolveConnector: resolveMock,
        breakers: null,
        fetchFor: () => sandboxFetch(target.tenant, target.profile),
      });
      const out = await runtime.execute(toBlockExecution(req));
      if (target.sessionId && req.block.sideEffect === "write")
        await mockState.changed(req.run.workspaceId, target);
      return out;
    },
  };

  // http.request: refused before any lookup or socket.
  const refuse: typeof fetch = (input) =>
    Promise.reject(
      sandboxEgressRefused(
        typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
      ),
    );
  const sandboxBuiltins = builtinRuntimes({ fetchFor: () => refuse });

  // Agents: the built-in demo model (a session's scripted model; the real routes an admin opted
  // the session in to); their tools go through the sandbox's runtimes.
  const toolRuntimes: RuntimeRegistry = {
    get: (blockId) =>
      blockId.startsWith("agent.")
        ? undefined
        : blockId.startsWith("http.")
          ? sandboxBuiltins.get(blockId)
          : isConnector(blockId)
            ? connectorRuntime
            : sandboxBuiltins.get(blockId),
  };
  let agents: BlockRuntime | undefined;
  const buildAgents = (extra: Partial<AgentRuntimeOptions> = {}) =>
    createAgentRuntime({
      models: [demoModelConfig()],
      // No agent memory: a sandbox run must not leave context for the workspace's real runs.
      usageSink: createPrismaUsageSink(db),
      logger: logger().child({ component: "agents", sandbox: true }),
      toolExecutor: createAgentToolExecutor({
        registry: opts.registry,
        runtimes: toolRuntimes,
      }),
      flowChainOf: flowChainFromStore(opts.runs),
      ...extra,
    }).blockRuntime();
  const agentRuntime: BlockRuntime = {
    async execute(req) {
      // A session with a scripted model: the demo model's endpoint in scripted mode answers.
      const scripted = await answers.scriptedAgent(req, buildAgents);
      if (scripted) return scripted.execute(req);
      const sessionId = (await targetOrThrow(req.run)).sessionId;
      const routes = sessionId ? await sessionModelRoutes(db, req.run.workspaceId, sessionId) : [];
      if (routes.length) return realModels.runtimeFor(req, routes, buildAgents).execute(req);
      realModels.refuseUnopted(req, routes, sessionId !== undefined);
      agents ??= buildAgents();
      return agents.execute(req);
    },
  };

  const sandboxRuntimeOf = (blockId: string): BlockRuntime | undefined =>
    blockId.startsWith("agent.")
      ? agentRuntime
      : blockId.startsWith("http.")
        ? sandboxBuiltins.get(blockId)
        : isConnector(blockId)
          ? connectorRuntime
          : undefined;

  return {
    targetOf,
    route(blockId, real) {
      if (!isOutbound(blockId, isConnector)) return real;
      const sandbox = sandboxRuntimeOf(blockId);
      if (!real && !sandbox) return undefined;
      const routed: BlockRuntime = {
        ...(real?.deadlineGraceMs !== undefined ? { deadlineGraceMs: real.deadlineGraceMs } : {}),
        async execute(req) {
          const target = await targetOf(req.run);
          if (!target) {
            if (!real) throw new NonRetryableError(`no runtime for ${blockId}`);
            return real.execute(req);
          }
          if (!sandbox) throw sandboxEgressRefused(blockId);
          return sandbox.execute(req);
        },
      };
      if (real?.resume) {
        const resume = real.resume.bind(real);
        routed.resume = async (req, signal) => {
          if (await targetOf(req.run)) throw sandboxEgressRefused(blockId);
          return resume(req, signal);
        };
      }
      return routed;
    },
  };
}

export { SANDBOX_NO_EGRESS };
