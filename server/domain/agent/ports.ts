/**
 * The agent module's ports: what agent steps and the agent use cases need from the world, and
 * what the server's agent tools implement. Declared here, implemented by adapters: the Prisma
 * memory and usage stores (`server/adapters/llm/prisma-memory.ts`, `prisma-usage.ts`), the
 * model configuration (`server/adapters/llm/config.ts`), all wired by `agentDeps()`
 * (`server/adapters/llm/agent-deps.ts`); the agent runtime (`server/adapters/llm/agent-runtime.ts`)
 * consumes the memory, usage and tool ports. Tests supply their own.
 */
import type { BlockDefinition } from "@/dsl";
import type { BlockExecution, RuntimeRequest } from "@/server/engine/ports";
import type { Db, Tx } from "../types";

/** What an agent step does with personal data in its prompt and answers. */
export type PiiPolicy = "redact" | "block" | "allow";

/**
 * One execution of an agent block: the engine's request flattened to what a remote call needs
 * (the engine's `BlockExecution`), plus the agent step's settings.
 */
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

// ---------------------------------------------------------------------------------------------
// Memory

export type MemoryKind = "fact" | "context";

export interface MemoryItem {
  flow: string;
  kind: MemoryKind;
  key: string;
  content: string;
  createdAt: Date;
}

/** Per-flow agent memory as agent steps use it. `flows` is nearest first: the step's flow, then its parents. */
export interface AgentMemoryPort {
  recall(q: { workspaceId: string; flows: string[]; limit: number }): Promise<MemoryItem[]>;
  /** Stores (or replaces, by key) one entry. */
  remember(item: {
    workspaceId: string;
    flow: string;
    kind: MemoryKind;
    key: string;
    content: string;
  }): Promise<void>;
}

/** Agent memory as the use cases manage it: what agent steps use, plus search and forget. */
export interface AgentMemoryStore extends AgentMemoryPort {
  /** Entries of the chain whose key or content contains every term of `query` (case-insensitive). */
  search(q: {
    workspaceId: string;
    flows: string[];
    query: string;
    kind?: MemoryKind;
    limit?: number;
  }): Promise<MemoryItem[]>;
  /** Deletes the flow's entries (of `kind`, with `key`, when given); returns how many. */
  forget(q: {
    workspaceId: string;
    flow: string;
    kind?: MemoryKind;
    key?: string;
  }): Promise<number>;
}

// ---------------------------------------------------------------------------------------------
// Usage

export interface AgentUsage {
  model: string;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
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

export interface UsageSummary {
  attempts: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  byModel: Array<{
    model: string;
    /** What the UI shows: "demo model (no AI)" for the built-in demo model, else the name. */
    label: string;
    attempts: number;
    tokensIn: number;
    tokensOut: number;
    costUsd: number;
  }>;
}

/** Agent usage as the use cases read it: what agent steps use, plus the sums reports show. */
export interface AgentUsageStore extends AgentUsageSink {
  /** Usage of one run (every agent step and attempt). */
  byRun(q: { workspaceId: string; runId: string }): Promise<UsageSummary>;
  /** Usage of every run of a flow, optionally since a date. */
  byFlow(q: { workspaceId: string; flowName: string; since?: Date }): Promise<UsageSummary>;
}

// ---------------------------------------------------------------------------------------------
// Models

/** What a caller may see of a configured model: everything except how to authenticate. */
export interface ModelDescription {
  name: string;
  /** What the UI shows: "demo model (no AI)" for the built-in demo model, else the name. */
  label: string;
  demo: boolean;
  provider: string;
  model: string;
  baseURL: string;
  tasks: string[];
  json: "json_schema" | "json_object" | "none";
  tools: boolean;
  tier: "small" | "large";
  maxTokens: number;
  costPerInputToken: number;
  costPerOutputToken: number;
  stream: boolean;
}

/** The configured language models (never their keys). */
export interface ModelCatalog {
  /**
   * The models and where they came from (`TRUSTFLOW_MODELS`, a file path, or `demo`). Throws
   * when the configuration is broken, with a message naming the source and each bad field.
   */
  describe(): { source: string; models: ModelDescription[] };
}

/**
 * What the agent use cases (`models-and-usage.ts`) need from adapters. The stores take the
 * client or a transaction, so a memory write and its ledger entry commit together.
 */
export interface AgentDeps {
  models: ModelCatalog;
  memory(db: Db | Tx): AgentMemoryStore;
  usage(db: Db | Tx): AgentUsageStore;
}

/**
 * What evaluation suites recommend for an agent block (`server/domain/sandbox/evals-preference.ts`):
 * the configured model the router tries first when the step names neither a model route nor a
 * preference. Null: no recommendation (the router ranks as usual).
 */
export interface AgentRoutePreference {
  preferredModel(q: {
    workspaceId: string;
    blockId: string;
  }): Promise<{ model: string; detail: string } | null>;
}
