import type { StepNodeData } from "@/lib/studio/flow-graph";

/** Icon glyph and colours per block kind (palette, nodes, minimap). */
export const KIND_STYLE: Record<
  StepNodeData["kind"],
  { glyph: string; className: string; color: string; label: string }
> = {
  trigger: {
    glyph: "▶",
    className: "bg-sky-100 text-sky-800",
    color: "#0ea5e9",
    label: "Triggers",
  },
  connector: {
    glyph: "⇄",
    className: "bg-indigo-100 text-indigo-800",
    color: "#6366f1",
    label: "Connectors",
  },
  control: {
    glyph: "◇",
    className: "bg-zinc-200 text-zinc-800",
    color: "#71717a",
    label: "Control flow",
  },
  agent: {
    glyph: "✦",
    className: "bg-violet-100 text-violet-800",
    color: "#8b5cf6",
    label: "AI agents",
  },
  policy: {
    glyph: "⚖",
    className: "bg-amber-100 text-amber-900",
    color: "#f59e0b",
    label: "Policies",
  },
  data: { glyph: "{}", className: "bg-teal-100 text-teal-800", color: "#14b8a6", label: "Data" },
  code: { glyph: "</>", className: "bg-slate-200 text-slate-800", color: "#475569", label: "Code" },
  human: {
    glyph: "☺",
    className: "bg-emerald-100 text-emerald-800",
    color: "#10b981",
    label: "Human steps",
  },
  unknown: { glyph: "?", className: "bg-red-100 text-red-800", color: "#ef4444", label: "Unknown" },
};
