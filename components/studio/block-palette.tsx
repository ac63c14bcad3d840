"use client";

import { Fragment, memo, useId, useMemo, useState } from "react";
import { layoutGraph } from "@/lib/studio/layout";
import { blockRefOf } from "@/lib/studio/step-ids";
import { addBlock, BLOCK_DRAG_TYPE } from "../canvas/flow-canvas";
import { KIND_STYLE } from "../canvas/kind-style";
import { blockTooltip, paletteGroups } from "./palette-groups";
import { useStudioContext } from "./studio-context";

/** A block id with break opportunities after its dots: long ids wrap there, never get cut. */
function BlockId({ id }: { id: string }) {
  const parts = id.split(".");
  return (
    <>
      {parts.map((p, i) => (
        <Fragment key={i}>
          {p}
          {i < parts.length - 1 && (
            <>
              .<wbr />
            </>
          )}
        </Fragment>
      ))}
    </>
  );
}

/**
 * Every registry block, connectors grouped by system and the rest by kind, searchable, each
 * with its full id, title and a tooltip; drag onto the canvas or press +. Groups fold. Memoised:
 * neither its props nor the studio context change while typing, so keystrokes do not re-render
 * the palette.
 */
export const BlockPalette = memo(function BlockPalette({
  onCollapse,
}: {
  /** Folds the palette away (the studio shows a rail to bring it back). */
  onCollapse?: () => void;
}) {
  const { store, registry, readOnly, canvasApi } = useStudioContext();
  // The canvas puts the step at a free place in view (never under the mini map or the
  // controls); before it is there, the step goes below the others.
  const onAdd = (uses: string) => {
    if (canvasApi.current) {
      canvasApi.current.addBlock(uses);
      return;
    }
    const g = store.getState().graph;
    const ys = Object.values(g ? layoutGraph(g) : {}).map((p) => p[1]);
    addBlock(store, registry, uses, [0, ys.length ? Math.max(...ys) + 140 : 0]);
  };
  const [query, setQuery] = useState("");
  const [folded, setFolded] = useState<ReadonlySet<string>>(new Set());
  const blocks = useMemo(() => registry.list(), [registry]);
  const groups = useMemo(() => paletteGroups(blocks, query), [blocks, query]);
  const searching = query.trim() !== "";
  const idBase = useId();
  return (
    <nav aria-label="Block palette" className="flex h-full min-h-0 flex-col">
      <div className="flex items-center gap-1 border-b border-zinc-200 p-2">
        <input
          type="search"
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          placeholder="Search blocks"
          aria-label="Search blocks"
          className="h-8 min-w-0 flex-1 rounded-md border border-zinc-300 px-2 text-xs"
        />
        {onCollapse && (
          <button
            type="button"
            onClick={onCollapse}
            aria-label="Hide block palette"
            title="Hide block palette"
            className="grid size-8 shrink-0 place-items-center rounded-md text-zinc-500 hover:bg-zinc-200"
          >
            «
          </button>
        )}
      </div>
      <div className="min-h-0 flex-1 overflow-y-auto p-2" data-testid="palette-list">
        {groups.length === 0 && <p className="p-2 text-xs text-zinc-500">No block matches.</p>}
        {groups.map((g) => {
          // Searching shows every match, folded or not.
          const open = searching || !folded.has(g.key);
          const listId = `${idBase}-${g.key}`;
          return (
            <section key={g.key} aria-label={g.label} className="mb-2">
              <h3>
                <button
                  type="button"
                  aria-expanded={open}
                  aria-controls={listId}
                  disabled={searching}
                  onClick={() =>
                    setFolded((f) => {
                      const next = new Set(f);
                      if (next.has(g.key)) next.delete(g.key);
                      else next.add(g.key);
                      return next;
                    })
                  }
                  className="flex w-full items-center gap-1 rounded px-1 py-0.5 text-left text-[11px] font-semibold tracking-wide text-zinc-600 uppercase hover:bg-zinc-200/70 disabled:hover:bg-transparent"
                >
                  <span aria-hidden className="w-3 text-zinc-500">
                    {open ? "▾" : "▸"}
                  </span>
                  <span className="flex-1">{g.label}</span>
                  <span className="font-normal text-zinc-500 normal-case">{g.blocks.length}</span>
                </button>
              </h3>
              {open && (
                <ul id={listId} className="mt-1 space-y-1">
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
                        title={blockTooltip(b, ref)}
                        className={`group relative flex items-start gap-1.5 rounded border border-zinc-200 bg-white px-1.5 py-1 text-xs ${
                          readOnly ? "opacity-70" : "cursor-grab hover:border-accent-500"
                        }`}
                      >
                        <span
                          aria-hidden
                          className={`mt-0.5 grid size-5 shrink-0 place-items-center rounded text-[10px] font-bold ${KIND_STYLE[b.kind].className}`}
                        >
                          {KIND_STYLE[b.kind].glyph}
                        </span>
                        <span className="min-w-0 flex-1">
                          <span
                            className="block font-mono text-[11px] leading-4 [overflow-wrap:anywhere] text-zinc-900"
                            data-testid="block-name"
                          >
                            <BlockId id={b.id} />
                          </span>
                          <span className="block text-[10px] leading-4 text-zinc-600">
                            {b.title}
                          </span>
                        </span>
                        {!readOnly && (
                          <button
                            type="button"
                            onClick={() => onAdd(ref)}
                            aria-label={`Add ${b.id}`}
                            title={`Add ${b.id} to the canvas`}
                            // Over the row's corner, so the name keeps the full width.
                            className="absolute top-0.5 right-0.5 rounded bg-white px-1.5 text-zinc-600 opacity-0 shadow-sm ring-1 ring-zinc-200 group-hover:opacity-100 hover:bg-zinc-100 focus:opacity-100"
                          >
                            +
                          </button>
                        )}
                      </li>
                    );
                  })}
                </ul>
              )}
            </section>
          );
        })}
      </div>
    </nav>
  );
});
