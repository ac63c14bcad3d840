"use client";

import { keepPreviousData, useQuery } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { Fragment, useEffect, useId, useMemo, useRef, useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Dialog } from "@/components/ui/dialog";
import { inputClass } from "@/components/ui/field";
import {
  moveActive,
  paletteOptions,
  type PaletteOption,
  type SnippetPart,
} from "./palette-options";

/** Wait this long after the last keystroke before searching. */
const DEBOUNCE_MS = 200;
/** Results per kind. */
const PER_KIND = 5;
/** The server refuses longer text; the field stops there. */
const MAX_CHARS = 200;

function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

/**
 * Search and go (Ctrl+K, ⌘K on a Mac, or the header's button): flows, versions, runs, step
 * errors and audit entries of the workspace (`search.query`), and the app's pages by name.
 * A combobox over a grouped listbox: arrows move, Enter opens, Escape closes.
 */
export function CommandPalette() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === "k") {
        e.preventDefault();
        setOpen(true);
      }
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);
  return (
    <>
      <button
        type="button"
        onClick={() => setOpen(true)}
        aria-keyshortcuts="Control+K Meta+K"
        className="flex items-center gap-2 rounded-md border border-zinc-200 bg-white px-2.5 py-1 text-xs text-zinc-500 hover:border-zinc-300 hover:text-zinc-800"
      >
        <span aria-hidden>⌕</span>
        Search
        <kbd className="rounded border border-zinc-200 px-1 font-sans text-[10px] text-zinc-500">
          Ctrl K
        </kbd>
      </button>
      <Dialog open={open} onClose={() => setOpen(false)} title="Search" size="lg">
        {open && <PaletteBody onDone={() => setOpen(false)} />}
      </Dialog>
    </>
  );
}

function PaletteBody({ onDone }: { onDone: () => void }) {
  const trpc = useTRPC();
  const router = useRouter();
  const listId = useId();
  const statusId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [text, setText] = useState("");
  const typed = useDebounced(text.trim(), DEBOUNCE_MS);
  const searching = typed.length >= 2;
  const result = useQuery({
    ...trpc.search.query.queryOptions({ q: typed, limit: PER_KIND }),
    enabled: searching,
    placeholderData: keepPreviousData,
    staleTime: 10_000,
  });
  const groups = useMemo(
    () => (searching && result.data ? result.data.groups : []),
    [searching, result.data],
  );
  const options = useMemo(() => paletteOptions(groups, text.trim()), [groups, text]);
  const timedOut = groups.filter((g) => g.timedOut).map((g) => g.label.toLowerCase());

  // The highlight belongs to one list: a new list starts at its first option.
  const signature = options.map((o) => o.key).join("\n");
  const [highlight, setHighlight] = useState({ signature: "", index: 0 });
  const active = highlight.signature === signature ? highlight.index : 0;
  const setActive = (index: number) => setHighlight({ signature, index });
  useEffect(() => inputRef.current?.focus(), []);
  useEffect(() => {
    document.getElementById(optionId(listId, active))?.scrollIntoView({ block: "nearest" });
  }, [active, listId]);

  const go = (option: PaletteOption | undefined) => {
    if (!option) return;
    onDone();
    router.push(option.href);
  };

  const pending = text.trim().length >= 2 && (typed !== text.trim() || result.isFetching);
  const status = !searching
    ? text.trim().length === 1
      ? "Type at least 2 characters to search."
      : "Search flows, versions, runs, step errors and audit entries, or go to a page."
    : pending
      ? "Searching…"
      : result.error
        ? ""
        : options.length === 0
          ? `No results for “${typed}”.`
          : `${options.length} result${options.length === 1 ? "" : "s"}.`;

  return (
    <div className="space-y-3">
      <input
        ref={inputRef}
        type="text"
        role="combobox"
        aria-label="Search"
        aria-expanded={options.length > 0}
        aria-controls={listId}
        aria-autocomplete="list"
        aria-describedby={statusId}
        aria-activedescendant={options.length > 0 ? optionId(listId, active) : undefined}
        maxLength={MAX_CHARS}
        placeholder="Flow, run id, error text, audit action…"
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={(e) => {
          const next = moveActive(e.key, active, options.length);
          if (next !== null) {
            e.preventDefault();
            setActive(next);
          } else if (e.key === "Enter") {
            e.preventDefault();
            go(options[active]);
          }
        }}
        className={inputClass}
        data-testid="command-palette-input"
      />
      <p id={statusId} role="status" aria-live="polite" className="text-xs text-zinc-500">
        {status}
      </p>
      {result.error && searching && (
        <Alert tone="error">{errorMessage(result.error) ?? "The search failed."}</Alert>
      )}
      {timedOut.length > 0 && (
        <Alert tone="warning">
          The search of {timedOut.join(", ")} took too long and was stopped: add words to narrow it.
        </Alert>
      )}
      <div
        id={listId}
        role="listbox"
        aria-label="Results"
        className="max-h-[60vh] overflow-y-auto"
        data-testid="command-palette-results"
      >
        {sections(options).map((section) => (
          <div
            key={section.group}
            role="group"
            aria-labelledby={`${listId}-${section.index}-label`}
          >
            <div
              id={`${listId}-${section.index}-label`}
              role="presentation"
              className="px-2 pt-2 pb-1 text-[11px] font-semibold tracking-wide text-zinc-500 uppercase"
            >
              {section.group}
            </div>
            {section.options.map(({ option, i }) => (
              <div
                key={option.key}
                id={optionId(listId, i)}
                role="option"
                aria-selected={i === active}
                onMouseMove={() => i !== active && setActive(i)}
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => go(option)}
                className={`cursor-pointer rounded px-2 py-1.5 text-sm ${i === active ? "bg-accent-50 text-zinc-900" : "text-zinc-700"}`}
              >
                <div className="flex items-baseline justify-between gap-3">
                  <span className="truncate font-medium">{option.title}</span>
                  {option.detail && (
                    <span className="shrink-0 truncate text-xs text-zinc-600">{option.detail}</span>
                  )}
                </div>
                {option.snippet.length > 0 && (
                  <div className="line-clamp-2 text-xs break-all text-zinc-600">
                    <Snippet parts={option.snippet} />
                  </div>
                )}
              </div>
            ))}
          </div>
        ))}
      </div>
      {groups.some((g) => g.more) && (
        <p className="text-xs text-zinc-500">
          Showing the best {PER_KIND} of each kind: add words to narrow the search.
        </p>
      )}
    </div>
  );
}

function Snippet({ parts }: { parts: SnippetPart[] }) {
  return (
    <>
      {parts.map((p, i) =>
        p.hit ? (
          <mark key={i} className="rounded-sm bg-amber-100 px-0.5 text-zinc-900">
            {p.text}
          </mark>
        ) : (
          <Fragment key={i}>{p.text}</Fragment>
        ),
      )}
    </>
  );
}

const optionId = (listId: string, i: number) => `${listId}-option-${i}`;

/** Consecutive options of one group, with their index in the flat list. */
function sections(options: PaletteOption[]) {
  const out: Array<{
    group: string;
    index: number;
    options: Array<{ option: PaletteOption; i: number }>;
  }> = [];
  options.forEach((option, i) => {
    const last = out.at(-1);
    if (last && last.group === option.group) last.options.push({ option, i });
    else out.push({ group: option.group, index: out.length, options: [{ option, i }] });
  });
  return out;
}
