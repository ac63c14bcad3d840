"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";

/** One eval run's samples: a row × repetition grid with each check's verdict. */
export function EvalRunResults({ id }: { id: string }) {
  const trpc = useTRPC();
  const result = useQuery({
    ...trpc.evalSuite.result.queryOptions({ id }),
    refetchInterval: (q) => (q.state.data?.run.status === "running" ? 1000 : false),
  });
  if (result.isPending) return <p className="text-sm text-zinc-500">Loading results…</p>;
  if (result.error) return <Alert tone="error">{errorMessage(result.error)}</Alert>;
  const { run, results } = result.data;
  const byRow = new Map<number, typeof results>();
  for (const r of results) byRow.set(r.rowIndex, [...(byRow.get(r.rowIndex) ?? []), r]);
  return (
    <section aria-label={`Results of ${run.label}`} className="space-y-2">
      <h3 className="text-sm font-semibold">
        Results: {run.label}{" "}
        <span className="font-normal text-zinc-500">
          ({run.done}/{run.total} samples, dataset {run.datasetHash.slice(0, 12)})
        </span>
      </h3>
      {run.error && (
        <Alert tone={run.status === "interrupted" ? "warning" : "error"}>{run.error}</Alert>
      )}
      <Table label="Samples per row">
        <thead>
          <tr>
            <Th>Row</Th>
            <Th>Repetitions</Th>
            <Th>Checks that failed</Th>
          </tr>
        </thead>
        <tbody>
          {[...byRow.entries()].map(([row, samples]) => (
            <tr key={row}>
              <Td>{row + 1}</Td>
              <Td>
                <span className="flex gap-1">
                  {samples.map((s) => (
                    <span key={s.repetition} title={`${s.route || "no model"} · ${s.latencyMs} ms`}>
                      {s.runId ? (
                        <Link
                          href={`/runs/${s.runId}`}
                          aria-label={`Row ${row + 1} repetition ${s.repetition + 1}: ${s.passed ? "passed" : "failed"}`}
                        >
                          <Badge tone={s.passed ? "success" : "danger"}>
                            {s.passed ? "pass" : "fail"}
                          </Badge>
                        </Link>
                      ) : (
                        <Badge tone="danger">not run</Badge>
                      )}
                    </span>
                  ))}
                </span>
              </Td>
              <Td className="text-xs text-zinc-600">
                {[
                  ...new Set(
                    samples.flatMap((s) =>
                      s.checks
                        .filter((c) => !c.pass)
                        .map((c) => `${c.kind}${c.path ? ` ${c.path}` : ""}: ${c.message}`),
                    ),
                  ),
                ]
                  .slice(0, 3)
                  .join(" · ") || "–"}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
    </section>
  );
}
