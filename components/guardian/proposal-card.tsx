"use client";

import dynamic from "next/dynamic";
import { useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { proposalStatus, type ProposalView } from "./guardian-view";
import { ProposalReview } from "./proposal-review";

const TextDiff = dynamic(() => import("../editor/text-diff").then((m) => m.TextDiff), {
  ssr: false,
  loading: () => <p className="p-4 text-sm text-zinc-500">Loading diff…</p>,
});

/** One proposal: its title, rationale, bump and status, and its text diff on demand. */
export function ProposalCard({ proposal: p }: { proposal: ProposalView }) {
  const [open, setOpen] = useState(false);
  const s = proposalStatus(p);
  return (
    <article
      aria-labelledby={`proposal-${p.id}`}
      className="space-y-2 rounded-md border border-zinc-200 p-3"
    >
      <header className="flex flex-wrap items-center justify-between gap-2">
        <h4 id={`proposal-${p.id}`} className="text-sm font-medium text-zinc-900">
          {p.title}
        </h4>
        <div className="flex items-center gap-2">
          {p.rule === "model" && <Badge tone="accent">model-written</Badge>}
          <Badge tone={s.tone}>{s.label}</Badge>
          <Badge>
            {p.bump} bump: v{p.baseVersion} → v{p.nextVersion}
          </Badge>
        </div>
      </header>
      <p className="text-sm text-zinc-700">{p.rationale}</p>
      <p className="text-xs text-zinc-600">
        {p.rule === "model" ? (
          "Written by the guardian's model"
        ) : (
          <>
            Rule <span className="font-mono">{p.rule}</span>
          </>
        )}
        , proposed by {p.proposedBy}; bound to version {p.baseVersion} (
        <span className="font-mono">{p.baseIrHash.slice(0, 19)}</span>).
      </p>
      <Button size="sm" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? "Hide the diff" : "Show the diff"}
      </Button>
      {open &&
        (p.baseText === null ? (
          <p className="text-sm text-zinc-600">The version it patches is no longer stored.</p>
        ) : (
          <div className="h-96 overflow-hidden rounded border border-zinc-200">
            <TextDiff
              original={p.baseText}
              modified={p.text}
              originalLabel={`Version ${p.baseVersion}`}
              modifiedLabel={`Proposed ${p.nextVersion}`}
            />
          </div>
        ))}
      <ProposalReview proposal={p} />
    </article>
  );
}
