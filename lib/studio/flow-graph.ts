/**
 * The canvas's view of a flow text: steps as nodes, `needs` and data references as edges, plus
 * what each node shows (kind, block, SLA tier, trust, diagnostics). Pure data, derived from the
 * AST, so it works for flows with semantic errors too; only a YAML syntax error leaves no graph.
 */
import {
  astToJs,
  getValue,
  type AstNode,
  type BlockKind,
  type BlockRegistry,
  type Diagnostic,
  type FlowIR,
  type SlaTier,
} from "@/dsl";

export interface StepNodeData {
  [key: string]: unknown;
  stepId: string;
  uses: string;
  /** `id@major` of the resolved block, or the `uses` text when it does not resolve. */
  blockLabel: string;
  title: string;
  kind: BlockKind | "unknown";
  sla: SlaTier;
  trust: number | null;
  trustMin: number | null;
  errors: number;
  warnings: number;
  policyViolations: number;
  /** Set by graph diffs: how the step changed. */
  change?: "added" | "removed" | "changed";
}

export interface GraphEdge {
  id: string;
  from: string;
  to: string;
  kind: "needs" | "data";
}

export interface FlowGraph {
  steps: StepNodeData[];
  edges: GraphEdge[];
  /** Positions the author placed (`ui.positions`). */
  positions: Record<string, [number, number]>;
  flowSla: SlaTier;
  /** Each step as plain data (inspector, copy and paste). */
  docs: Record<string, Record<string, unknown>>;
  /** The flow's declared consent purposes. */
  purposes: string[];
  /** The flow's input names. */
  inputNames: string[];
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === "object" && v !== null && !Array.isArray(v);
const TIERS = new Set(["T0", "T1", "T2"]);
const STEP_REF = /steps\s*\.\s*([A-Za-z_][A-Za-z0-9_]*)|steps\s*\[\s*["']([^"']+)["']\s*\]/g;

/** The step ids an input value reads from (`steps.<id>` in `${{ }}` or bare CEL). */
export function referencedSteps(value: unknown, out = new Set<string>()): Set<string> {
  if (typeof value === "string") {
    for (const m of value.matchAll(STEP_REF)) out.add((m[1] ?? m[2])!);
  } else if (Array.isArray(value)) {
    for (const v of value) referencedSteps(v, out);
  } else if (isObj(value)) {
    for (const v of Object.values(value)) referencedSteps(v, out);
  }
  return out;
}

export function needsOf(step: Json): string[] {
  const n = step.needs;
  if (typeof n === "string") return [n];
  return Array.isArray(n) ? n.filter((x): x is string => typeof x === "string") : [];
}

/** Steps of a parsed flow as plain objects (items without a string id are skipped). */
export function stepsOf(ast: AstNode | undefined): Json[] {
  const seq = getValue(ast, "steps");
  if (!seq || seq.kind !== "seq") return [];
  return seq.items.map(astToJs).filter((s): s is Json => isObj(s) && typeof s.id === "string");
}

export function positionsOf(ast: AstNode | undefined): Record<string, [number, number]> {
  const ui = getValue(ast, "ui");
  const raw = ui
    ? astToJs(getValue(ui, "positions") ?? { kind: "map", pairs: [], span: ui.span })
    : {};
  const out: Record<string, [number, number]> = {};
  if (!isObj(raw)) return out;
  for (const [id, p] of Object.entries(raw)) {
    if (Array.isArray(p) && p.length === 2 && p.every((v) => typeof v === "number")) {
      out[id] = [p[0] as number, p[1] as number];
    }
  }
  return out;
}

/** Builds the graph from a flow's AST; `ir` (when the flow compiled) supplies live trust scores. */
export function buildGraph(
  ast: AstNode | undefined,
  registry: BlockRegistry,
  diagnostics: readonly Diagnostic[],
  ir?: FlowIR,
): FlowGraph {
  const doc = ast ? astToJs(ast) : undefined;
  const flow = isObj(doc) ? doc : {};
  const flowSla = (TIERS.has(String(flow.sla)) ? flow.sla : "T1") as SlaTier;
  const flowTrustMin =
    isObj(flow.trust) && typeof flow.trust.min === "number" ? flow.trust.min : null;
  const raw = stepsOf(ast);
  const ids = new Set(raw.map((s) => s.id as string));
  const irSteps = new Map((ir?.steps ?? []).map((s) => [s.id, s]));
  const counts = new Map<string, { errors: number; warnings: number; policy: number }>();
  for (const d of diagnostics) {
    if (!d.stepId) continue;
    const c = counts.get(d.stepId) ?? { errors: 0, warnings: 0, policy: 0 };
    if (d.policy) c.policy++;
    else if (d.severity === "error") c.errors++;
    else if (d.severity === "warning") c.warnings++;
    counts.set(d.stepId, c);
  }
  const edges: GraphEdge[] = [];
  const steps = raw.map((s): StepNodeData => {
    const id = s.id as string;
    const uses = typeof s.uses === "string" ? s.uses : "";
    const resolved = uses ? registry.resolve(uses) : undefined;
    const block = resolved?.ok ? resolved.block : undefined;
    const explicit = needsOf(s).filter((n) => ids.has(n) && n !== id);
    for (const n of new Set(explicit))
      edges.push({ id: `${n}->${id}`, from: n, to: id, kind: "needs" });
    const data = referencedSteps([s.with, s.if]);
    for (const n of data) {
      if (n === id || !ids.has(n) || explicit.includes(n)) continue;
      edges.push({ id: `${n}~>${id}`, from: n, to: id, kind: "data" });
    }
    const stepTrustMin = isObj(s.trust) && typeof s.trust.min === "number" ? s.trust.min : null;
    const c = counts.get(id);
    return {
      stepId: id,
      uses,
      blockLabel: block ? `${block.id}@${block.version.split(".")[0]}` : uses || "(no block)",
      title: block?.title ?? "Unknown block",
      kind: block?.kind ?? "unknown",
      sla: (TIERS.has(String(s.sla))
        ? s.sla
        : flow.sla
          ? flowSla
          : (block?.sla?.tier ?? "T1")) as SlaTier,
      trust: irSteps.get(id)?.trust ?? block?.baselineTrust ?? null,
      trustMin: stepTrustMin ?? flowTrustMin,
      errors: c?.errors ?? 0,
      warnings: c?.warnings ?? 0,
      policyViolations: c?.policy ?? 0,
    };
  });
  const consent = isObj(flow.consent) ? flow.consent : {};
  return {
    steps,
    edges,
    positions: positionsOf(ast),
    flowSla,
    docs: Object.fromEntries(raw.map((s) => [s.id as string, s])),
    purposes: Array.isArray(consent.purposes) ? consent.purposes.map(String) : [],
    inputNames: isObj(flow.inputs) ? Object.keys(flow.inputs) : [],
  };
}
