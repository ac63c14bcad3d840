/**
 * Rule-based fix proposals (issue 18, item 3), pure: a group's triage turned into flow patches
 * through the compiler's edit path (`applyEdit`: only the edited nodes are re-rendered, so
 * comments and layout survive). Each carries its rationale and the SemVer bump `diffFlows`
 * gives; a patch that does not compile is discarded. No proposal for transient, external or
 * policy groups (transient advises a replay instead).
 */
import { applyEdit, astToJs, diffFlows, parseFlow, type FlowEdit, type FlowIR } from "@/dsl";
import { closestName, type FieldChange } from "./drift";
import { fallbackFor, isModelFailure } from "./fallback-model-rule";
import { stricterInputs, type InputSamples } from "./input-schema-rule";
import type { FailureRecord } from "./fingerprint";
import { missingFieldOf, PATCHABLE, type Triage } from "./triage";

/** The rules that write proposals (stored with each proposal). */
export const PROPOSAL_RULES = [
  "backoff-retry-after",
  "longer-timeout",
  "breaker-wait",
  "rename-field",
  "null-guard",
  "type-coercion",
  "stricter-input-schema",
  "fallback-model",
] as const;
export type ProposalRule = (typeof PROPOSAL_RULES)[number];
/** What wrote a proposal: a rule, or the guardian's model (`model-proposals.ts`). */
export type ProposalKind = ProposalRule | "model";

/** A proposed patch of one flow version. */
export interface ProposalDraft {
  rule: ProposalKind;
  title: string;
  rationale: string;
  text: string;
  bump: "major" | "minor" | "patch" | "none";
  nextVersion: string;
  changes: string[];
}

/** What the proposals need besides the group: the failing version and a compiler. */
export interface ProposalContext {
  /** The text of the flow version that failed. */
  text: string;
  version: string;
  /** Compiles a text as the server does; `ir` when it compiles. */
  compile(text: string): { ok: boolean; ir?: FlowIR };
  /** Inputs of the group's failing runs and the flow's recent successes (stricter schema rule). */
  inputs?: InputSamples;
  /** The router's configured models capable of an agent block's task (fallback model rule). */
  fallbackModels?: (blockId: string) => string[];
}

const MAX_TIMEOUT_MS = 120_000;
const MAX_RETRIES = 12;

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${Math.ceil(ms)}ms`;
}

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => !!v && typeof v === "object" && !Array.isArray(v);

function stepDoc(text: string, stepId: string): Json | undefined {
  const { ast } = parseFlow(text);
  const doc = ast ? astToJs(ast) : undefined;
  const steps = isObj(doc) && Array.isArray(doc.steps) ? doc.steps : [];
  return steps.find((s): s is Json => isObj(s) && s.id === stepId);
}

/** Applies edits in order; undefined when one fails. */
function applyAll(text: string, edits: FlowEdit[]): string | undefined {
  let out = text;
  for (const e of edits) {
    const r = applyEdit(out, e);
    if (!r.ok) return undefined;
    out = r.text;
  }
  return out;
}

/** `with` leaves (dotted key path, string value), at most a few hundred. */
function stringLeaves(v: unknown, path: string[], out: Array<[string[], string]>): void {
  if (out.length > 500) return;
  if (typeof v === "string") out.push([path, v]);
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) stringLeaves(x, [...path, k], out);
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** A regex for `steps.<up>.output.<field>` (or `steps['<up>']…`) not followed by more name. */
function refPattern(up: string, field: string): RegExp {
  const step = `(?:steps\\.${escapeRe(up)}|steps\\[['"]${escapeRe(up)}['"]\\])`;
  return new RegExp(
    `${step}\\.output\\.${field.split(".").map(escapeRe).join("\\.")}(?![\\w$])`,
    "g",
  );
}

/**
 * Rewrites the step's `with` strings through `rewrite`: one `set-input` per changed leaf, or the
 * whole `with` when it is written inline (`{ a: b }`, which set-input cannot enter).
 */
function rewriteInputs(
  text: string,
  stepId: string,
  rewrite: (s: string) => string,
): { text: string; changed: string[] } | undefined {
  const step = stepDoc(text, stepId);
  if (!step || !isObj(step.with)) return undefined;
  const leaves: Array<[string[], string]> = [];
  stringLeaves(step.with, [], leaves);
  const changed = leaves.map(([p, s]) => [p, s, rewrite(s)] as const).filter(([, s, t]) => s !== t);
  if (!changed.length) return undefined;
  const edits: FlowEdit[] = changed.map(([p, , t]) => ({
    type: "set-input",
    id: stepId,
    key: p.join("."),
    value: t,
  }));
  let out = applyAll(text, edits);
  if (out === undefined) {
    const whole = structuredClone(step.with);
    for (const [p, , t] of changed) {
      let node: Json = whole;
      for (const k of p.slice(0, -1)) node = node[k] as Json;
      node[p[p.length - 1]!] = t;
    }
    out = applyAll(text, [{ type: "set-field", id: stepId, path: ["with"], value: whole }]);
  }
  return out === undefined ? undefined : { text: out, changed: changed.map(([p]) => p.join(".")) };
}

function valueAt(v: unknown, path: string): unknown {
  let cur = v;
  for (const k of path.split(".")) cur = isObj(cur) ? cur[k] : undefined;
  return cur;
}

function defaultFor(type: string): string {
  return type === "string" ? "''" : type === "number" ? "0" : type === "boolean" ? "false" : "null";
}

interface Candidate {
  rule: ProposalRule;
  title: string;
  rationale: string;
  text: string | undefined;
}

function resilienceCandidates(
  t: Triage,
  f: FailureRecord,
  ctx: ProposalContext,
  ir: FlowIR,
): Candidate[] {
  const step = ir.steps.find((s) => s.id === f.stepId);
  if (!step) return [];
  const r = step.resilience;
  const out: Candidate[] = [];
  if (t.resilience === "rate-limit" || t.resilience === "server-error") {
    const wait = Math.max(r.initialDelayMs, f.retryAfterMs ?? 0, 2000);
    const retry = {
      max: Math.min(MAX_RETRIES, Math.max(r.retries + 3, 6)),
      backoff: "exponential",
      jitter: "full",
      initial_delay: seconds(wait),
      max_delay: seconds(Math.max(r.maxDelayMs, 60_000, wait)),
    };
    out.push({
      rule: "backoff-retry-after",
      title: `Back off longer on "${f.stepId}" (${retry.max} retries, exponential from ${retry.initial_delay})`,
      rationale: `${t.reasons[0]} The step gave up after ${r.retries} retries with delays capped at ${seconds(r.maxDelayMs)}. More retries with exponential back-off and full jitter spread the calls out; a server's Retry-After is still obeyed for each retry (the engine waits what the server asks), and the cap is raised to ${retry.max_delay} so a long Retry-After is not the last try.`,
      text: applyAll(ctx.text, [
        { type: "set-field", id: f.stepId, path: ["retry"], value: retry },
      ]),
    });
  }
  if (t.resilience === "timeout") {
    const next = Math.min(MAX_TIMEOUT_MS, Math.max(r.timeoutMs * 2, 10_000));
    if (next > r.timeoutMs) {
      const edits: FlowEdit[] = [
        { type: "set-field", id: f.stepId, path: ["timeout"], value: seconds(next) },
      ];
      if (r.retries < 2)
        edits.push({ type: "set-field", id: f.stepId, path: ["retry", "max"], value: 2 });
      out.push({
        rule: "longer-timeout",
        title: `Give "${f.stepId}" ${seconds(next)} per attempt (was ${seconds(r.timeoutMs)})`,
        rationale: `${t.reasons[0]} Each attempt was cut at ${seconds(r.timeoutMs)}; doubling the per-attempt timeout to ${seconds(next)} lets a slow answer arrive${r.retries < 2 ? ", and two retries catch an occasional stall" : ""}.`,
        text: applyAll(ctx.text, edits),
      });
    }
  }
  const fallback =
    isModelFailure(t, f) && ctx.fallbackModels
      ? fallbackFor(ir, f, ctx.fallbackModels(f.blockId))
      : undefined;
  if (fallback)
    out.push({
      rule: "fallback-model",
      title: `Fall back to ${fallback.added.join(", ")} on "${f.stepId}"`,
      rationale: `${t.reasons[0]} The router knows ${fallback.added.length === 1 ? "another configured model" : "other configured models"} for this step's task (${fallback.added.join(", ")}) that the failures did not involve; naming ${fallback.added.length === 1 ? "it" : "them"} in \`model.fallback\`${fallback.had.length ? ` after ${fallback.had.join(", ")}` : ""} makes the router try ${fallback.added.length === 1 ? "it" : "them"} right after the primary model, in the same attempt, when that model is down, rate limited or cooling down.`,
      text: applyAll(ctx.text, [fallback.edit]),
    });
  if (t.resilience === "breaker") {
    const wait = r.breaker.halfOpenAfterMs + 5000;
    out.push({
      rule: "breaker-wait",
      title: `Wait out the breaker on "${f.stepId}" (first retry after ${seconds(wait)})`,
      rationale: `${t.reasons[0]} The breaker stays open ${seconds(r.breaker.halfOpenAfterMs)} before it lets a probe through; retries sooner than that fail at once. The first retry now waits ${seconds(wait)}.`,
      text: applyAll(ctx.text, [
        {
          type: "set-field",
          id: f.stepId,
          path: ["retry"],
          value: {
            max: Math.max(3, r.retries),
            backoff: "exponential",
            initial_delay: seconds(wait),
            max_delay: seconds(Math.max(wait * 4, r.maxDelayMs)),
          },
        },
      ]),
    });
  }
  return out;
}

/**
 * The field a mapping meant when it reads `named`, which the upstream output does not have: the
 * closest name (edit distance) among the keys beside it, where the step's inputs read it.
 */
function nearMiss(
  text: string,
  stepId: string,
  up: NonNullable<FailureRecord["upstream"]>,
  named: string,
): { kind: "renamed"; path: string; to: string; was: string } | undefined {
  const step = stepDoc(text, stepId);
  const leaves: Array<[string[], string]> = [];
  stringLeaves(step?.with, [], leaves);
  const re = new RegExp(
    `steps\\.${escapeRe(up.stepId)}\\.output((?:\\.[\\w$]+)*)\\.${escapeRe(named)}(?![\\w$])`,
  );
  for (const [, s] of leaves) {
    const m = re.exec(s);
    if (!m) continue;
    const parent = m[1]!.slice(1);
    const around = parent ? valueAt(up.output, parent) : up.output;
    const to = closestName(named, isObj(around) ? Object.keys(around) : []);
    if (to) {
      const prefix = parent ? `${parent}.` : "";
      return { kind: "renamed", path: `${prefix}${named}`, to: `${prefix}${to}`, was: "" };
    }
  }
  return undefined;
}

function dataCandidates(t: Triage, f: FailureRecord, ctx: ProposalContext): Candidate[] {
  const up = f.upstream;
  const out: Candidate[] = [];
  const named = missingFieldOf(f.message);
  const changes: FieldChange[] = t.drift;
  if (!up) return out;
  // Renamed: the drift says so, or (mapping) the field read is a near miss of a field the output has.
  const renamed =
    changes.find(
      (c): c is Extract<FieldChange, { kind: "renamed" }> =>
        c.kind === "renamed" && (!named || c.path === named || c.path.endsWith(`.${named}`)),
    ) ?? (named && t.class === "mapping" ? nearMiss(ctx.text, f.stepId, up, named) : undefined);
  if (renamed) {
    const re = refPattern(up.stepId, renamed.path);
    const r = rewriteInputs(ctx.text, f.stepId, (s) =>
      s.replace(re, (m) => m.slice(0, m.length - renamed.path.length) + renamed.to),
    );
    out.push({
      rule: "rename-field",
      title: `Read \`${renamed.to}\` instead of \`${renamed.path}\` in "${f.stepId}"`,
      rationale:
        t.class === "drift"
          ? `${t.reasons[0]} The mapping of "${f.stepId}" (${r?.changed.join(", ") ?? "its inputs"}) now reads the field under its new name.`
          : `The mapping of "${f.stepId}" reads \`${renamed.path}\`, which step "${up.stepId}" never returns; its output has \`${renamed.to}\`, the closest name (edit distance).`,
      text: r?.text,
    });
  }
  for (const c of changes) {
    if (c.kind === "type" && (c.was === "number" || c.was === "string")) {
      const before = valueAt(up.lastGoodOutput, c.path);
      const wrap = (m: string) =>
        c.was === "string"
          ? `string(${m})`
          : Number.isInteger(before)
            ? `int(double(${m}))`
            : `double(${m})`;
      const re = refPattern(up.stepId, c.path);
      const r = rewriteInputs(ctx.text, f.stepId, (s) => s.replace(re, wrap));
      out.push({
        rule: "type-coercion",
        title: `Convert \`${c.path}\` to a ${c.was} in "${f.stepId}"`,
        rationale: `${t.reasons[0]} The mapping now converts it (\`${wrap("…")}\`) so the expression gets the type it was written for.`,
        text: r?.text,
      });
    }
    if (c.kind === "missing") {
      const re = refPattern(up.stepId, c.path);
      const guard = (m: string) => `(has(${m}) && ${m} != null ? ${m} : ${defaultFor(c.was)})`;
      const r = rewriteInputs(ctx.text, f.stepId, (s) => s.replace(re, guard));
      out.push({
        rule: "null-guard",
        title: `Guard \`${c.path}\` in "${f.stepId}" (default ${defaultFor(c.was)})`,
        rationale: `${t.reasons[0]} Until the field is back, the mapping uses ${defaultFor(c.was)} when it is missing or null instead of failing the run.`,
        text: r?.text,
      });
    }
  }
  return out;
}

/**
 * The rule-based proposals for a group: only for patchable classes, only those that change the
 * text and compile, each with its bump from `diffFlows`.
 *
 * @example
 * const drafts = proposeFixes(triage(members), members[0], { text, version: "1.2.0", compile });
 */
export function proposeFixes(t: Triage, f: FailureRecord, ctx: ProposalContext): ProposalDraft[] {
  if (!PATCHABLE.has(t.class)) return [];
  const base = ctx.compile(ctx.text);
  if (!base.ok || !base.ir) return [];
  const candidates =
    t.class === "resilience" ? resilienceCandidates(t, f, ctx, base.ir) : dataCandidates(t, f, ctx);
  const stricter =
    t.class === "mapping" && ctx.inputs ? stricterInputs(base.ir, f.stepId, ctx.inputs) : undefined;
  if (stricter)
    candidates.push({
      rule: "stricter-input-schema",
      title: `Refuse the inputs "${f.stepId}" cannot handle when the run starts`,
      rationale: `${t.reasons[0]} The flow accepted inputs this step could not use: ${stricter.said.join("; ")}. With the stricter input schema such a run is refused when it starts, with a message naming the input, instead of failing at "${f.stepId}".`,
      text: applyAll(ctx.text, stricter.edits),
    });
  const seen = new Set<string>();
  const out: ProposalDraft[] = [];
  for (const c of candidates) {
    if (!c.text || c.text === ctx.text || seen.has(c.text)) continue;
    if (!ctx.compile(c.text).ok) continue; // a proposal that does not compile is discarded
    seen.add(c.text);
    const d = diffFlows(ctx.text, c.text);
    out.push({
      rule: c.rule,
      title: c.title,
      rationale: c.rationale,
      text: c.text,
      bump: d.bump,
      nextVersion: d.suggested(ctx.version),
      changes: d.changes.map((x) => `${x.kind}: ${x.reason}`),
    });
  }
  return out;
}
