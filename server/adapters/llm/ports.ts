/**
 * The agent runtime's own contract: what it returns to the engine (result, usage, decisions) and
 * the logger it reports to. The ports it needs from the world (memory, usage, tools) and the
 * execution it hands them are the agent module's (`server/domain/agent/ports.ts`).
 */
import type { AgentUsage } from "@/server/domain/agent/ports";
import type { PiiDecision } from "./pii";

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
      /** Set when the model answered as an evaluation suite's recommendation: which and why. */
      evaluated?: string;
    }
  | { type: "repair"; stage: "structural" | "request"; changes: string[]; errors?: string[] }
  | { type: "tools"; calls: number; limit: number; limitReached: boolean }
  | { type: "memory"; items: number; chars: number };

export interface AgentResult {
  output: Record<string, unknown>;
  usage: AgentUsage;
  decisions: AgentDecision[];
}

/** The structured logger the runtime reports decisions to (pino's shape). */
export interface AgentLogger {
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
}
