"use client";

import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/lib/trpc/client";

function percent(x: number | null): string {
  return x === null ? "—" : `${Math.round(x * 100)}%`;
}

function duration(ms: number | null): string {
  if (ms === null) return "—";
  const m = Math.round(ms / 60_000);
  if (m < 60) return `${m} min`;
  const h = Math.round(m / 60);
  return h < 48 ? `${h} h` : `${Math.round(h / 24)} days`;
}

/**
 * The guardian's figures over the last 30 days (issue 18, item 6): open and new groups,
 * proposals, how many were accepted and proved, failures fixed after release (replays that
 * succeeded on the released version) and time to fix (first failure to release).
 */
export function ProposalMetrics() {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.guardianReview.metrics.queryOptions({ days: 30 }),
    refetchInterval: 30_000,
  });
  if (!q.data) return null;
  const m = q.data;
  const tiles: Array<[string, string, string]> = [
    ["Open groups", String(m.groups.open), `${m.groups.new} new in ${m.days} days`],
    ["Fixes proposed", String(m.proposals.total), `${m.releases} released`],
    ["Acceptance rate", percent(m.acceptanceRate), "accepted of those decided"],
    ["Proofs passed", percent(m.proofPassRate), "of the proposals proved"],
    [
      "Failures fixed after release",
      String(m.failuresFixedAfterRelease.fixed),
      `of ${m.failuresFixedAfterRelease.replayed} replayed`,
    ],
    [
      "Time to fix",
      duration(m.timeToFixMs.median),
      `median; slowest ${duration(m.timeToFixMs.max)}`,
    ],
  ];
  return (
    <section aria-label="Guardian figures" data-testid="guardian-metrics">
      <dl className="grid grid-cols-2 gap-2 sm:grid-cols-3 lg:grid-cols-6">
        {tiles.map(([term, value, hint]) => (
          <div key={term} className="rounded-md border border-zinc-200 p-2">
            <dt className="text-xs text-zinc-600">{term}</dt>
            <dd className="text-lg font-semibold text-zinc-900">{value}</dd>
            <dd className="text-xs text-zinc-600">{hint}</dd>
          </div>
        ))}
      </dl>
    </section>
  );
}
