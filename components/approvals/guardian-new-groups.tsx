"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { CLASS_WORDS, type TriageClass } from "@/components/guardian/guardian-view";
import { Badge } from "@/components/ui/badge";
import { useTRPC } from "@/lib/trpc/client";

/**
 * The guardian in the inbox (issue 18, item 6): failure groups of the last week that no proven
 * fix waits for yet, above the decisions — nothing to decide here yet, each links to its group
 * on the Guardian page (its fix, once proven, arrives in this inbox as a decision).
 */
export function GuardianNewGroups() {
  const trpc = useTRPC();
  const q = useQuery({
    ...trpc.guardianReview.newGroups.queryOptions(),
    refetchInterval: 30_000,
  });
  const items = q.data?.items ?? [];
  if (!items.length) return null;
  const more = (q.data?.total ?? 0) - items.length;
  return (
    <section
      aria-labelledby="guardian-new-groups"
      className="mb-3 space-y-2 rounded-lg border border-amber-200 bg-amber-50 p-3"
    >
      <h2 id="guardian-new-groups" className="text-sm font-semibold text-zinc-900">
        New failure groups from the guardian
      </h2>
      <p className="text-xs text-zinc-700">
        Failures grouped this week with no proven fix yet. A fix that passes its sandbox proof comes
        here as a decision.
      </p>
      <ul aria-label="New failure groups" className="space-y-1 text-sm">
        {items.map((g) => (
          <li key={g.id} className="flex flex-wrap items-center gap-2">
            <Badge tone={CLASS_WORDS[g.class as TriageClass]?.tone ?? "neutral"}>
              {CLASS_WORDS[g.class as TriageClass]?.label ?? g.class}
            </Badge>
            <Link href={`/guardian?group=${g.id}`} className="text-accent-700 hover:underline">
              {g.errorName}
              {g.httpStatus !== null ? ` (HTTP ${g.httpStatus})` : ""} at step “{g.stepId}” of{" "}
              {g.flowName}
            </Link>
            <span className="text-xs text-zinc-600">
              {g.count} failure{g.count === 1 ? "" : "s"} ·{" "}
              {g.proposals > 0
                ? "a fix is being proved"
                : (CLASS_WORDS[g.class as TriageClass]?.fix ?? "no fix proposed")}
            </span>
          </li>
        ))}
      </ul>
      {more > 0 && (
        <Link href="/guardian" className="text-xs text-accent-700 hover:underline">
          And {more} more on the Guardian page
        </Link>
      )}
    </section>
  );
}
