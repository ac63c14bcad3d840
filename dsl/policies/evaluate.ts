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
import { CEL_LIMITS, evaluateCel, toCelInput, type CelBudget } from "../expr";
import { POLICY_REF_RE } from "../schema";
import type { FlowModel, StepModel } from "../validate";
import { suggest } from "../validate";
import type { Diagnostic, PolicyDocument, PolicyFlowFacts, PolicyStepFacts, Span } from "../types";
import { defaultPolicies } from "./defaults";

/** `name@major` of a policy document. */
export function policyRef(p: PolicyDocument): string {
  return `${p.name}@${p.version.split(".")[0]}`;
}

/** The keys of {@link PolicyStepFacts} but `upstream`, in declaration order. */
const STEP_FACT_KEYS = [
  "id",
  "uses",
  "block",
  "major",
  "kind",
  "system",
  "sideEffect",
  "sla",
  "retries",
  "breakerThreshold",
  "deadLetter",
  "timeoutMs",
  "trustMin",
  "trust",
  "consentPurpose",
  "hasCompensate",
  "budgetUsd",
  "inputs",
] as const satisfies ReadonlyArray<Exclude<keyof PolicyStepFacts, "upstream">>;
const STEP_FACT_KEY_SET: ReadonlySet<string> = new Set(STEP_FACT_KEYS);

/** One fact of a step, as CEL sees it (`inputs` converted to CEL values). Mirrors {@link stepFacts}. */
function stepFact(step: StepModel, key: string): unknown {
  const block = step.block!;
  switch (key) {
    case "id":
      return step.id;
    case "uses":
      return step.uses;
    case "block":
      return block.id;
    case "major":
      return step.major;
    case "kind":
      return block.kind;
    case "system":
      return block.system ?? "";
    case "sideEffect":
      return block.sideEffect;
    case "sla":
      return step.resilience.tier;
    case "retries":
      return step.resilience.retries;
    case "breakerThreshold":
      return step.resilience.breaker.failureThreshold;
    case "deadLetter":
      return step.resilience.deadLetter;
    case "timeoutMs":
      return step.resilience.timeoutMs;
    case "trustMin":
      return step.trustMin;
    case "trust":
      return step.trust;
    case "consentPurpose":
      return step.consent?.purpose ?? "";
    case "hasCompensate":
      return step.compensate !== undefined;
    case "budgetUsd":
      return step.model?.budgetUsd ?? -1;
    case "inputs":
      return toCelInput(step.literalInputs);
    default:
      return undefined;
  }
}

/** The iterator type `Map` methods return (`MapIterator` or `IterableIterator`, by TS lib). */
type MapIter<T> = ReturnType<Map<string, T>["values"]>;

/**
 * A step's facts as the CEL map policies read. A fact is computed on first read (a policy reads a
 * handful of the 19 facts, and `upstream`, transitive dependencies, is quadratic in the worst
 * case). Iteration and `size` first fill in every fact but `upstream`, in declaration order, so
 * the map looks exactly like an eager one whose `upstream` is appended when first read.
 */
class StepFactsMap extends Map<string, unknown> {
  private complete = false;

  constructor(
    private readonly step: StepModel,
    private readonly upstream: () => unknown,
  ) {
    super();
  }

  override get(key: string): unknown {
    if (!super.has(key)) {
      if (key === "upstream") super.set(key, this.upstream());
      else if (!this.complete && STEP_FACT_KEY_SET.has(key))
        super.set(key, stepFact(this.step, key));
    }
    return super.get(key);
  }

  override has(key: string): boolean {
    return super.has(key) || key === "upstream" || (!this.complete && STEP_FACT_KEY_SET.has(key));
  }

  /** Fills in every fact but `upstream`, in declaration order (`upstream` last if read). */
  private fill(): void {
    if (this.complete) return;
    this.complete = true;
    const known = new Map(super.entries());
    super.clear();
    for (const k of STEP_FACT_KEYS)
      super.set(k, known.has(k) ? known.get(k) : stepFact(this.step, k));
    if (known.has("upstream")) super.set("upstream", known.get("upstream"));
  }

  override get size(): number {
    this.fill();
    return super.size;
  }

  override keys(): MapIter<string> {
    this.fill();
    return super.keys() as MapIter<string>;
  }

  override values(): MapIter<unknown> {
    this.fill();
    return super.values() as MapIter<unknown>;
  }

  override entries(): MapIter<[string, unknown]> {
    this.fill();
    return super.entries() as MapIter<[string, unknown]>;
  }

  override [Symbol.iterator](): MapIter<[string, unknown]> {
    return this.entries();
  }

  override forEach(
    callback: (value: unknown, key: string, map: Map<string, unknown>) => void,
    thisArg?: unknown,
  ): void {
    this.fill();
    super.forEach(callback, thisArg);
  }
}

/** Facts of one step (plain data; `upstream` computed eagerly). Mirrored by `stepFact`. */
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

function celStep(step: StepModel, up: (s: StepModel) => string[]): StepFactsMap {
  return new StepFactsMap(step, () => up(step));
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
  const celSteps = new Map<StepModel, StepFactsMap>();
  for (const s of steps) celSteps.set(s, celStep(s, up));
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

  // One budget for every evaluation of this compile: a rule that is cheap per subject but runs
  // for thousands of steps or edges stays bounded too.
  const budget: CelBudget = {
    left: CEL_LIMITS.maxPolicySteps,
    limit: CEL_LIMITS.maxPolicySteps,
    what: "the policies of this flow (the limit per compile)",
  };
  for (const a of [...applied.values()].sort((x, y) => x.ref.localeCompare(y.ref))) {
    const { doc } = a;
    let params: CelInput;
    try {
      params = toCelInput(doc.params ?? {});
    } catch (e) {
      // Parameters over the CEL size caps: the policy cannot be evaluated.
      diagnostics.push(
        diag(
          "TF4003",
          a.span ?? flow.rootSpan,
          { policy: a.ref, detail: `its params hold ${(e as Error).message}` },
          { policy: a.ref },
        ),
      );
      continue;
    }
    const when = doc.when && doc.when.trim() !== "" ? doc.when : undefined;
    let failed = false;
    /** Evaluates the policy with `b` (one bindings object per scope, updated per subject). */
    const check = (
      b: Record<string, CelInput>,
      at: Span,
      subst: Record<string, string>,
      stepId?: string,
    ): void => {
      if (failed) return;
      try {
        if (when !== undefined) {
          const w = evaluateCel(when, b, budget);
          if (w !== true) return;
        }
        const r = evaluateCel(doc.rule, b, budget);
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
    const flowBinding = flowMap as unknown as CelInput;
    if (doc.scope === "flow") {
      check({ flow: flowBinding, params }, a.span ?? flow.rootSpan, {});
    } else if (doc.scope === "step") {
      const b: Record<string, CelInput> = { step: null, flow: flowBinding, params };
      for (const s of steps) {
        if (failed) break;
        b.step = celSteps.get(s)! as unknown as CelInput;
        check(b, s.idSpan, { step: s.id }, s.id);
      }
    } else {
      const b: Record<string, CelInput> = {
        from: null,
        to: null,
        edge: null,
        flow: flowBinding,
        params,
      };
      for (const to of steps) {
        if (failed) break;
        for (const d of to.deps) {
          const from = flow.steps[d]!;
          if (!from.block) continue;
          const data = to.dataNeeds.get(from.id);
          const need = to.explicitNeeds.find((n) => n.id === from.id);
          b.from = celSteps.get(from)! as unknown as CelInput;
          b.to = celSteps.get(to)! as unknown as CelInput;
          b.edge = {
            kind: data ? "data" : "needs",
            fields: data ? [...data.fields].sort() : [],
          };
          check(
            b,
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
