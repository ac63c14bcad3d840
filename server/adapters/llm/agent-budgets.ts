/**
 * The agent runtime's budgets and usage: the run and workspace budgets a step must fit
 * (`model.budget_usd` of the step, the workspace's monthly cap), the check before each further
 * call of an attempt, and an in-process usage sink.
 */
import type { ChatCompletionMessageParam } from "openai/resources/chat/completions";
import type { AgentExecution, AgentUsageRow, AgentUsageSink } from "@/server/domain/agent/ports";
import { NonRetryableError } from "@/server/engine/errors";
import type { ModelConfig } from "./config";
import { estimateCostUsd, estimateTokens, type BudgetState, type Clock } from "./router";

/** Tokens and cost of one step attempt so far, across every call and model. */
export interface UsageTotals {
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

/** An in-process usage sink: fine for tests and single-process budgets. */
export function createInMemoryUsageSink(): AgentUsageSink & { rows: AgentUsageRow[] } {
  const rows: AgentUsageRow[] = [];
  return {
    rows,
    async record(row) {
      const i = rows.findIndex(
        (r) => r.runId === row.runId && r.stepId === row.stepId && r.attempt === row.attempt,
      );
      if (i >= 0) rows[i] = row;
      else rows.push(row);
    },
    async spent({ workspaceId, runId, since }) {
      let runUsd = 0;
      let workspaceUsd = 0;
      for (const r of rows) {
        if (r.runId === runId) runUsd += r.costUsd;
        if (r.workspaceId === workspaceId && r.at >= since) workspaceUsd += r.costUsd;
      }
      return { runUsd, workspaceUsd };
    },
  };
}

const startOfUtcMonth = (ms: number) => {
  const d = new Date(ms);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
};

/**
 * The budgets that apply to `exec`, with what was spent: the run's (when the step sets
 * `model.budget_usd`) and the workspace's this UTC calendar month (when it has a cap).
 */
export async function budgetsFor(c: {
  exec: AgentExecution;
  usageSink: AgentUsageSink;
  workspaceBudgetUsd:
    ((workspaceId: string) => number | undefined | Promise<number | undefined>) | undefined;
  clock: Clock;
}): Promise<BudgetState[]> {
  const { exec } = c;
  const since = startOfUtcMonth(c.clock.now());
  const spent = await c.usageSink.spent({
    workspaceId: exec.workspaceId,
    runId: exec.runId,
    since,
  });
  const budgets: BudgetState[] = [];
  if (exec.model?.budgetUsd !== undefined) {
    budgets.push({
      name: "run budget (model.budget_usd of the step)",
      limitUsd: exec.model.budgetUsd,
      spentUsd: spent.runUsd,
    });
  }
  const wsLimit = await c.workspaceBudgetUsd?.(exec.workspaceId);
  if (wsLimit !== undefined) {
    budgets.push({
      name: "workspace monthly budget",
      limitUsd: wsLimit,
      spentUsd: spent.workspaceUsd,
    });
  }
  return budgets;
}

/** Throws when another call to `m` with `messages` could exceed a budget. */
export function checkBudget(
  m: ModelConfig,
  messages: ChatCompletionMessageParam[],
  budgets: BudgetState[],
  totals: { costUsd: number },
): void {
  const est = estimateCostUsd(m, estimateTokens(JSON.stringify(messages).length));
  const over = budgets.find((b) => b.spentUsd + totals.costUsd + est > b.limitUsd);
  if (over) {
    throw new NonRetryableError(
      `The ${over.name} of $${over.limitUsd} would be exceeded by another call to ${m.name} in this step.`,
      {
        classification: { category: "validation", severity: "high" },
        detail: { budget: over.name, limitUsd: over.limitUsd },
      },
    );
  }
}
