/**
 * Design-time governance: builds {@link PolicyFlowFacts} / {@link PolicyStepFacts} from the
 * analysed flow and evaluates CEL policy documents over them, by scope (the flow, each step, each
 * dependency edge). A violation is a diagnostic located at the offending step, with `policy` set.
 *
 * Which policies apply: the defaults (`dsl/policies/defaults.ts`, always), the workspace's
 * enforced ones, and those the flow lists in `policies:`.
 */
import type { CelInput } from "@bufbuild/cel";
import { diag } from "../diagnostics";
import { evaluateCel, toCelInput } from "../expr";
import { POLICY_REF_RE } from "../schema";
import type { FlowModel, StepModel } from "../validate";
import { suggest } from "../validate";
import type { Diagnostic, PolicyDocument, PolicyFlowFacts, PolicyStepFacts, Span } from "../types";
import { defaultPolicies } from "./defaults";

/** `name@major` of a policy document. */
export function policyRef(p: PolicyDocument): string {
  return `${p.name}@${p.version.split(".")[0]}`;
}

/**
 * A Map whose listed keys are computed on first read: `upstream` (transitive dependencies) is
 * quadratic in the worst case, so it is only built for the steps a rule actually asks about.
 */
class LazyMap extends Map<string, unknown> {
  constructor(
    entries: Array<[string, unknown]>,
    private readonly lazy: Record<string, () => unknown>,
  ) {
    super(entries);
  }
  override get(key: string): unknown {
    if (!super.has(key) && Object.prototype.hasOwnProperty.call(this.lazy, key))
      super.set(key, this.lazy[key]!());
    return super.get(key);
  }
  override has(key: string): boolean {
    return super.has(key) || Object.prototype.hasOwnProperty.call(this.lazy, key);
  }
}

/** Facts of one step (plain data; `upstream` computed eagerly). */
export function stepFacts(
  flow: FlowModel,
  step: StepModel,
  upstream: (s: StepModel) => string[],
): PolicyStepFacts {
  const block = step.block!;
  return {
    id: step.id,
    uses: step.uses,
    block: block.id,
    major: step.major,
    kind: block.kind,
    system: block.system ?? "",
    sideEffect: block.sideEffect,
    sla: step.resilience.tier,
    retries: step.resilience.retries,
    breakerThreshold: step.resilience.breaker.failureThreshold,
    deadLetter: step.resilience.deadLetter,
    timeoutMs: step.resilience.timeoutMs,
    trustMin: step.trustMin,
    trust: step.trust,
    consentPurpose: step.consent?.purpose ?? "",
    hasCompensate: step.compensate !== undefined,
    budgetUsd: step.model?.budgetUsd ?? -1,
    inputs: step.literalInputs,
    upstream: upstream(step),
  };
}

/** Builds the flow's facts (for tests and tools; the evaluator uses lazy CEL maps). */
export function flowFacts(flow: FlowModel): PolicyFlowFacts {
  const up = upstreamFn(flow);
  return {
    name: flow.name,
    version: flow.version,
    sla: flow.sla,
    trustMin: flow.trustMin,
    consentPurposes: flow.consentPurposes,
    triggers: [flow.trigger.type],
    sandboxOnly: flow.sandboxOnly,
    steps: orderedSteps(flow).map((s) => stepFacts(flow, s, up)),
  };
}

function orderedSteps(flow: FlowModel): StepModel[] {
  const order = flow.order ?? flow.steps.map((s) => s.index);
  return order.map((i) => flow.steps[i]!).filter((s) => s.block !== undefined);
}

/** Memoised transitive dependencies, sorted by id. */
function upstreamFn(flow: FlowModel): (s: StepModel) => string[] {
  const memo = new Map<number, Set<number>>();
  const visit = (i: number): Set<number> => {
    const m = memo.get(i);
    if (m) return m;
    const out = new Set<number>();
    memo.set(i, out); // guards against cycles (a cyclic flow has no order; facts stay partial)
    // Iterative to survive 5,000-step chains without blowing the stack.
    const stack = [...flow.steps[i]!.deps];
    while (stack.length > 0) {
      const d = stack.pop()!;
      if (out.has(d)) continue;
      out.add(d);
      const known = memo.get(d);
      if (known && known !== out) {
        for (const x of known) out.add(x);
      } else {
        stack.push(...flow.steps[d]!.deps);
      }
    }
    return out;
  };
  return (s) => [...visit(s.index)].map((i) => flow.steps[i]!.id).sort();
}

function celStep(flow: FlowModel, step: StepModel, up: (s: StepModel) => string[]): LazyMap {
  const f = stepFacts(flow, step, () => []);
  const entries = Object.entries(f)
    .filter(([k]) => k !== "upstream")
    .map(([k, v]): [string, unknown] => [
      k,
      k === "inputs" ? toCelInput(v) : v === null ? null : v,
    ]);
  return new LazyMap(entries, { upstream: () => up(step) });
}

interface Applied {
  doc: PolicyDocument;
  ref: string;
  /** Where the flow lists it, if it does. */
  span?: Span;
}

/**
 * Evaluates the applicable policies over the analysed flow. Never throws: a policy whose rule
 * fails to evaluate yields one `TF4003` warning.
 */
export function evaluatePolicies(
  flow: FlowModel,
  options: { policies?: PolicyDocument[]; enforcedPolicies?: string[] },
): { diagnostics: Diagnostic[]; applied: string[] } {
  const diagnostics: Diagnostic[] = [];
  const available = new Map<string, PolicyDocument>();
  for (const p of options.policies ?? []) available.set(policyRef(p), p);
  const applied = new Map<string, Applied>();
  for (const p of defaultPolicies) applied.set(policyRef(p), { doc: p, ref: policyRef(p) });
  const firstKey: Span = { start: flow.rootSpan.start, end: flow.rootSpan.start };
  for (const ref of options.enforcedPolicies ?? []) {
    const doc = available.get(ref) ?? defaultPolicies.find((p) => policyRef(p) === ref);
    if (!doc)
      diagnostics.push(
        diag("TF4002", firstKey, { name: ref, suggestion: suggest(ref, available.keys()) }),
      );
    else if (!applied.has(ref)) applied.set(ref, { doc, ref });
  }
  for (const { ref, span } of flow.policies) {
    // A malformed reference already has TF1011 from the structural check.
    if (!POLICY_REF_RE.test(ref)) continue;
    const doc = available.get(ref) ?? defaultPolicies.find((p) => policyRef(p) === ref);
    if (!doc) {
      diagnostics.push(
        diag("TF4002", span, {
          name: ref,
          suggestion: suggest(ref, [...available.keys(), ...defaultPolicies.map(policyRef)]),
        }),
      );
      continue;
    }
    const existing = applied.get(ref);
    if (existing) existing.span ??= span;
    else applied.set(ref, { doc, ref, span });
  }

  const up = upstreamFn(flow);
  const steps = orderedSteps(flow);
  const celSteps = new Map<StepModel, LazyMap>();
  for (const s of steps) celSteps.set(s, celStep(flow, s, up));
  const flowMap = new Map<string, unknown>([
    ["name", flow.name],
    ["version", flow.version],
    ["sla", flow.sla],
    ["trustMin", flow.trustMin],
    ["consentPurposes", flow.consentPurposes],
    ["triggers", [flow.trigger.type]],
    ["sandboxOnly", flow.sandboxOnly],
    ["steps", steps.map((s) => celSteps.get(s)!)],
  ]);

  for (const a of [...applied.values()].sort((x, y) => x.ref.localeCompare(y.ref))) {
    const { doc } = a;
    const params = toCelInput(doc.params ?? {});
    let failed = false;
    const check = (
      bindings: Record<string, unknown>,
      at: Span,
      subst: Record<string, string>,
      stepId?: string,
    ): void => {
      if (failed) return;
      const b = { ...bindings, flow: flowMap, params } as Record<string, CelInput>;
      try {
        if (doc.when && doc.when.trim() !== "") {
          const w = evaluateCel(doc.when, b);
          if (w !== true) return;
        }
        const r = evaluateCel(doc.rule, b);
        if (r === true) return;
        if (r !== false) throw new Error(`the rule returned ${JSON.stringify(r)}, not a boolean`);
      } catch (e) {
        failed = true;
        diagnostics.push(
          diag(
            "TF4003",
            a.span ?? at,
            { policy: a.ref, detail: (e as Error).message },
            { policy: a.ref },
          ),
        );
        return;
      }
      const message = doc.message.replace(/\{(step|from|to)\}/g, (_m, k: string) => subst[k] ?? k);
      diagnostics.push(
        diag("TF4001", at, { detail: message }, { severity: doc.severity, stepId, policy: a.ref }),
      );
    };
    if (doc.scope === "flow") {
      check({}, a.span ?? flow.rootSpan, {});
    } else if (doc.scope === "step") {
      for (const s of steps) check({ step: celSteps.get(s)! }, s.idSpan, { step: s.id }, s.id);
    } else {
      for (const to of steps) {
        for (const d of to.deps) {
          const from = flow.steps[d]!;
          if (!from.block) continue;
          const data = to.dataNeeds.get(from.id);
          const need = to.explicitNeeds.find((n) => n.id === from.id);
          const edge = {
            kind: data ? "data" : "needs",
            fields: data ? [...data.fields].sort() : [],
          };
          check(
            { from: celSteps.get(from)!, to: celSteps.get(to)!, edge },
            data?.span ?? need?.span ?? to.idSpan,
            { from: from.id, to: to.id, step: to.id },
            to.id,
          );
        }
      }
    }
  }
  return { diagnostics, applied: [...applied.keys()].sort() };
}
