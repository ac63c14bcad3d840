/**
 * The ports the run and trigger use cases call: a transactor handing out transaction-scoped
 * stores, the run notifier, and what a trigger records with its run. Declared here, by the layer
 * that uses them; the adapters on the SQL driver implement them (`server/adapters/store/
 * sql-transactor.ts`, `server/adapters/notify/run-notifier.ts`) and the composition root
 * (`server/composition.ts`, `server/wiring/services.ts`) hands them in. The domain never
 * constructs a store, writes SQL, or appends to the ledger through an adapter itself.
 */
import type {
  Checkpoint,
  CommitResult,
  EngineLogger,
  RunEnd,
  RunStore,
} from "@/server/engine/ports";
import type {
  AttemptRecord,
  DeadLetterRecord,
  NewRun,
  RunEventRecord,
  RunRecord,
} from "@/server/engine/types";
import type { ApprovalStore } from "../approval/types";
import type { AuditBatchEntry, AuditRecord } from "../audit/chain";
import type { ReprocessStore } from "../deadletter/types";
import type { NotificationStore } from "../notification/types";
import type { WebhookCache } from "../trigger/webhook-cache";
import type { Db } from "../types";
import type { Admission } from "./admission";

/** Appends to the workspace's audit ledger inside the transaction that hands it out. */
export interface AuditAppender {
  append(
    actor: { workspaceId: string; label: string; userId: string | null },
    record: AuditRecord,
  ): Promise<{ seq: number; hash: string }>;
}

/**
 * A trigger's own record (a webhook delivery, a schedule fire), unique per trigger event: the
 * insert that claims the event. A second claim of the same event inserts nothing.
 */
export type TriggerClaim =
  | {
      kind: "webhook-delivery";
      workspaceId: string;
      workflowId: string;
      deliveryId: string;
      /** The signed content, `<t>.<verified HMAC>`: unique per flow, like the delivery id. */
      signature: string;
      runId: string;
    }
  | {
      kind: "schedule-fire";
      workspaceId: string;
      workflowId: string;
      /** Epoch milliseconds. */
      fireAt: number;
      /** Null: the fire is recorded without a run (its inputs could not be given). */
      runId: string | null;
    };

/** What a transaction hands out: the run store, the ledger and trigger records, all in it. */
export interface TxScope {
  runs: RunStore;
  audit: AuditAppender;
  /** Approvals and their decisions (`server/domain/approval/`). */
  approvals: ApprovalStore;
  /** In-app notifications and webhook deliveries of events (`server/domain/notification/`). */
  notifications: NotificationStore;
  /** Dead letters' reprocess jobs and their items (`server/domain/deadletter/`). */
  reprocess: ReprocessStore;
  /** The workflows' saved versions, read in the transaction (a replay re-plans in one). */
  versions: WorkflowVersionReader;
  /** Inserts the trigger's record; false when the event was already claimed. */
  claim(claim: TriggerClaim): Promise<boolean>;
}

/** A saved workflow version: its id, SemVer and text. */
export interface StoredVersion {
  id: string;
  version: string;
  dsl: string;
}

/** Reads a live (not deleted) workflow's saved versions within its workspace. */
export interface WorkflowVersionReader {
  /** The named version, or the newest one (`latest`); null when none (or no such workflow). */
  find(workspaceId: string, workflowId: string, version: string): Promise<StoredVersion | null>;
}

/** Runs `fn` in ONE transaction of the app database: everything it writes commits together. */
export interface Transactor {
  transaction<T>(fn: (scope: TxScope) => Promise<T>): Promise<T>;
}

/**
 * An inline run's first checkpoint recorded at once with the trigger's claim, the run, its
 * `run.start` entry and (when the checkpoint ends the run) its end entry: ONE statement when
 * the ledger's head is known, else one transaction. Throws {@link ClaimRefused} when the
 * trigger's event was already claimed.
 */
export interface InlineRecorder {
  recordInline(input: {
    newRun: NewRun & { lease: { owner: string; expiresAt: number } };
    claim: TriggerClaim;
    checkpoint: Checkpoint;
    /** `run.start` first, then the checkpoint's entries. */
    entries: AuditBatchEntry[];
    /**
     * The run's reconciliation, when the checkpoint holds the whole run and ends it
     * (`reconcileWholeRun`): recorded with it, so the run is never written a second time to
     * be marked reconciled.
     */
    reconciled?: { at: number; findings: RunFinding[] };
  }): Promise<CommitResult>;
}

/** Thrown by an {@link InlineRecorder} when the trigger's event was already claimed. */
export class ClaimRefused extends Error {
  constructor() {
    super("The trigger's event was already claimed.");
  }
}

/** In-process wake-ups and run ends (one per process; see the adapter). */
export interface RunNotifier {
  /** Signals that a run is due now (the embedded worker or the pg-boss producer listens). */
  runDue(runId: string): void;
  /** Subscribes to due runs; returns the unsubscribe function. */
  onRunDue(listener: (runId: string) => void): () => void;
  /** Signals that a run reached a final status. */
  runFinished(end: RunEnd): void;
  /** Subscribes to every run end; returns the unsubscribe function. */
  onRunFinished(listener: (end: RunEnd) => void): () => void;
  /**
   * Resolves with the run's end, or null after `timeoutMs` (or when `signal` aborts). Register
   * the wait BEFORE the run can finish, or check the store afterwards.
   */
  waitForRunEnd(
    runId: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): { promise: Promise<RunEnd | null>; cancel(): void };
}

/** A flow's webhook secret as stored (sealed), found by workspace slug and flow name. */
export interface SealedWebhookSecret {
  workspaceId: string;
  workflowId: string;
  ciphertext: string;
  iv: string;
  tag: string;
  keyId: string;
}

/** A workflow's current text: its newest saved version, else its draft. */
export interface CurrentWorkflowText {
  versionId: string | null;
  version: string | null;
  dsl: string | null;
  draft: string;
  /** The draft's `updatedAt`, epoch milliseconds. */
  updatedAt: number;
}

/** The lookups a webhook delivery needs before its run starts (one indexed query each). */
export interface WebhookLookups {
  secretOf(workspaceSlug: string, flowName: string): Promise<SealedWebhookSecret | null>;
  currentText(workflowId: string): Promise<CurrentWorkflowText | null>;
}

/** What the run use cases need (`runs.ts`). */
export interface RunDeps {
  db: Db;
  /** The run store on the app database, outside any transaction. */
  runs: RunStore;
  transactor: Transactor;
  notifier: RunNotifier;
  admission: Admission;
}

/** What a trigger needs to start its run (webhooks, schedules). */
export interface TriggerDeps extends RunDeps {
  webhooks: WebhookLookups;
  /** Records inline runs (synchronous webhooks advanced by the receiving process). */
  inlineRecorder: InlineRecorder;
  /** The process's webhook caches (secrets, compiled flows), shared by rotation and delivery. */
  webhookCache: WebhookCache;
  /**
   * Reconciles an inline run that ends in its first checkpoint as it is recorded (counted and
   * logged as the background reconciler does). Without it, such runs are reconciled by the
   * background reconciler like every other run.
   */
  reconciliation?: InlineReconciliation;
}

/** What reconciling inline runs in process needs. */
export interface InlineReconciliation {
  metrics: ReconciliationMetrics;
  logger?: Pick<EngineLogger, "warn" | "error">;
}

/**
 * What the reconciler found wrong with a finished run (`reconcile.ts`): a step not accounted
 * for, an unknown step, an output outside its contract, a side effect recorded twice.
 */
export interface RunFinding {
  kind:
    | "unknown_step"
    | "step_unaccounted"
    | "skip_unexplained"
    | "output_invalid"
    | "duplicate_effect"
    | "key_shared"
    | "compensation_missing"
    | "dead_letter_mismatch"
    | "check_failed";
  stepId: string | null;
  detail: Record<string, unknown>;
}

/** An ended run with what its reconciliation reads. */
export interface ReconcileSubject {
  run: RunRecord;
  attempts: AttemptRecord[];
  /** Its events, the first `eventLimit` of them. */
  events: RunEventRecord[];
  deadLetters: DeadLetterRecord[];
}

/** The reconciler's records (`RunFinding` rows and `Run.reconciledAt`). */
export interface FindingStore {
  /** Ended runs not reconciled yet, earliest end first, at most `limit`. */
  unreconciled(limit: number): Promise<string[]>;
  /**
   * The runs among `ids` with their attempts, first `eventLimit` events each and dead letters,
   * read for a whole batch at once (a statement per kind of record, not per run).
   */
  load(ids: string[], eventLimit: number): Promise<ReconcileSubject[]>;
  /**
   * Records the findings of several runs and marks each reconciled at `at`, in one statement:
   * the ids claimed (a run reconciled already, e.g. by another process, is left out and keeps
   * its findings).
   */
  recordMany(
    items: Array<{ run: { id: string; workspaceId: string }; findings: RunFinding[] }>,
    at: number,
  ): Promise<Set<string>>;
  /**
   * Records a run's findings and marks it reconciled at `at`, atomically and once: false (and
   * nothing written) when the run was reconciled already, e.g. by another process.
   */
  record(
    run: { id: string; workspaceId: string },
    findings: RunFinding[],
    at: number,
  ): Promise<boolean>;
}

/** Counts findings (prom-client in production: `trustflow_reconciliation_findings_total`). */
export interface ReconciliationMetrics {
  findingRecorded(kind: RunFinding["kind"]): void;
}
