"use client";

import { memo, useMemo, useState } from "react";
import { BLOCK_KIND_ORDER } from "@/dsl/registry/registry";
import type { BlockDefinition, BlockRegistry } from "@/dsl";
import { blockRefOf } from "@/lib/studio/step-ids";
import { BLOCK_DRAG_TYPE } from "../canvas/flow-canvas";
import { KIND_STYLE } from "../canvas/kind-style";

/**
 * Every registry block, grouped by kind, searchable; drag onto the canvas or press Add. Memoised:
 * its props do not change while typing, so keystrokes do not re-render the palette.
 */
export const BlockPalette = memo(function BlockPalette({
  registry,
  readOnly,
  onAdd,
}: {
  registry: BlockRegistry;
  readOnly: boolean;
  onAdd: (uses: string) => void;
}) {
  const [query, setQuery] = useState("");
  const blocks = useMemo(() => registry.list(), [registry]);
  const groups = useMemo(() => {
    const q = query.trim().toLowerCase();
    const match = (b: BlockDefinition) =>
      !q || `${b.id} ${b.title} ${b.kind} ${(b.tags ?? []).join(" ")}`.toLowerCase().includes(q);
    return BLOCK_KIND_ORDER.map((kind) => ({
      kind,
      blocks: blocks.filter((b) => b.kind === kind && match(b)),
    })).filter((g) => g.blocks.length > 0);
  }, [blocks, query]);
  return (
    <nav aria-label="Block palette" className="flex h-full min-h-0 flex-col">
      <div className="border-b border-zinc-200 p-2">
        <input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Search blocks"
          aria-label="Search blocks"
          className="h-8 w-full rounded-md border border-zinc-300 px-2 text-xs"
        />
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto p-2">
        {groups.length === 0 && <p className="p-2 text-xs text-zinc-500">No block matches.</p>}
        {groups.map((g) => (
          <section key={g.kind} aria-label={KIND_STYLE[g.kind].label} className="mb-3">
            <h3 className="mb-1 px-1 text-[11px] font-semibold tracking-wide text-zinc-500 uppercase">
              {KIND_STYLE[g.kind].label}
            </h3>
            <ul className="space-y-1">
              {g.blocks.map((b) => {
                const ref = blockRefOf(b);
                return (
                  <li
                    key={b.id}
                    draggable={!readOnly}
                    onDragStart={(e) => {
                      e.dataTransfer.setData(BLOCK_DRAG_TYPE, ref);
                      e.dataTransfer.effectAllowed = "copy";
                    }}
                    data-block={b.id}
                    title={b.docs.split("\n")[0]}
                    className={`group flex items-center gap-1.5 rounded border border-zinc-200 bg-white px-1.5 py-1 text-xs ${
                      readOnly ? "opacity-70" : "cursor-grab hover:border-accent-500"
                    }`}
                  >
                    <span
                      aria-hidden
                      className={`grid size-5 shrink-0 place-items-center rounded text-[10px] font-bold ${KIND_STYLE[b.kind].className}`}
                    >
                      {KIND_STYLE[b.kind].glyph}
                    </span>
                    <span className="min-w-0 flex-1 truncate font-mono text-[11px]">{b.id}</span>
                    {!readOnly && (
                      <button
                        type="button"
                        onClick={() => onAdd(ref)}
                        aria-label={`Add ${b.id}`}
                        className="rounded px-1 text-zinc-500 opacity-0 group-hover:opacity-100 hover:bg-zinc-100 focus:opacity-100"
                      >
                        +
                      </button>
                    )}
                  </li>
                );
              })}
            </ul>
          </section>
        ))}
      </div>
    </nav>
  );
});
