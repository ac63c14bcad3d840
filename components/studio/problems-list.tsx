"use client";

import { useMemo } from "react";
import { lineStarts, type Diagnostic } from "@/dsl";
import { useStudio } from "@/lib/studio/use-studio";
import { useStudioContext } from "./studio-context";

const TONE: Record<Diagnostic["severity"], string> = {
  error: "bg-red-600 text-white",
  warning: "bg-amber-400 text-zinc-900",
  info: "bg-sky-600 text-white",
};

/** Every diagnostic of the current text; a click selects the step and reveals the line. */
export function ProblemsList() {
  const { store } = useStudioContext();
  const diagnostics = useStudio(store, (s) => s.diagnostics);
  const text = useStudio(store, (s) => s.text);
  const starts = useMemo(() => lineStarts(text), [text]);
  const lineOf = (offset: number) => {
    let line = 0;
    while (line + 1 < starts.length && starts[line + 1]! <= offset) line++;
    return { line: line + 1, column: offset - starts[line]! + 1 };
  };
  if (diagnostics.length === 0) {
    return <p className="p-3 text-xs text-zinc-600">No problems: the flow compiles cleanly.</p>;
  }
  return (
    <ul aria-label="Problems" className="divide-y divide-zinc-100 text-xs">
      {diagnostics.map((d, i) => {
        const p = lineOf(d.span.start);
        return (
          <li key={`${d.code}-${d.span.start}-${i}`}>
            {/* Badge, code and place on one line, the message below at the panel's full width. */}
            <button
              type="button"
              className="block w-full px-3 py-1.5 text-left hover:bg-zinc-50"
              onClick={() => {
                if (d.stepId) store.select([d.stepId]);
                store.revealOffset(d.span.start);
              }}
            >
              <span className="flex items-center gap-2">
                <span
                  className={`rounded px-1 text-[10px] font-bold uppercase ${TONE[d.severity]}`}
                >
                  {d.policy ? "policy" : d.severity}
                </span>
                <span className="font-mono text-zinc-500">{d.code}</span>
                <span className="ml-auto min-w-0 truncate font-mono text-zinc-500">
                  {p.line}:{p.column}
                  {d.stepId ? ` · ${d.stepId}` : ""}
                </span>
              </span>
              <span className="mt-0.5 block">{d.message}</span>
              {d.hint && <span className="block text-zinc-500">Hint: {d.hint}</span>}
            </button>
          </li>
        );
      })}
    </ul>
  );
}
