/**
 * What the agent runtime receives from the engine and what it needs from the world. The shapes
 * follow the engine's `BlockRuntime` contract; memory, usage and tools are ports so tests (and
 * other stores) can supply their own.
 */
import type { BlockDefinition } from "@/dsl/types";
import type { BlockExecution } from "@/server/adapters/connectors/execution";
import type { RuntimeRequest } from "@/server/engine/ports";
import type { PiiDecision, PiiPolicy } from "./pii";

/** One execution of an agent block, as the engine hands it over. */
export interface AgentExecution extends BlockExecution {
  /** The step's `model:` settings (StepIR.model). */
  model?: NonNullable<RuntimeRequest["step"]["source"]["model"]>;
  /** The flow's name (memory scope, usage per flow). */
  flow?: string;
  /**
   * For a sub-flow: the flow names from the root down to this flow (`[parent, child]`). Memory is
   * read from all of them, nearest first. Default: `[flow]`.
   */
  flowChain?: string[];
  /** The flow's PII policy, when the engine knows one (else the runtime's default). */
  pii?: PiiPolicy;
  /**
   * The engine's request this execution came from (set by the runtime's `blockRuntime`): a
   * tool executor runs tool blocks with its run, step and services.
   */
  request?: RuntimeRequest;
}

export interface AgentUsage {
  model: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** Why the runtime did what it did; the engine stores these with the attempt. */
export type AgentDecision =
  | PiiDecision
  | {
      type: "route";
      task: string;
      complexity: "low" | "high";
      model: string;
      tried: Array<{ model: string; outcome: string }>;
      skipped: Array<{ model: string; reason: string; detail: string }>;
    }
  | { type: "repair"; stage: "structural" | "request"; changes: string[]; errors?: string[] }
  | { type: "tools"; calls: number; limit: number; limitReached: boolean }
  | { type: "memory"; items: number; chars: number };

export interface AgentResult {
  output: Record<string, unknown>;
  usage: AgentUsage;
  decisions: AgentDecision[];
}

/** One row of agent usage: tokens and cost of one attempt of one step. */
export interface AgentUsageRow extends AgentUsage {
  workspaceId: string;
  runId: string;
  stepId: string;
  attempt: number;
  flow: string;
  at: Date;
}

/** Where usage goes, and where budgets read what was already spent. */
export interface AgentUsageSink {
  record(row: AgentUsageRow): Promise<void>;
  /** USD spent by the run, and by the workspace since `since`. */
  spent(q: { workspaceId: string; runId: string; since: Date }): Promise<{
    runUsd: number;
    workspaceUsd: number;
  }>;
}

export interface MemoryItem {
  flow: string;
  kind: "fact" | "context";
  key: string;
  content: string;
  createdAt: Date;
}

/** Per-flow agent memory. `flows` is nearest first: the step's flow, then its parents. */
export interface AgentMemoryPort {
  recall(q: { workspaceId: string; flows: string[]; limit: number }): Promise<MemoryItem[]>;
  remember(item: {
    workspaceId: string;
    flow: string;
    kind: "fact" | "context";
    key: string;
    content: string;
  }): Promise<void>;
}

/** A registry block the model may call, and how to call it (the engine's BlockRuntime). */
export interface AgentToolExecutor {
  /** The blocks the step may call as tools (empty: no tools). */
  toolsFor(exec: AgentExecution): BlockDefinition[];
  execute(
    call: {
      block: { id: string; version: string; major: number };
      inputs: Record<string, unknown>;
      /** Stable per step attempt and call index, for the tool's own idempotency. */
      idempotencyKey: string;
    },
    exec: AgentExecution,
  ): Promise<unknown>;
}

/** The structured logger the runtime reports decisions to (pino's shape). */
export interface AgentLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}
