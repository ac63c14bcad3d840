/**
 * Versions: compares two flows and classifies each change as major, minor or patch (SemVer for
 * flows), so saving a changed flow can suggest the next version.
 *
 * - major: removed or retyped input, added required input, removed step that others use or whose
 *   output is a flow output, changed block major, removed flow output;
 * - minor: added optional input, added step, added output, changed step (inputs, needs, block);
 * - patch: descriptions, layout (`ui`), retries and timeouts, SLA tweaks.
 */
import { astToJs, parseFlow } from "./parse";

type Json = Record<string, unknown>;

/** One classified change. */
export interface FlowChange {
  kind: "major" | "minor" | "patch";
  path: string;
  reason: string;
  stepId?: string;
}

/** The result of {@link diffFlows}. */
export interface FlowDiff {
  changes: FlowChange[];
  bump: "major" | "minor" | "patch" | "none";
  /** The version to save as: `current` bumped by `bump` (unchanged when `bump` is `none`). */
  suggested: (current: string) => string;
}

function toDoc(x: string | Json): Json {
  if (typeof x !== "string") return x;
  const { ast } = parseFlow(x);
  const v = ast ? astToJs(ast) : {};
  return v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {};
}

const obj = (v: unknown): Json =>
  v && typeof v === "object" && !Array.isArray(v) ? (v as Json) : {};
const eq = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

function majorOf(uses: unknown): string {
  return typeof uses === "string" ? uses : "";
}

/** Bumps a SemVer string. Unparseable versions become `1.0.0`-based. */
export function bumpVersion(current: string, bump: FlowDiff["bump"]): string {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(current);
  const [ma, mi, pa] = m ? [Number(m[1]), Number(m[2]), Number(m[3])] : [0, 0, 0];
  if (bump === "major") return `${ma + 1}.0.0`;
  if (bump === "minor") return `${ma}.${mi + 1}.0`;
  if (bump === "patch") return `${ma}.${mi}.${pa + 1}`;
  return current;
}

/**
 * Compares flow `a` (before) with `b` (after): texts or parsed documents. Never throws.
 *
 * @example
 * const d = diffFlows(oldText, newText);
 * d.bump; // "minor"
 * d.suggested("1.4.0"); // "1.5.0"
 */
export function diffFlows(a: string | Json, b: string | Json): FlowDiff {
  const A = toDoc(a);
  const B = toDoc(b);
  const changes: FlowChange[] = [];
  const add = (kind: FlowChange["kind"], path: string, reason: string, stepId?: string) =>
    changes.push(stepId === undefined ? { kind, path, reason } : { kind, path, reason, stepId });

  // Inputs.
  const ia = obj(A.inputs);
  const ib = obj(B.inputs);
  const required = (spec: Json) =>
    spec.required === true || (spec.required === undefined && spec.default === undefined);
  for (const k of Object.keys(ia)) {
    const sa = obj(ia[k]);
    const sb = ib[k] === undefined ? undefined : obj(ib[k]);
    if (!sb) add("major", `inputs.${k}`, `input \`${k}\` removed`);
    else if (!eq(sa.type, sb.type))
      add(
        "major",
        `inputs.${k}.type`,
        `input \`${k}\` retyped from ${String(sa.type)} to ${String(sb.type)}`,
      );
    else if (!required(sa) && required(sb))
      add("major", `inputs.${k}`, `input \`${k}\` became required`);
    else if (!eq(sa.pattern, sb.pattern) || !eq(sa.enum, sb.enum))
      add("major", `inputs.${k}`, `input \`${k}\` accepts different values`);
    else if (!eq(sa, sb))
      add("patch", `inputs.${k}`, `input \`${k}\` documentation or default changed`);
  }
  for (const k of Object.keys(ib)) {
    if (ia[k] !== undefined) continue;
    if (required(obj(ib[k]))) add("major", `inputs.${k}`, `required input \`${k}\` added`);
    else add("minor", `inputs.${k}`, `optional input \`${k}\` added`);
  }

  // Outputs.
  const oa = obj(A.outputs);
  const ob = obj(B.outputs);
  for (const k of Object.keys(oa)) {
    if (!(k in ob)) add("major", `outputs.${k}`, `output \`${k}\` removed`);
    else if (!eq(oa[k], ob[k]))
      add("minor", `outputs.${k}`, `output \`${k}\` computed differently`);
  }
  for (const k of Object.keys(ob))
    if (!(k in oa)) add("minor", `outputs.${k}`, `output \`${k}\` added`);

  // Steps.
  const steps = (d: Json) => {
    const m = new Map<string, Json>();
    if (Array.isArray(d.steps))
      for (const s of d.steps)
        if (typeof obj(s).id === "string") m.set(obj(s).id as string, obj(s));
    return m;
  };
  const sa = steps(A);
  const sb = steps(B);
  const outputsText = JSON.stringify(ob);
  const usedInB = (id: string) =>
    [...sb.values()].some(
      (s) =>
        (Array.isArray(s.needs) && s.needs.includes(id)) ||
        JSON.stringify(s).includes(`steps.${id}.`) ||
        JSON.stringify(s).includes(`steps['${id}']`),
    );
  for (const [id, s] of sa) {
    const t = sb.get(id);
    if (!t) {
      const feedsOutput =
        outputsText.includes(`steps.${id}.`) || JSON.stringify(oa).includes(`steps.${id}.`);
      if (usedInB(id) || feedsOutput)
        add("major", `steps.${id}`, `step \`${id}\` removed but still used`, id);
      else add("minor", `steps.${id}`, `step \`${id}\` removed`, id);
      continue;
    }
    const ua = majorOf(s.uses);
    const ub = majorOf(t.uses);
    if (ua !== ub) {
      const [ida] = ua.split("@");
      const [idb] = ub.split("@");
      add(
        "major",
        `steps.${id}.uses`,
        `step \`${id}\` now uses \`${ub}\` (was \`${ua}\`${ida === idb ? ", another major" : ""})`,
        id,
      );
    }
    if (!eq(s.with, t.with)) add("minor", `steps.${id}.with`, `step \`${id}\` inputs changed`, id);
    if (!eq(s.needs, t.needs) || !eq(s.if, t.if))
      add("minor", `steps.${id}.needs`, `step \`${id}\` ordering or condition changed`, id);
    for (const k of ["compensate", "consent", "trust", "model", "on_error"]) {
      if (!eq(s[k], t[k])) add("minor", `steps.${id}.${k}`, `step \`${id}\` ${k} changed`, id);
    }
    for (const k of ["retry", "timeout", "sla"]) {
      if (!eq(s[k], t[k])) add("patch", `steps.${id}.${k}`, `step \`${id}\` ${k} tweaked`, id);
    }
    if (!eq(s.description, t.description))
      add("patch", `steps.${id}.description`, `step \`${id}\` description changed`, id);
  }
  for (const id of sb.keys())
    if (!sa.has(id)) add("minor", `steps.${id}`, `step \`${id}\` added`, id);

  // Flow-level.
  if (!eq(A.trigger, B.trigger)) add("major", "trigger", "trigger changed");
  if (!eq(A.consent, B.consent)) add("minor", "consent", "consent purposes changed");
  if (!eq(A.policies, B.policies)) add("minor", "policies", "policies changed");
  if (!eq(A.trust, B.trust)) add("minor", "trust", "trust minimum changed");
  if (!eq(A.risk, B.risk)) add("minor", "risk", "risk gate changed");
  if (!eq(A.sandbox, B.sandbox)) add("minor", "sandbox", "sandbox flag changed");
  if (!eq(A.sla, B.sla)) add("patch", "sla", "SLA tier changed");
  if (!eq(A.description, B.description)) add("patch", "description", "description changed");
  if (!eq(A.ui, B.ui)) add("patch", "ui", "layout changed");
  if (!eq(A.flow, B.flow)) add("major", "flow", "flow renamed");

  const rank = { major: 3, minor: 2, patch: 1 } as const;
  const top = changes.reduce((m, c) => Math.max(m, rank[c.kind]), 0);
  const bump: FlowDiff["bump"] =
    top === 3 ? "major" : top === 2 ? "minor" : top === 1 ? "patch" : "none";
  return { changes, bump, suggested: (current) => bumpVersion(current, bump) };
}
