/**
 * The composition root's builder: every service of a process, built from its database and the
 * validated environment, and the only code that knows every adapter. `server/composition.ts`
 * memoises the one instance of the web process (it is "server-only"; this module is not, so
 * `npm run worker`, the tests and the benchmarks build theirs with the same function: a test
 * hands it a PGlite database, `server/testing/services.ts`).
 *
 * ```ts
 * const services = createServices(await openDatabase({ kind: "pglite" }));
 * await startRun(services, actor, { workflowId, inputs: {} });   // the domain takes its ports
 * const worker = startEmbeddedWorker(services, { engine: services.engine() });
 * ```
 */
import { createCodeSandbox, type CodeSandbox } from "@/server/adapters/code/code-runtime";
import {
  createPythonSandbox,
  type PythonSandbox,
} from "@/server/adapters/code/python/python-runtime";
import { connectorDeps } from "@/server/adapters/connectors/vault";
import { agentDeps } from "@/server/adapters/llm/agent-deps";
import type { EgressGuard } from "@/server/adapters/egress/guard";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import { promMetrics, promReconciliationMetrics } from "@/server/adapters/metrics/prom-metrics";
import { createRunNotifier } from "@/server/adapters/notify/run-notifier";
import { SqlWebhookDeliveryStore } from "@/server/adapters/notify/sql-notifications";
import { egressWebhookSender } from "@/server/adapters/notify/webhook-sender";
import { mockService } from "@/server/adapters/connectors/mock/mock-service";
import { sessionTenant } from "@/server/adapters/connectors/mock/sandbox";
import type { Database } from "@/server/adapters/prisma";
import { mathRandom, systemClock, uuidIds } from "@/server/adapters/queue/embedded-ports";
import type { FireDueSchedules } from "@/server/adapters/queue/scheduler";
import { ledgerAuditSink, SqlLedger } from "@/server/adapters/store/sql-audit";
import { sqlFindingStore } from "@/server/adapters/store/sql-findings";
import { SqlRunStore, sqlFromDriver, type SqlQuery } from "@/server/adapters/store/sql-run-store";
import {
  sqlInlineRecorder,
  sqlTransactor,
  sqlWebhookLookups,
} from "@/server/adapters/store/sql-transactor";
import type { AgentDeps } from "@/server/domain/agent/ports";
import { syncRunApprovals } from "@/server/domain/approval/approvals";
import { stepApprovalEffect } from "@/server/domain/approval/effects";
import type { WebhookDeps } from "@/server/domain/notification/webhooks";
import { replayApprovalEffect } from "@/server/domain/replay/replays";
import { reprocessApprovalEffect } from "@/server/domain/deadletter/dead-letters";
import { fixApprovalEffect } from "@/server/domain/guardian/review";
import type { ReprocessRunnerDeps } from "@/server/domain/deadletter/runner";
import type { ApprovalEffects } from "@/server/domain/approval/ports";
import type { ConnectorDeps, CredentialVault } from "@/server/domain/connector/ports";
import {
  Admission,
  admissionLimitsOf,
  processLoopClock,
  type AdmissionLimits,
} from "@/server/domain/run/admission";
import type { RunNotifier, TriggerDeps } from "@/server/domain/run/ports";
import type { ReconcileDeps } from "@/server/domain/run/reconcile-runs";
import { workspaceSecretsLoader } from "@/server/domain/secret/secrets";
import { fireDueSchedules } from "@/server/domain/trigger/schedules";
import { WebhookCache } from "@/server/domain/trigger/webhook-cache";
import type { SandboxDeps } from "@/server/domain/sandbox/ports";
import type { DatasetDeps } from "@/server/domain/sandbox/dataset-ports";
import { checkMockDataset, datasetDeps } from "./datasets";
import { guardianModelPort } from "./guardian-model";
import type { GuardianModelPort } from "@/server/domain/guardian/model-ports";
import type { Db } from "@/server/domain/types";
import { Engine, type EngineOptions } from "@/server/engine/engine";
import { earnedTrustLookup } from "@/server/domain/trust/list-trust";
import { runRiskOf } from "@/server/domain/run/run-risk";
import type { AuditSink, Clock, IdGen, MetricsSink, Random } from "@/server/engine/ports";
import { env } from "@/server/env";
import { logger } from "@/server/logger";
import { serverRuntimes, workspaceFlows } from "./run-engine";

/** What a process's services may be given instead of the defaults. */
export interface ServicesConfig {
  /** Admission limits. Default: the environment's (`TRUSTFLOW_ADMISSION_*`, ...). */
  admission?: AdmissionLimits;
  /** The run notifier. Default: a new one (one per process: the composition root's). */
  notifier?: RunNotifier;
  /** The connector dependencies (vault, OpenAPI importer). Default: the keyring's. */
  connectors?: ConnectorDeps;
  /** The egress guard of the runtimes. Default: the server's, on the database's allow list. */
  egress?: EgressGuard;
}

/** What {@link Services.newEngine} may replace: any engine option, and the egress guard. */
export type EngineOverrides = Partial<EngineOptions> & { egress?: EgressGuard };

/** Every service of a process. It is the domain's `TriggerDeps` (hence `RunDeps`) too. */
export interface Services extends TriggerDeps {
  database: Database;
  /** Raw SQL on the database's driver (heartbeats, gauges, NOTIFY). */
  sql: SqlQuery;
  /** The ledger appender with this process's memory of each chain's head. */
  ledger: SqlLedger;
  /** The engine's audit sink (run ends, consent uses), batched on the driver. */
  audit: AuditSink;
  connectors: ConnectorDeps;
  /** The agent use cases' dependencies: model configuration, memory and usage stores. */
  agents: AgentDeps;
  vault: CredentialVault;
  egress: EgressGuard;
  clock: Clock;
  ids: IdGen;
  random: Random;
  metrics: MetricsSink;
  /** The process's engine, built at first use (embedded worker, inline webhooks). */
  engine(): Engine;
  /** Another engine on the same services (a worker's own id and metrics; tests' runtimes). */
  newEngine(overrides?: EngineOverrides): Engine;
  /** The code.python sandbox: its processes start with the first Python step or its prewarm. */
  python(): PythonSandbox;
  /** The schedules' use case on these services (the scheduler loop calls it). */
  fireDueSchedules: FireDueSchedules;
  /** What a decided approval does, per kind (`server/domain/approval/ports.ts`). */
  approvalEffects: ApprovalEffects;
  /** Outgoing webhooks of approval events: endpoints, the delivery queue, the egress sender. */
  outgoingWebhooks: WebhookDeps;
  /** What the run reconciler needs (`startReconciler`, started with run execution). */
  reconciliation: ReconcileDeps & { logger: ReturnType<typeof logger> };
  /** What the dead letters' reprocess runner needs (`startReprocessor`, with run execution). */
  reprocessing: ReprocessRunnerDeps & { logger: ReturnType<typeof logger> };
  /** Sandbox sessions: their mock state lives in the process's mock services. */
  sandbox: SandboxDeps;
  /** Datasets of sandbox sessions: generated values, the secrets recorded rows lose. */
  datasets: DatasetDeps;
  /** The guardian's model calls (model-written fix proposals), real models through `egress`. */
  guardianModel: GuardianModelPort;
}

/** The services built for each Prisma client (tRPC contexts built from a client alone). */
const byClient = new WeakMap<Db, Services>();

/** The services {@link createServices} built on `db`'s database, if any. */
export function servicesOfClient(db: Db): Services | undefined {
  return byClient.get(db);
}

/** Builds a process's services on `database`. Cheap: nothing connects or starts here. */
export function createServices(database: Database, config: ServicesConfig = {}): Services {
  const db = database.prisma;
  const driver = database.driver;
  const sql = sqlFromDriver(driver);
  const runs = new SqlRunStore(sql);
  const ledger = new SqlLedger();
  const notifier = config.notifier ?? createRunNotifier();
  const connectors = config.connectors ?? connectorDeps();
  const egress = config.egress ?? serverEgressGuard(db);
  const admission = new Admission(config.admission ?? admissionLimitsOf(env()), processLoopClock());
  const audit = ledgerAuditSink(driver, ledger);
  const transactor = sqlTransactor(driver, ledger);
  // The code.js sandbox's threads: started by the first code step, never before.
  let sandbox: CodeSandbox | undefined;
  const codeSandbox = () => (sandbox ??= createCodeSandbox());
  // The code.python sandbox's processes: likewise started by the first Python step.
  let pythonSandbox: PythonSandbox | undefined;
  const python = () => (pythonSandbox ??= createPythonSandbox());
  let engine: Engine | undefined;

  const newEngine = (overrides: EngineOverrides = {}): Engine => {
    const { egress: egressOverride, runtimes, ...rest } = overrides;
    return new Engine({
      store: runs,
      clock: systemClock,
      ids: uuidIds,
      random: mathRandom,
      runtimes:
        runtimes ??
        serverRuntimes(db, {
          egress: egressOverride ?? egress,
          runs,
          code: codeSandbox,
          python,
        }),
      audit,
      flows: workspaceFlows(db),
      metrics: promMetrics,
      logger: logger(),
      workerId: `web-${process.pid}-${uuidIds.next().slice(0, 8)}`,
      onRunQueued: notifier.runDue,
      onRunFinished: notifier.runFinished,
      // A run parked on a human step has its approval (and its notifications) at once.
      onRunParked: (run) => syncRunApprovals(services, run),
      // Sub-flow depth and active runs per workspace (TRUSTFLOW_MAX_SUBFLOW_DEPTH, _ACTIVE_RUNS).
      ...admission.engineLimits(),
      // `secrets.<name>`: the workspace's secrets, decrypted for a run that reads them (redacted
      // from everything the engine stores: server/engine/secret-redaction.ts).
      secrets: workspaceSecretsLoader(db, () => connectors.vault),
      // Trust gates at a run's start use the scores earned from run history (cached 10 s per
      // workspace, shared with the server compile's provider): server/engine/advance/trust-start.ts.
      earnedTrust: (workspaceId, workflowId) =>
        earnedTrustLookup(db, workspaceId, Date.now(), undefined, workflowId),
      // A T0 flow's `risk.max`: the run's predicted failure risk (server/domain/prediction).
      runRisk: (run) => runRiskOf(db, run),
      ...rest,
    });
  };

  const services: Services = {
    database,
    db,
    sql,
    runs,
    ledger,
    audit,
    transactor,
    inlineRecorder: sqlInlineRecorder(driver, ledger),
    webhooks: sqlWebhookLookups(sql),
    webhookCache: new WebhookCache(),
    notifier,
    admission,
    connectors,
    agents: agentDeps(),
    vault: connectors.vault,
    egress,
    clock: systemClock,
    ids: uuidIds,
    random: mathRandom,
    metrics: promMetrics,
    engine: () => (engine ??= newEngine()),
    newEngine,
    python,
    fireDueSchedules: (now, opts) => fireDueSchedules(services, now, opts),
    approvalEffects: {
      step: stepApprovalEffect(notifier),
      // An approved replay starts its run (issue 15): server/domain/replay/replays.ts.
      replay: replayApprovalEffect({ notifier }),
      // An approved reprocess job starts (its runner advances it): server/domain/deadletter/.
      reprocess: reprocessApprovalEffect(),
      // An approved guardian fix is released as a new flow version (issue 18).
      fix: fixApprovalEffect({
        db,
        runs,
        transactor,
        notifier,
        logger: logger().child({ component: "guardian" }),
      }),
    },
    outgoingWebhooks: {
      db,
      transactor,
      deliveries: new SqlWebhookDeliveryStore(sql),
      sender: egressWebhookSender(egress),
      vault: connectors.vault,
      clock: systemClock,
    },
    reconciliation: {
      runs,
      findings: sqlFindingStore(sql),
      metrics: promReconciliationMetrics,
      clock: systemClock,
      logger: logger().child({ component: "reconciler" }),
    },
    reprocessing: {
      transactor,
      clock: systemClock,
      notifier,
      logger: logger().child({ component: "reprocess" }),
    },
    sandbox: {
      mockState: {
        drop: (sessionId) => mockService().dropTenant(sessionTenant(sessionId)),
        checkDataset: checkMockDataset,
        setFaults: (sessionId, profile) =>
          mockService().setTenantFaults(sessionTenant(sessionId), profile),
      },
    },
    datasets: datasetDeps(db, () => connectors.vault, runs),
    guardianModel: guardianModelPort(db, { egress }),
  };
  byClient.set(db, services);
  return services;
}
