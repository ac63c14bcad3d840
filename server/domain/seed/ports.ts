/**
 * The demo history's records as the writer stores them, and the writer's port
 * (`server/adapters/store/sql-demo-history.ts` implements it).
 */
import type { FlowIR } from "@/dsl";
import type { AuditBatchEntry } from "../audit/chain";
import type { ErrorInfo } from "@/server/engine/errors";
import type { RunFinding } from "../run/ports";
import type {
  AttemptRecord,
  DeadLetterRecord,
  NewEvent,
  RunStatus,
  TaskRecord,
} from "@/server/engine/types";

/** One checkpoint as the SQL store records it: its logged attempts and its events. */
export interface StepLogRecord {
  firstSeq: number;
  attempts: AttemptRecord[];
  events: NewEvent[];
}

/** The run row's columns. */
export interface SimulatedRunRow {
  id: string;
  workspaceId: string;
  workflowId: string;
  version: string;
  irHash: string;
  status: RunStatus;
  inputs: Record<string, unknown>;
  output: unknown;
  error: ErrorInfo | null;
  startedBy: string;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  eventSeq: number;
}

/** Tokens and cost of one agent attempt, as the model router records them (`AgentUsage`). */
export interface UsageRecord {
  id: string;
  runId: string;
  stepId: string;
  attempt: number;
  flowName: string;
  model: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  at: number;
}

/** A finished run of the history with everything the engine recorded for it. */
export interface SimulatedRun {
  run: SimulatedRunRow;
  /** The compiled flow it ran (stored once per distinct IR, `FlowIr`). */
  ir: FlowIR;
  /** Side-effect attempts (a `StepAttempt` row each), with their run-local completion order. */
  rows: AttemptRecord[];
  logs: StepLogRecord[];
  tasks: TaskRecord[];
  deadLetters: DeadLetterRecord[];
  usage: UsageRecord[];
  /** The run's end, as the engine's audit sink received it. */
  ends: AuditBatchEntry[];
}

/** A batch of finished runs, ready to be stored in one transaction. */
export interface HistoryBatch {
  index: number;
  runs: SimulatedRun[];
  /**
   * Each run's reconciliation findings (`history-reconcile.ts`), in the order of `runs`: the
   * writer stores them with the runs, which it marks reconciled.
   */
  findings: RunFinding[][];
  /** Ledger entries of the batch's runs, in order: each run's start, then its end. */
  ledger: AuditBatchEntry[];
}

/** Writes a batch of the history: runs, their records and ledger entries, in one transaction. */
export interface HistoryWriter {
  writeBatch(workspaceId: string, batch: HistoryBatch, marker: AuditBatchEntry): Promise<void>;
}

/** What a run of the history starts with. */
export interface RunStart {
  id: string;
  workspaceId: string;
  workflowId: string;
  version: string;
  ir: FlowIR;
  inputs: Record<string, unknown>;
  startedBy: string;
  createdAt: number;
  /** How long the run waited for a worker after its start was recorded. */
  queueLagMs: number;
}
