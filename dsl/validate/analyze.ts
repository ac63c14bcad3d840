/**
 * Phase 2: structural and semantic checks over the AST. Produces every diagnostic it can find
 * (never stops at the first, never throws) and a {@link FlowModel}: the resolved, partially
 * compiled flow that `compile()` turns into IR and the policy evaluator turns into facts.
 *
 * The passes, in order: structure (`structural.ts`); the flow's own keys, trigger and inputs
 * (here); each step (`steps.ts`, compiling values with `expressions.ts` and checking inputs with
 * `inputs.ts`); flow outputs; references (`references.ts`); the graph (`graph.ts`); trust and
 * addressing (`trust.ts`).
 */
import { cronProblem } from "../cron";
import type { TriggerIR } from "../ir";
import { astToJs, getPair, getValue, type AstNode, type AstScalar } from "../parse";
import { CRON_RE, INPUT_NAME_RE, ZFlowDocument } from "../schema";
import type { Diagnostic, JsonSchema } from "../types";
import { Analysis } from "./context";
import { compileValue } from "./expressions";
import { buildGraph } from "./graph";
import type { FlowModel } from "./model";
import type { CompileOptions } from "./options";
import { belowOf, num, str, tierOf } from "./read";
import { checkRefs } from "./references";
import { buildStep } from "./steps";
import { structuralDiagnostics } from "./structural";
import { checkAddressing, checkTrust } from "./trust";

/**
 * Runs the structural (zod) and semantic checks over a parsed AST. Never throws.
 */
export function analyze(
  text: string,
  ast: AstNode,
  options: CompileOptions,
): { model?: FlowModel; diagnostics: Diagnostic[] } {
  const diagnostics: Diagnostic[] = [];
  const parsed = ZFlowDocument.safeParse(astToJs(ast));
  if (!parsed.success) diagnostics.push(...structuralDiagnostics(ast, parsed.error.issues));
  if (ast.kind !== "map") return { diagnostics };
  const a = new Analysis(text, ast, options);
  const model = buildFlow(a);
  diagnostics.push(...a.diagnostics);
  return { model, diagnostics };
}

function buildFlow(a: Analysis): FlowModel {
  const root = a.root;
  const flowSla = tierOf(getValue(root, "sla"));
  const trustMinNode = getValue(getValue(root, "trust"), "min");
  const trustMin = num(trustMinNode);
  const trustBelow = belowOf(getValue(getValue(root, "trust"), "below")) ?? "halt";
  const riskMax = num(getValue(getValue(root, "risk"), "max"));
  const purposesNode = getValue(getValue(root, "consent"), "purposes");
  const consentPurposes =
    purposesNode?.kind === "seq"
      ? purposesNode.items.map(str).filter((x): x is string => x !== undefined)
      : [];
  const model: FlowModel = {
    name: str(getValue(root, "flow")) ?? "",
    version: str(getValue(root, "version")) ?? "0.0.0",
    description: str(getValue(root, "description")),
    sla: flowSla ?? "T1",
    slaSpan: getValue(root, "sla")?.span,
    trustMin: trustMin !== undefined && trustMin >= 0 && trustMin <= 1 ? trustMin : null,
    trustMinSpan: trustMinNode?.span,
    trustBelow,
    riskMax: riskMax !== undefined && riskMax >= 0 && riskMax <= 1 ? riskMax : null,
    consentPurposes,
    trigger: flowTrigger(a),
    inputsSchema: flowInputsSchema(a),
    outputs: {},
    steps: [],
    byId: new Map(),
    policies: [],
    sandboxOnly:
      getValue(root, "sandbox")?.kind === "scalar" &&
      (getValue(root, "sandbox") as AstScalar).value === true,
    rootSpan: root.span,
  };
  const stepsNode = getValue(root, "steps");
  if (stepsNode?.kind === "seq") {
    stepsNode.items.forEach((node, index) => {
      const step = buildStep(a, node, index, model, flowSla);
      if (!step) return;
      if (model.byId.has(step.id)) {
        a.report("TF3020", step.idSpan, { id: step.id }, { stepId: step.id });
        return;
      }
      a.siteOwners.set(index, step);
      model.byId.set(step.id, step);
      model.steps.push(step);
    });
  }
  // Re-index after dropping duplicates/broken entries so `index` addresses `model.steps`.
  model.steps.forEach((s, i) => (s.index = i));
  const outputsNode = getValue(root, "outputs");
  if (outputsNode?.kind === "map") {
    for (const p of outputsNode.pairs) {
      model.outputs[p.key] = compileValue(a, p.value, {
        owner: -1,
        target: undefined,
        targetPath: `outputs.${p.key}`,
        allowItem: false,
      });
    }
  }
  const policiesNode = getValue(root, "policies");
  if (policiesNode?.kind === "seq") {
    for (const item of policiesNode.items) {
      const v = str(item);
      if (v !== undefined) model.policies.push({ ref: v, span: item.span });
    }
  }
  checkRefs(a, model);
  buildGraph(a, model);
  checkTrust(a, model);
  checkAddressing(a, model);
  return model;
}

function flowTrigger(a: Analysis): TriggerIR {
  const t = getValue(a.root, "trigger");
  if (t?.kind !== "map") return { type: "manual" };
  const known = t.pairs.filter(
    (p) => p.key === "manual" || p.key === "webhook" || p.key === "schedule",
  );
  if (known.length !== 1 && t.pairs.length === known.length) {
    a.report("TF1014", known[1]?.keySpan ?? getPair(a.root, "trigger")!.keySpan, {
      count: known.length,
    });
  }
  const first = known[0];
  if (!first) return { type: "manual" };
  if (first.key === "webhook") {
    const event = str(getValue(first.value, "event"));
    const respond = str(getValue(first.value, "respond"));
    const w: TriggerIR = { type: "webhook" };
    if (event !== undefined) w.event = event;
    if (respond === "sync" || respond === "async") w.respond = respond;
    return w;
  }
  if (first.key === "schedule") {
    const cronNode = getValue(first.value, "cron");
    const cron = str(cronNode) ?? "";
    // The shape (five or six fields) is the schema's check; the values are the scheduler's
    // parser's (`cron.ts`): `99 99 * * *` has the shape and would never fire.
    if (cronNode && CRON_RE.test(cron)) {
      const problem = cronProblem(cron);
      if (problem !== undefined)
        a.report("TF1012", cronNode.span, { value: cron.trim(), detail: problem });
    }
    return { type: "schedule", cron };
  }
  return { type: "manual" };
}

function flowInputsSchema(a: Analysis): JsonSchema {
  const node = getValue(a.root, "inputs");
  const properties: Record<string, JsonSchema> = {};
  const required: string[] = [];
  if (node?.kind === "map") {
    for (const p of node.pairs) {
      if (!INPUT_NAME_RE.test(p.key))
        a.report("TF1015", p.keySpan, { value: p.key, what: "input" });
      const spec = astToJs(p.value);
      if (!spec || typeof spec !== "object" || Array.isArray(spec)) continue;
      const { required: req, ...schema } = spec as Record<string, unknown>;
      properties[p.key] = schema;
      if (req === true || (req === undefined && schema.default === undefined)) required.push(p.key);
    }
  }
  return { type: "object", properties, required, additionalProperties: false };
}
