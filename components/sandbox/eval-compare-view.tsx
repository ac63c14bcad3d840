"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Table, Td, Th } from "@/components/ui/table";
import { METRIC_HELP } from "./eval-chart";
import { ms, pct, signed, usd } from "./eval-format";

/** Two eval runs side by side. */
export function EvalCompareView({ a, b }: { a: string; b: string }) {
  const trpc = useTRPC();
  const cmp = useQuery(trpc.evalSuite.compare.queryOptions({ a, b }));
  if (cmp.isPending) return <p className="text-sm text-zinc-500">Comparing…</p>;
  if (cmp.error) return <Alert tone="error">{errorMessage(cmp.error)}</Alert>;
  const { a: left, b: right, delta, rows } = cmp.data;
  const line = (label: string, key: "passAt1" | "passHatN" | "flakyRate", help: string) => (
    <tr key={key}>
      <Td>
        <abbr title={help} className="cursor-help no-underline">
          {label}
        </abbr>
      </Td>
      <Td>{pct(left.metrics[key])}</Td>
      <Td>{pct(right.metrics[key])}</Td>
      <Td>{signed(delta[key], pct)}</Td>
    </tr>
  );
  const differing = rows.filter((r) => r.differs);
  return (
    <section aria-label="Comparison" className="space-y-2">
      <h3 className="text-sm font-semibold">
        Side by side on dataset {cmp.data.datasetHash.slice(0, 12)}
      </h3>
      <Table label="Comparison of two runs">
        <thead>
          <tr>
            <Th>Metric</Th>
            <Th>
              {left.run.label}
              {left.run.sessionName ? ` · ${left.run.sessionName}` : ""}
            </Th>
            <Th>
              {right.run.label}
              {right.run.sessionName ? ` · ${right.run.sessionName}` : ""}
            </Th>
            <Th>Change</Th>
          </tr>
        </thead>
        <tbody>
          {line("pass@1", "passAt1", METRIC_HELP.passAt1)}
          {line("pass^n", "passHatN", METRIC_HELP.passHatN)}
          {line("flaky", "flakyRate", METRIC_HELP.flakyRate)}
          <tr>
            <Td>
              <abbr title={METRIC_HELP.cost} className="cursor-help no-underline">
                cost
              </abbr>
            </Td>
            <Td>{usd(left.metrics.costUsd)}</Td>
            <Td>{usd(right.metrics.costUsd)}</Td>
            <Td>{signed(delta.costUsd, (n) => usd(n))}</Td>
          </tr>
          <tr>
            <Td>
              <abbr title={METRIC_HELP.latency} className="cursor-help no-underline">
                latency p50
              </abbr>
            </Td>
            <Td>{ms(left.metrics.latencyP50Ms)}</Td>
            <Td>{ms(right.metrics.latencyP50Ms)}</Td>
            <Td>{signed(delta.latencyP50Ms, ms)}</Td>
          </tr>
        </tbody>
      </Table>
      <p className="text-sm text-zinc-700">
        {differing.length === 0
          ? "Every row has the same outcome on both sides."
          : `Rows whose outcome differs (all repetitions passing on one side only): ${differing
              .map(
                (r) =>
                  `row ${r.rowIndex + 1} (${r.a?.passed ?? 0}/${r.a?.runs ?? 0} vs ${r.b?.passed ?? 0}/${r.b?.runs ?? 0})`,
              )
              .join(", ")}.`}
      </p>
    </section>
  );
}
