"use client";

import { baseStepId } from "@/lib/runs/run-state";
import type { RunDetail as RunRecord } from "@/lib/runs/use-run-live";
import { errorMessage } from "@/lib/trpc/errors";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Alert } from "@/components/ui/alert";
import { ModelName } from "./model-name";

/** Agent cost per IR step (children and retries summed into their step). */
function costByStep(rows: ReadonlyArray<{ stepId: string; costUsd: number }>) {
  const by = new Map<string, { stepId: string; attempts: number; costUsd: number }>();
  for (const r of rows) {
    const id = baseStepId(r.stepId);
    const c = by.get(id) ?? { stepId: id, attempts: 0, costUsd: 0 };
    c.attempts += 1;
    c.costUsd += r.costUsd;
    by.set(id, c);
  }
  return [...by.values()];
}

/** The run's agent cost: by model (with the total), and by step (each step opens its drawer). */
export function RunCostPanel({
  usage,
  usageError,
  agentUsage,
  onSelect,
}: {
  /** The run's model usage, once loaded. */
  usage: RouterOutputs["model"]["usageByRun"] | undefined;
  usageError: unknown;
  agentUsage: RunRecord["agentUsage"];
  onSelect: (stepId: string) => void;
}) {
  return (
    <section
      aria-labelledby="run-cost-title"
      className="rounded-lg border border-zinc-200 bg-white p-3"
    >
      <h2 id="run-cost-title" className="mb-2 text-sm font-semibold text-zinc-900">
        Agent cost
      </h2>
      {usageError ? (
        <Alert tone="error">{errorMessage(usageError)}</Alert>
      ) : !usage || usage.attempts === 0 ? (
        <p className="text-xs text-zinc-600">No agent step of this run has used a model.</p>
      ) : (
        <>
          <table aria-label="Agent cost by model" className="w-full text-xs">
            <thead>
              <tr className="text-left text-zinc-500">
                <th className="font-medium">Model</th>
                <th className="font-medium">Calls</th>
                <th className="font-medium">Tokens in / out</th>
                <th className="text-right font-medium">Cost</th>
              </tr>
            </thead>
            <tbody>
              {usage.byModel.map((m) => (
                <tr key={m.model}>
                  <td>
                    <ModelName model={m.model} label={m.label} />
                  </td>
                  <td>{m.attempts}</td>
                  <td>
                    {m.tokensIn} / {m.tokensOut}
                  </td>
                  <td className="text-right">${m.costUsd.toFixed(4)}</td>
                </tr>
              ))}
              <tr className="border-t border-zinc-200 font-medium">
                <td>Total</td>
                <td>{usage.attempts}</td>
                <td>
                  {usage.tokensIn} / {usage.tokensOut}
                </td>
                <td className="text-right">${usage.costUsd.toFixed(4)}</td>
              </tr>
            </tbody>
          </table>
          <table aria-label="Agent cost by step" className="mt-3 w-full text-xs">
            <thead>
              <tr className="text-left text-zinc-500">
                <th className="font-medium">Step</th>
                <th className="font-medium">Attempts</th>
                <th className="text-right font-medium">Cost</th>
              </tr>
            </thead>
            <tbody>
              {costByStep(agentUsage).map((c) => (
                <tr key={c.stepId}>
                  <td>
                    <button
                      type="button"
                      className="font-mono hover:underline"
                      onClick={() => onSelect(c.stepId)}
                    >
                      {c.stepId}
                    </button>
                  </td>
                  <td>{c.attempts}</td>
                  <td className="text-right">${c.costUsd.toFixed(4)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
