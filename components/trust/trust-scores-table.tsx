"use client";

import type { RouterOutputs } from "@/lib/trpc/types";
import { Badge } from "@/components/ui/badge";
import { Table, Td, Th } from "@/components/ui/table";
import { inputsSummary } from "./score-inputs";

export type TrustEntry = RouterOutputs["trust"]["list"]["items"][number];
export type SortKey = "score" | "n" | "label";
export interface Sort {
  key: SortKey;
  dir: "asc" | "desc";
}

/** Entries in the chosen order (the score sorts on the effective score, then the name). */
export function sortEntries(items: readonly TrustEntry[], sort: Sort): TrustEntry[] {
  const sign = sort.dir === "asc" ? 1 : -1;
  return [...items].sort((a, b) => {
    const d =
      sort.key === "label"
        ? a.label.localeCompare(b.label)
        : sort.key === "n"
          ? a.n - b.n
          : a.score - b.score;
    return sign * d || a.key.localeCompare(b.key);
  });
}

/** The interval drawn on a 0..1 track, the score as a tick (decorative: the numbers are beside it). */
function IntervalBar({ e }: { e: TrustEntry }) {
  const left = `${(e.interval.low * 100).toFixed(1)}%`;
  const width = `${Math.max(0.5, (e.interval.high - e.interval.low) * 100).toFixed(1)}%`;
  return (
    <div aria-hidden className="relative h-2 w-28 rounded bg-zinc-100">
      <div
        className={`absolute h-2 rounded ${e.enoughData ? "bg-accent-200" : "bg-zinc-200"}`}
        style={{ left, width }}
      />
      <div
        className="absolute -top-0.5 h-3 w-0.5 bg-zinc-900"
        style={{ left: `${(e.posterior * 100).toFixed(1)}%` }}
      />
    </div>
  );
}

const COLUMNS: Array<{ key: SortKey | null; label: string }> = [
  { key: "label", label: "Entity" },
  { key: "score", label: "Score" },
  { key: null, label: "Interval" },
  { key: "n", label: "n" },
  { key: null, label: "State" },
];

/**
 * The scores of one kind: sortable by name, score or n (header buttons, `aria-sort`), each
 * row's inputs and formula on hover (`title`) and a "Details" button opening them with its trend
 * and runs.
 */
export function TrustScoresTable({
  items,
  sort,
  onSort,
  selected,
  onSelect,
}: {
  items: readonly TrustEntry[];
  sort: Sort;
  onSort: (s: Sort) => void;
  selected: string | null;
  onSelect: (key: string) => void;
}) {
  return (
    <Table label="Trust scores">
      <thead>
        <tr>
          {COLUMNS.map((c) => (
            <Th
              key={c.label}
              aria-sort={
                c.key && sort.key === c.key
                  ? sort.dir === "asc"
                    ? "ascending"
                    : "descending"
                  : undefined
              }
            >
              {c.key ? (
                <button
                  type="button"
                  className="font-medium hover:underline"
                  onClick={() =>
                    onSort({
                      key: c.key!,
                      dir: sort.key === c.key && sort.dir === "asc" ? "desc" : "asc",
                    })
                  }
                >
                  {c.label}
                  {sort.key === c.key ? (sort.dir === "asc" ? " ↑" : " ↓") : ""}
                </button>
              ) : (
                c.label
              )}
            </Th>
          ))}
          <Th>
            <span className="sr-only">Actions</span>
          </Th>
        </tr>
      </thead>
      <tbody>
        {items.map((e) => (
          <tr key={e.key} className={selected === e.key ? "bg-accent-50" : undefined}>
            <Td className="font-mono text-xs">{e.label || e.key}</Td>
            <Td title={inputsSummary(e)} className="tabular-nums">
              {e.score.toFixed(3)}
              {!e.enoughData && <span className="text-xs text-zinc-600"> (baseline)</span>}
            </Td>
            <Td title={inputsSummary(e)}>
              <div className="flex items-center gap-2">
                <IntervalBar e={e} />
                <span className="text-xs text-zinc-600 tabular-nums">
                  {e.interval.low.toFixed(2)}–{e.interval.high.toFixed(2)}
                </span>
              </div>
            </Td>
            <Td className="tabular-nums">{e.n.toFixed(1)}</Td>
            <Td>
              {e.enoughData ? (
                <Badge tone={e.score < 0.8 ? "warning" : "success"}>earned</Badge>
              ) : (
                <Badge>not enough data</Badge>
              )}
            </Td>
            <Td>
              <button
                type="button"
                className="text-xs font-medium text-accent-700 underline"
                aria-expanded={selected === e.key}
                aria-label={`Details of ${e.label || e.key}`}
                onClick={() => onSelect(e.key)}
              >
                Details
              </button>
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}
