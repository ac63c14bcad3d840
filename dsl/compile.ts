/**
 * The compiler's entry point: text -> parse -> validate (structure, semantics, policies) -> IR.
 * Never throws; a YAML syntax error stops the later phases. The IR is produced only when there is
 * no error-severity diagnostic.
 */
import type { Document } from "yaml";
import { diag } from "./diagnostics";
import { canonicalSha256 } from "./hash";
import { blockRef, type FlowIR, type StepIR } from "./ir";
import { defineLazyDocument, parseFlow, type AstNode } from "./parse";
import { evaluatePolicies } from "./policies/evaluate";
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

function toIr(model: FlowModel, policies: string[]): FlowIR {
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
    if (s.condition) step.condition = s.condition;
    if (s.compensate)
      step.compensate = { uses: s.compensate.uses, block: blockRef(s.compensate.block) };
    if (s.consent) step.consent = s.consent;
    if (s.model) step.model = s.model;
    if (s.description !== undefined) step.description = s.description;
    return step;
  });
  const ir: Omit<FlowIR, "hash"> = {
    name: model.name,
    version: model.version,
    sla: model.sla,
    trustMin: model.trustMin,
    trust: steps.reduce((m, s) => Math.min(m, s.trust), 1),
    consentPurposes: model.consentPurposes,
    trigger: model.trigger,
    inputsSchema: model.inputsSchema,
    outputs: model.outputs,
    steps,
    policies,
    sandboxOnly: model.sandboxOnly,
  };
  if (model.description !== undefined) (ir as FlowIR).description = model.description;
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
      if (!diagnostics.some((d) => d.severity === "error")) ir = toIr(model, pol.applied);
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
