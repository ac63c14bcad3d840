"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { formatDateTime } from "@/lib/format";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { GroupCuration } from "./group-curation";
import { CLASS_WORDS, fingerprintLine, type GroupView } from "./guardian-view";
import { ModelAttempts } from "./model-attempts";
import { ProposalCard } from "./proposal-card";

const MEMBERS_LISTED = 10;

/** A group opened: why, triage, root-cause hints, members, merge and split, and proposals. */
export function GroupPanel({
  id,
  others,
  onClose,
  onMoved,
}: {
  id: string;
  others: GroupView[];
  onClose: () => void;
  onMoved: (id: string) => void;
}) {
  const trpc = useTRPC();
  const q = useQuery(trpc.guardian.group.queryOptions({ id }));
  if (q.error)
    return <Alert tone="error">{errorMessage(q.error) ?? "The group could not be read."}</Alert>;
  const g = q.data;
  if (!g) return <p className="text-sm text-zinc-600">Loading the group…</p>;
  const c = CLASS_WORDS[g.class];
  return (
    <section
      aria-labelledby={`group-${g.id}`}
      className="space-y-4 rounded-lg border border-zinc-200 bg-white p-4"
    >
      <header className="flex items-start justify-between gap-3">
        <div>
          <h2 id={`group-${g.id}`} className="text-sm font-semibold text-zinc-900">
            {g.flowName}: {g.stepId} <Badge tone={c.tone}>{c.label}</Badge>
          </h2>
          <p className="font-mono text-xs text-zinc-600">{fingerprintLine(g)}</p>
        </div>
        <Button size="sm" onClick={onClose}>
          Close
        </Button>
      </header>

      <div className="grid gap-4 md:grid-cols-2">
        <div className="space-y-2 text-sm">
          <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">Triage</h3>
          <ul className="list-disc space-y-1 pl-5 text-zinc-800">
            {g.reasons.map((r) => (
              <li key={r}>{r}</li>
            ))}
          </ul>
          <p className="text-zinc-700">{g.advice}</p>
          {g.drift.length > 0 && (
            <>
              <h4 className="text-xs font-medium text-zinc-700">Field-level difference</h4>
              <ul aria-label="Field-level difference" className="space-y-0.5 font-mono text-xs">
                {g.drift.map((d) => (
                  <li key={`${d.kind}:${d.path}`}>
                    {d.kind === "renamed"
                      ? `${d.path} → ${d.to}`
                      : d.kind === "type"
                        ? `${d.path}: ${d.was} → ${d.now}`
                        : d.kind === "missing"
                          ? `− ${d.path} (${d.was})`
                          : `+ ${d.path} (${d.now})`}
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
        <div className="space-y-2 text-sm">
          <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">
            Root-cause hints
          </h3>
          <ul className="list-disc space-y-1 pl-5 text-zinc-800">
            {g.hints.summary.map((h) => (
              <li key={h}>{h}</li>
            ))}
          </ul>
          <p className="text-xs text-zinc-600">
            First failure:{" "}
            <Link
              className="font-mono text-accent-700 hover:underline"
              href={`/runs/${g.firstRunId}`}
            >
              run {g.firstRunId.slice(0, 8)}
            </Link>{" "}
            at {formatDateTime(g.firstSeenAt)}; last{" "}
            <Link
              className="font-mono text-accent-700 hover:underline"
              href={`/runs/${g.lastRunId}`}
            >
              run {g.lastRunId.slice(0, 8)}
            </Link>{" "}
            at {formatDateTime(g.lastSeenAt)}.
          </p>
        </div>
      </div>

      <div className="space-y-2 text-sm">
        <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">
          Why these {g.count} failures belong together
        </h3>
        <ul className="list-disc space-y-1 pl-5 text-zinc-800">
          {g.why.map((w) => (
            <li key={w}>{w}</li>
          ))}
        </ul>
        <p className="text-xs text-zinc-600">Grouping rules v{g.rulesVersion}.</p>
        <ul aria-label="Newest members" className="divide-y divide-zinc-100 text-xs">
          {g.members.slice(0, MEMBERS_LISTED).map((m) => (
            <li key={`${m.runId}:${m.stepId}:${m.attempt}`} className="flex gap-3 py-1">
              <Link
                className="shrink-0 font-mono text-accent-700 hover:underline"
                href={`/runs/${m.runId}`}
              >
                {m.runId.slice(0, 8)}#{m.attempt}
              </Link>
              <span className="min-w-0 flex-1 truncate text-zinc-800" title={m.message}>
                {m.message}
              </span>
              <span className="shrink-0 text-zinc-600">
                {Math.round(m.similarity * 100)}% · {formatDateTime(m.seenAt)}
                {m.deadLetterId ? " · dead-lettered" : ""}
                {m.recovered ? " · recovered on retry" : ""}
              </span>
            </li>
          ))}
        </ul>
      </div>

      <GroupCuration group={g} others={others} onMoved={onMoved} />

      <div className="space-y-2">
        <h3 className="text-xs font-semibold tracking-wide text-zinc-600 uppercase">
          Proposed fixes
        </h3>
        {g.proposalList.length === 0 ? (
          <p className="text-sm text-zinc-600">
            {g.class === "transient"
              ? "No patch: this fault passes. Replaying the failed runs should succeed."
              : g.class === "external" || g.class === "policy"
                ? `No patch: ${c.fix}.`
                : "No rule could patch this failure in a way that compiles."}
          </p>
        ) : (
          g.proposalList.map((p) => <ProposalCard key={p.id} proposal={p} />)
        )}
      </div>

      <ModelAttempts
        groupId={g.id}
        patchable={g.class === "resilience" || g.class === "mapping" || g.class === "drift"}
      />
    </section>
  );
}
