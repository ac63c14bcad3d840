"use client";

import type { ReactNode } from "react";

/**
 * A chart with its text alternative: a titled figure whose drawing is a group named by `summary`
 * (what it shows, in words; recharts' keyboard layer inside it moves the tooltip with the arrow
 * keys) and whose numbers are a table under "Show as table", for screen-reader users and anyone
 * who wants them.
 */
export function ChartFigure({
  title,
  summary,
  table,
  children,
  height = 220,
}: {
  title: string;
  summary: string;
  table: ReactNode;
  children: ReactNode;
  height?: number;
}) {
  return (
    <figure className="rounded-lg border border-zinc-200 bg-white p-4">
      <figcaption className="mb-2 text-sm font-semibold text-zinc-900">{title}</figcaption>
      <div role="group" aria-label={summary} style={{ height }} className="w-full">
        {children}
      </div>
      <p className="mt-2 text-xs text-zinc-600">{summary}</p>
      <details className="mt-2 text-sm">
        <summary className="cursor-pointer text-xs font-medium text-zinc-700">
          Show as table
        </summary>
        <div className="mt-2">{table}</div>
      </details>
    </figure>
  );
}
