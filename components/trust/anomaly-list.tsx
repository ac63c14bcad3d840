"use client";

import { useMutation, useQueryClient } from "@tanstack/react-query";
import { hasRole } from "@/lib/enums";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { HeadRow, Table, Td } from "@/components/ui/table";

export type AnomalyItem = RouterOutputs["anomaly"]["list"]["items"][number];

const num = (x: number | null) =>
  x === null
    ? "—"
    : Math.abs(x) >= 100
      ? x.toFixed(0)
      : Math.abs(x) >= 1
        ? x.toFixed(2)
        : x.toPrecision(2);

/**
 * Anomalies with what they are judged against: baseline, observed value, n, rule and why (the
 * explanation). Editors and admins mark one expected (its entity-metric's threshold rises by
 * 25 %, and it no longer lowers the entity's trust score) or real (the threshold drops by 10 %);
 * the mark is in the audit log.
 */
export function AnomalyList({ items }: { items: AnomalyItem[] }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const role = useCurrentWorkspace().data?.role;
  const mark = useMutation(
    trpc.anomaly.feedback.mutationOptions({
      // Expected anomalies stop lowering trust scores: the scores are read again too.
      onSuccess: () =>
        Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.anomaly.list.queryKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.trust.list.queryKey() }),
        ]),
    }),
  );
  const canMark = hasRole(role, "editor");
  return (
    <div className="space-y-2">
      {mark.error && (
        <Alert tone="error">{errorMessage(mark.error) ?? "The feedback was not saved."}</Alert>
      )}
      <Table label="Anomalies with their baseline, observed value, n and rule">
        <HeadRow
          columns={["Entity", "Metric", "Baseline", "Observed", "n", "Rule", "Why"]}
          last={canMark ? "Feedback" : null}
        />
        <tbody>
          {items.map((a) => (
            <tr key={a.id} data-testid="anomaly-row">
              <Td>
                <span className="text-xs text-zinc-500">{a.kind}</span>{" "}
                <span className="font-medium">{a.label || a.key}</span>
              </Td>
              <Td>{a.metricLabel}</Td>
              <Td>{num(a.baseline)}</Td>
              <Td>{num(a.observed)}</Td>
              <Td>{a.n}</Td>
              <Td>
                {a.rule}
                {a.repeats > 0 && (
                  <span className="block text-xs text-zinc-500">
                    seen {a.repeats + 1} times until {a.lastSeenAt.slice(11, 16)} UTC
                  </span>
                )}
              </Td>
              <Td className="max-w-md text-xs text-zinc-700">{a.explanation}</Td>
              {canMark && (
                <Td>
                  {a.feedback ? (
                    <Badge tone={a.feedback === "real" ? "danger" : "neutral"}>
                      {a.feedback === "real" ? "Real" : "Expected"} ({a.feedbackBy})
                    </Badge>
                  ) : (
                    <span className="flex gap-1">
                      <Button
                        size="sm"
                        pending={mark.isPending && mark.variables?.id === a.id}
                        aria-label={`Mark the ${a.metricLabel} anomaly of ${a.label || a.key} expected`}
                        onClick={() => mark.mutate({ id: a.id, feedback: "expected" })}
                      >
                        Expected
                      </Button>
                      <Button
                        size="sm"
                        variant="danger"
                        aria-label={`Mark the ${a.metricLabel} anomaly of ${a.label || a.key} real`}
                        onClick={() => mark.mutate({ id: a.id, feedback: "real" })}
                      >
                        Real
                      </Button>
                    </span>
                  )}
                </Td>
              )}
            </tr>
          ))}
        </tbody>
      </Table>
    </div>
  );
}
