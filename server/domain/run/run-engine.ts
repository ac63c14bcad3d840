/**
 * Wiring of the engine for the server: SQL store on the app's database, real clock and ids,
 * built-in runtimes, the audit ledger as audit sink, flows of the workspace as subflows,
 * prom-client metrics, pino logs, in-process wake-ups.
 */
import { mathRandom, systemClock, uuidIds } from "@/server/adapters/queue/embedded-ports";
import type { SqlDriver } from "@/server/adapters/prisma/sql-driver";
import { appendAuditBatchSql, type AuditBatchEntry } from "@/server/adapters/store/sql-audit";
import { SqlRunStore, sqlFromPrisma, type SqlQuery } from "@/server/adapters/store/sql-run-store";
import { Engine, type EngineOptions } from "@/server/engine/engine";
import { NonRetryableError } from "@/server/engine/errors";
import { promMetrics } from "@/server/engine/metrics";
import { notifyRunDue, notifyRunFinished } from "@/server/engine/notify";
import type { AuditSink, FlowResolver, RunAuditEntry, RunStore } from "@/server/engine/ports";
import type { RunRecord } from "@/server/engine/types";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import type { RuntimeRegistry } from "@/server/engine/ports";
import { appOrigin, dbConnectorResolver } from "@/server/adapters/connectors/store";
import {
  createConnectorRuntime,
  withConnectorRuntimes,
} from "@/server/adapters/connectors/runtime";
import { createAgentRuntime } from "@/server/adapters/llm/agent-runtime";
import type { EgressGuard } from "@/server/adapters/egress/guard";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import { createPrismaAgentMemory } from "../agent/memory";
import { createPrismaUsageSink } from "../agent/usage";
import { createAgentToolExecutor, flowChainFromStore } from "./agent-wiring";
import { logger } from "@/server/logger";
import { appendAudit } from "../audit/ledger";
import { compileFlowCached, serverRegistry } from "../workflow/compile-flow";
import type { Db } from "../types";
import { engineRunLimits } from "./admission";
import { connectorDeps } from "@/server/adapters/connectors/vault";
import { workspaceSecretsLoader } from "../secret/secrets";

/** The credential vault (keyring read at the first secret opened). */
const secretVault = connectorDeps();

/** The run store on the app database (Prisma raw queries; pass `sql` for the raw driver). */
export function runStoreFor(db: Db, sql?: SqlQuery): RunStore {
  return new SqlRunStore(sql ?? sqlFromPrisma(db));
}

/**
 * Writes engine events (consent use, run lifecycle) to the workspace's audit ledger. With the
 * raw `driver` of the same database the append skips Prisma (run ends are on the hot path).
 */
export function ledgerAuditSink(db: Db, driver?: Pick<SqlDriver, "transaction">): AuditSink {
  if (driver) return batchedLedgerSink(driver);
  return {
    async record(run, entry) {
      const { actor, record } = runLedgerEntry(run, entry);
      await db.$transaction(async (tx) => {
        await appendAudit(tx, { workspaceId: run.workspaceId, ...actor }, record);
      });
    },
  };
}

/** The engine's ledger entry for a run event (run end, consent use), as every appender writes it. */
export function runLedgerEntry(
  run: Pick<RunRecord, "id" | "startedBy">,
  entry: RunAuditEntry,
): AuditBatchEntry {
  return {
    actor: { label: "engine", userId: null },
    record: {
      action: entry.action,
      subjectType: "run",
      subjectId: run.id,
      payload: { ...entry.payload, startedBy: run.startedBy },
    },
  };
}

/**
 * Run-end entries through the raw driver, batched: entries recorded while a flush is in flight
 * are appended together (per workspace: one lock, one head read, one insert), so a busy
 * workspace's runs do not queue one by one on the ledger's lock. `record` resolves when its
 * entry is committed (a failure rejects it: the engine logs it).
 */
function batchedLedgerSink(driver: Pick<SqlDriver, "transaction">): AuditSink {
  type Pending = { entry: AuditBatchEntry; done: (err?: unknown) => void };
  const queues = new Map<string, Pending[]>();
  const flushing = new Set<string>();
  const flush = async (workspaceId: string) => {
    flushing.add(workspaceId);
    try {
      for (;;) {
        const batch = queues.get(workspaceId) ?? [];
        queues.delete(workspaceId);
        if (batch.length === 0) return;
        try {
          await driver.transaction((tx) =>
            appendAuditBatchSql(
              tx,
              workspaceId,
              batch.map((p) => p.entry),
            ),
          );
          for (const p of batch) p.done();
        } catch (err) {
          for (const p of batch) p.done(err);
        }
      }
    } finally {
      flushing.delete(workspaceId);
    }
  };
  return {
    record(run, entry) {
      return new Promise<void>((resolve, reject) => {
        const q = queues.get(run.workspaceId) ?? [];
        queues.set(run.workspaceId, q);
        q.push({
          entry: runLedgerEntry(run, entry),
          done: (err) => (err === undefined ? resolve() : reject(err as Error)),
        });
        if (!flushing.has(run.workspaceId)) void flush(run.workspaceId);
      });
    },
  };
}

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
 * trigger), the CRM/Billing/CLM and imported connectors, and the agent blocks on the configured
 * models (the built-in demo model when TRUSTFLOW_MODELS is unset; with `[]`, an agent step fails
 * with a configuration error naming TRUSTFLOW_MODELS).
 * An agent step's `tools` are called through the connectors and built-ins (read-only blocks
 * only, see `agent-wiring.ts`); a sub-flow's agents read the memory of its parent flows.
 */
export function serverRuntimes(db: Db, opts: { egress?: EgressGuard } = {}): RuntimeRegistry {
  // Every outbound call of a run (http.request, connectors, OAuth2 tokens) goes through the
  // egress guard bound to the run's workspace.
  const egress = opts.egress ?? serverEgressGuard(db);
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
          logger: logger().child({ component: "agents" }),
          toolExecutor: createAgentToolExecutor({ registry: blockRegistry, runtimes: connectors }),
          flowChainOf: flowChainFromStore(runStoreFor(db)),
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
  return {
    get: (blockId) =>
      (blockId.startsWith("agent.") ? agents() : undefined) ?? connectors.get(blockId),
  };
}

/** Builds the server's engine on `db`. */
export function createRunEngine(
  db: Db,
  opts: Partial<EngineOptions> & {
    sql?: SqlQuery;
    /** The raw driver (transactions for the ledger's hot-path appends). */
    driver?: Pick<SqlDriver, "transaction">;
    /** The egress guard of the runtimes (default: the server's, on `db`). */
    egress?: EgressGuard;
  } = {},
): Engine {
  const { sql, driver, egress, ...rest } = opts;
  return new Engine({
    store: runStoreFor(db, sql),
    clock: systemClock,
    ids: uuidIds,
    random: mathRandom,
    runtimes: serverRuntimes(db, { egress }),
    audit: ledgerAuditSink(db, driver),
    flows: workspaceFlows(db),
    metrics: promMetrics,
    logger: logger(),
    workerId: `web-${process.pid}-${uuidIds.next().slice(0, 8)}`,
    onRunQueued: notifyRunDue,
    onRunFinished: notifyRunFinished,
    // Sub-flow depth and active runs per workspace (TRUSTFLOW_MAX_SUBFLOW_DEPTH, _ACTIVE_RUNS).
    ...engineRunLimits(),
    // `secrets.<name>`: the workspace's secrets, decrypted for a run that reads them (redacted
    // from everything the engine stores: server/engine/secret-redaction.ts).
    secrets: workspaceSecretsLoader(db, () => secretVault.vault),
    ...rest,
  });
}
