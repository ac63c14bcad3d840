"use client";

import { Button } from "@/components/ui/button";

/**
 * The Newer/Older pager of a cursor-paged list (runs, approvals, dead letters). `cursors` holds
 * the cursor each page seen so far starts after (undefined: the first page).
 */
export function CursorPager({
  label,
  cursors,
  nextCursor,
  onChange,
}: {
  /** The navigation's accessible name, e.g. "Pages of runs". */
  label: string;
  cursors: Array<string | undefined>;
  nextCursor: string | null | undefined;
  onChange: (cursors: Array<string | undefined>) => void;
}) {
  const page = cursors.length - 1;
  return (
    <nav aria-label={label} className="mt-3 flex items-center justify-end gap-2">
      <span className="text-xs text-zinc-600">Page {page + 1}</span>
      <Button size="sm" disabled={page === 0} onClick={() => onChange(cursors.slice(0, -1))}>
        Newer
      </Button>
      <Button
        size="sm"
        disabled={!nextCursor}
        onClick={() => {
          if (nextCursor) onChange([...cursors, nextCursor]);
        }}
      >
        Older
      </Button>
    </nav>
  );
}
