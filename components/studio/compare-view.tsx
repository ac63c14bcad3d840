"use client";

import dynamic from "next/dynamic";
import { useMemo, useState } from "react";
import { parseFlow, type BlockRegistry } from "@/dsl";
import { graphDiff } from "@/lib/studio/graph-diff";
import { useStudio } from "@/lib/studio/use-studio";
import { Button } from "@/components/ui/button";
import { GraphDiffCanvas } from "../canvas/graph-diff-canvas";
import { useStudioContext, type CompareSide, type Comparison } from "./studio-context";

const TextDiff = dynamic(() => import("../editor/text-diff").then((m) => m.TextDiff), {
  ssr: false,
  loading: () => <p className="p-4 text-sm text-zinc-500">Loading diff…</p>,
});

/** A comparison in the studio: a draft side is the text on screen, live as one types. */
export function StudioCompare({
  comparison,
  onClose,
}: {
  comparison: Comparison;
  onClose: () => void;
}) {
  const { store, registry } = useStudioContext();
  const draft = "draft" in comparison.before || "draft" in comparison.after;
  // Subscribed to the text only when a side is the draft.
  const text = useStudio(store, (s) => (draft ? s.text : null));
  const resolve = (side: CompareSide) =>
    "draft" in side ? { label: side.label, text: text ?? "" } : side;
  return (
    <CompareView
      before={resolve(comparison.before)}
      after={resolve(comparison.after)}
      registry={registry}
      onClose={onClose}
    />
  );
}

/**
 * Full-size comparison of two texts: the text diff (Monaco) and the graph diff, as tabs. The
 * graph diff needs both texts to parse; otherwise it says which one does not (an unparsable
 * text would read as "every step removed").
 */
export function CompareView({
  before,
  after,
  registry,
  onClose,
}: {
  before: { label: string; text: string };
  after: { label: string; text: string };
  registry: BlockRegistry;
  onClose: () => void;
}) {
  const [tab, setTab] = useState<"text" | "graph">("text");
  const unparsable = useMemo(
    () => [before, after].filter((s) => !parseFlow(s.text).ast).map((s) => s.label),
    [before, after],
  );
  const graph = useMemo(
    () => (unparsable.length ? null : graphDiff(before.text, after.text, registry)),
    [before.text, after.text, registry, unparsable.length],
  );
  const counts = useMemo(() => {
    const c = { added: 0, removed: 0, changed: 0 };
    for (const s of graph?.steps ?? []) if (s.change) c[s.change]++;
    return c;
  }, [graph]);
  const title = `${before.label} ↔ ${after.label}`;
  return (
    <section
      role="dialog"
      aria-label={`Compare ${before.label} with ${after.label}`}
      className="absolute inset-0 z-30 flex flex-col bg-white"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <header className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2 text-sm">
        <h2 className="font-semibold">{title}</h2>
        <span className="text-xs text-zinc-600" data-testid="diff-summary">
          {graph ? (
            <>
              <span className="text-emerald-700">{counts.added} added</span> ·{" "}
              <span className="text-red-700">{counts.removed} removed</span> ·{" "}
              <span className="text-amber-700">{counts.changed} changed</span>
            </>
          ) : (
            <span className="text-red-700">
              {unparsable.join(" and ")} {unparsable.length > 1 ? "do" : "does"} not parse: text
              diff only
            </span>
          )}
        </span>
        <div role="tablist" className="ml-auto flex gap-1">
          <Button
            size="sm"
            variant={tab === "text" ? "primary" : "secondary"}
            role="tab"
            aria-selected={tab === "text"}
            onClick={() => setTab("text")}
          >
            Text diff
          </Button>
          <Button
            size="sm"
            variant={tab === "graph" ? "primary" : "secondary"}
            role="tab"
            aria-selected={tab === "graph"}
            onClick={() => setTab("graph")}
          >
            Graph diff
          </Button>
        </div>
        <Button size="sm" onClick={onClose}>
          Close
        </Button>
      </header>
      <div className="min-h-0 flex-1">
        {tab === "text" ? (
          <TextDiff
            original={before.text}
            modified={after.text}
            originalLabel={before.label}
            modifiedLabel={after.label}
          />
        ) : graph ? (
          <GraphDiffCanvas graph={graph} />
        ) : (
          <p className="p-4 text-sm text-zinc-600">
            No graph diff: {unparsable.join(" and ")} {unparsable.length > 1 ? "do" : "does"} not
            parse. The text diff shows what differs.
          </p>
        )}
      </div>
    </section>
  );
}
