/**
 * The compiler's entry point: text -> parse -> validate (structure, semantics, policies) -> IR.
 * Never throws; a YAML syntax error stops the later phases. The IR is produced only when there is
 * no error-severity diagnostic.
 */
import type { Document } from "yaml";
import { diag } from "./diagnostics";
import { canonicalSha256 } from "./hash";
import { blockRef, type CompiledValue, type FlowIR, type StepIR } from "./ir";
import { defineLazyDocument, parseFlow, type AstNode } from "./parse";
import { evaluatePolicies } from "./policies/evaluate";
import { resolveResilience } from "./sla";
import type { Diagnostic } from "./types";
import { analyze, type CompileOptions, type FlowModel } from "./validate";

export type { CompileOptions } from "./validate";

/** The result of {@link compile}. */
export interface CompileResult {
  /** True when there is no error-severity diagnostic. */
  ok: boolean;
  /** The IR, present exactly when `ok`. */
  ir?: FlowIR;
  /** Every diagnostic, sorted by position. */
  diagnostics: Diagnostic[];
  ast?: AstNode;
  /**
   * The YAML Document (comment-preserving edits). Present whenever parsing did not throw; a lazy
   * getter: when the fast path parsed the text, the first read parses it with eemeli/yaml.
   */
  document?: Document.Parsed;
}

/** Keys left out of the hash: positions in the source do not change what runs. */
const HASH_OMIT = new Set(["span"]);

/** Computes the IR hash: SHA-256 of the canonical JSON of the IR without `hash` and spans. */
export function hashIr(ir: Omit<FlowIR, "hash"> | FlowIR): string {
  const { hash: _hash, ...rest } = ir as FlowIR;
  return canonicalSha256(rest, HASH_OMIT);
}

/** The block a trust gate runs. */
export const TRUST_GATE_BLOCK = "human.approval@1";

/** Why runs of `model` must be approved at their start: the `below: approval` gates under their minimum. */
function approvalGates(model: FlowModel, flowTrust: number): string[] {
  const reasons: string[] = [];
  const lowest = model.steps.reduce<FlowModel["steps"][number] | undefined>(
    (m, s) => (s.block && (!m || s.trust < m.trust) ? s : m),
    undefined,
  );
  if (
    model.trustBelow === "approval" &&
    model.trustMin !== null &&
    lowest &&
    flowTrust < model.trustMin
  )
    reasons.push(
      `the flow's trust ${flowTrust} (lowest step: ${lowest.id}) is below its minimum ${model.trustMin}`,
    );
  for (const s of model.steps) {
    if (s.trustBelow === "approval" && s.ownTrustMin !== null && s.trust < s.ownTrustMin)
      reasons.push(`step ${s.id} has trust ${s.trust}, below its minimum ${s.ownTrustMin}`);
  }
  return reasons;
}

/**
 * Whether `model` has a trust gate with `below: approval` (on the flow or a step). A T0 flow's
 * `risk.max` shares the wait point: its runs above the predicted risk wait there too.
 */
function declaresApprovalGate(model: FlowModel): boolean {
  if (
    model.trustBelow === "approval" &&
    model.trustMin !== null &&
    model.steps.some((s) => s.block)
  )
    return true;
  return model.steps.some((s) => s.trustBelow === "approval" && s.ownTrustMin !== null);
}

/** The approval's message when no score the compiler saw is under its minimum. */
export const TRUST_GATE_STANDBY =
  "Trust gate: a trust score earned from run history is below its minimum, or the run's predicted risk is above the flow's maximum (the run's check names it)";

/**
 * The trust gate: a `human.approval` step every root step needs, addressed to the workspace's
 * approvers. Undefined when the registry has no approval block (the diagnostics then stand).
 */
function trustGate(
  model: FlowModel,
  options: CompileOptions,
  reasons: string[],
  taken: ReadonlySet<string>,
): StepIR | undefined {
  const r = options.registry.resolve(TRUST_GATE_BLOCK);
  if (!r.ok) return undefined;
  let id = "trust-gate";
  for (let i = 2; taken.has(id); i++) id = `trust-gate-${i}`;
  const lit = (value: string): CompiledValue => ({ kind: "literal", value });
  return {
    id,
    uses: TRUST_GATE_BLOCK,
    block: blockRef(r.block),
    needs: [],
    inputs: {
      kind: "object",
      entries: {
        approvers: { kind: "object", entries: { role: lit("approver") } },
        message: lit(
          `${reasons.length ? `Trust gate: ${reasons.join("; ")}` : TRUST_GATE_STANDBY}. Approve to run this flow anyway.`,
        ),
      },
    },
    resilience: resolveResilience({ flow: model.sla }, r.block, {}),
    trustMin: null,
    trust: r.block.baselineTrust,
    onError: "fail",
    description:
      "Added by the compiler for a trust gate with `below: approval`: waits when a score is under its minimum at the run's start",
  };
}

function toIr(model: FlowModel, policies: string[], options: CompileOptions): FlowIR {
  const order = model.order ?? model.steps.map((s) => s.index);
  const steps: StepIR[] = order.map((i) => {
    const s = model.steps[i]!;
    const step: StepIR = {
      id: s.id,
      uses: s.uses,
      block: blockRef(s.block!),
      needs: [...new Set(s.deps.map((d) => model.steps[d]!.id))].sort(),
      inputs: s.inputs,
      resilience: s.resilience,
      trustMin: s.trustMin,
      trust: s.trust,
      onError: s.onError,
      span: s.idSpan,
    };
    if (s.trustBelow === "approval" && s.trustMin !== null) step.trustBelow = "approval";
    if (s.condition) step.condition = s.condition;
    if (s.compensate)
      step.compensate = { uses: s.compensate.uses, block: blockRef(s.compensate.block) };
    if (s.consent) step.consent = { ...s.consent };
    if (s.model) step.model = s.model;
    if (s.description !== undefined) step.description = s.description;
    return step;
  });
  const trust = steps.reduce((m, s) => Math.min(m, s.trust), 1);
  const reasons = approvalGates(model, trust);
  // A declared `below: approval` gate always gets its wait point, even when the compiler's
  // scores meet the minimum: the engine decides at the run's start, on the scores earned from
  // run history, whether the gate waits or passes (so the IR and its hash do not depend on
  // history).
  const gate =
    reasons.length || declaresApprovalGate(model) || (model.riskMax !== null && model.sla === "T0")
      ? trustGate(model, options, reasons, new Set(steps.map((s) => s.id)))
      : undefined;
  if (gate) {
    for (const s of steps) if (s.needs.length === 0) s.needs = [gate.id];
    steps.unshift(gate);
  }
  const ir: Omit<FlowIR, "hash"> = {
    name: model.name,
    version: model.version,
    sla: model.sla,
    trustMin: model.trustMin,
    trust,
    consentPurposes: model.consentPurposes,
    trigger: model.trigger,
    inputsSchema: model.inputsSchema,
    outputs: model.outputs,
    steps,
    policies,
    sandboxOnly: model.sandboxOnly,
  };
  if (model.description !== undefined) (ir as FlowIR).description = model.description;
  if (model.trustBelow === "approval") (ir as FlowIR).trustBelow = "approval";
  if (gate) (ir as FlowIR).trustGate = gate.id;
  if (model.riskMax !== null) (ir as FlowIR).riskMax = model.riskMax;
  return { ...ir, hash: hashIr(ir) };
}

function clampAll(diagnostics: Diagnostic[], length: number): Diagnostic[] {
  for (const d of diagnostics) {
    const start = Math.max(0, Math.min(Number.isFinite(d.span.start) ? d.span.start : 0, length));
    const end = Math.max(start, Math.min(Number.isFinite(d.span.end) ? d.span.end : start, length));
    d.span = { start, end };
  }
  return diagnostics.sort(
    (a, b) =>
      a.span.start - b.span.start || a.span.end - b.span.end || a.code.localeCompare(b.code),
  );
}

/**
 * Compiles flow text (YAML or JSON) to IR. Never throws.
 *
 * @example
 * const r = compile(text, { registry: BlockRegistry.withPrimitives(), policies: policyLibrary });
 * if (r.ok) engine.start(r.ir);
 * else showMarkers(r.diagnostics);
 */
export function compile(text: string, options: CompileOptions): CompileResult {
  const source = typeof text === "string" ? text : "";
  let parsed: ReturnType<typeof parseFlow>;
  try {
    parsed = parseFlow(source);
  } catch (e) {
    return {
      ok: false,
      diagnostics: [
        diag("TF1001", { start: 0, end: source.length }, { detail: (e as Error).message }),
      ],
    };
  }
  const { ast } = parsed;
  if (!ast)
    return defineLazyDocument(
      { ok: false, diagnostics: clampAll(parsed.diagnostics, source.length) },
      () => parsed.document,
    );
  const diagnostics: Diagnostic[] = [...parsed.diagnostics];
  let ir: FlowIR | undefined;
  try {
    const { model, diagnostics: found } = analyze(source, ast, options);
    diagnostics.push(...found);
    if (model) {
      const pol = evaluatePolicies(model, options);
      diagnostics.push(...pol.diagnostics);
      if (!diagnostics.some((d) => d.severity === "error")) ir = toIr(model, pol.applied, options);
    }
  } catch (e) {
    // Defensive: every phase guards its inputs; this only turns a compiler bug into a diagnostic.
    diagnostics.push(
      diag(
        "TF1005",
        { start: 0, end: 0 },
        { path: "(document)", detail: `internal compiler error: ${(e as Error).message}` },
      ),
    );
  }
  const ok = !diagnostics.some((d) => d.severity === "error");
  const result: CompileResult = defineLazyDocument(
    { ok: ok && ir !== undefined, diagnostics: clampAll(diagnostics, source.length), ast },
    () => parsed.document,
  );
  if (result.ok) result.ir = ir;
  return result;
}

/**
 * Validates flow text: the diagnostics of {@link compile}, without keeping the IR.
 *
 * @example
 * for (const d of validate(text, { registry })) console.log(d.code, d.message);
 */
export function validate(text: string, options: CompileOptions): Diagnostic[] {
  return compile(text, options).diagnostics;
}
