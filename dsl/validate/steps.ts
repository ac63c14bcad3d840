/**
 * Model building for one step: its block resolved (`TF3001`-`TF3004`), resilience profile,
 * inputs compiled and checked against the block, condition, compensation, trust gate, consent,
 * model routing, `on_error` and explicit `needs`.
 */
import { scanString } from "../expr";
import type { CompiledExpr, CompiledObject, CompiledValue, ModelIR, OnError } from "../ir";
import { astToJs, getPair, getValue, type AstNode } from "../parse";
import { resolveResilience, type StepResilienceOverrides } from "../sla";
import type { BlockDefinition, SlaTier, Span } from "../types";
import { isBareCel } from "./bare-cel";
import type { Analysis } from "./context";
import {
  compileBareCel,
  compileBareCelInList,
  compileRule,
  compileValue,
  literalOf,
} from "./expressions";
import { checkCronInput, checkInputs, checkTools, lookupFound } from "./inputs";
import type { FlowModel, StepModel } from "./model";
import { belowOf, majorOf, num, safe, str, tierOf } from "./read";
import { checkConsentSource } from "./trust";

/** Analyses one entry of `steps:`; undefined when it has no usable `id`. */
export function buildStep(
  a: Analysis,
  node: AstNode,
  index: number,
  flow: FlowModel,
  flowSla: SlaTier | undefined,
): StepModel | undefined {
  if (node.kind !== "map") return undefined;
  const idNode = getValue(node, "id");
  const id = str(idNode);
  if (id === undefined || id === "") return undefined;
  const usesNode = getValue(node, "uses");
  const uses = str(usesNode) ?? "";
  const idSpan = idNode!.span;
  const usesSpan = usesNode?.span ?? idSpan;
  let block: BlockDefinition | undefined;
  let major = 0;
  let broken = false;
  if (usesNode && uses.includes("@")) {
    const r = a.resolve(uses);
    if (!r) {
      broken = true;
    } else if (r.ok) {
      block = r.block;
      major = majorOf(block);
      if (r.deprecated) {
        const newest = safe(() => a.options.registry.get(block!.id));
        const newestRef =
          newest && newest.version !== block.version
            ? `${newest.id}@${newest.version.split(".")[0]}`
            : block.deprecated?.replacement;
        a.report("TF3004", usesSpan, { detail: r.deprecated, newest: newestRef }, { stepId: id });
      }
    } else {
      broken = true;
      a.reportUnresolved(r, usesSpan, id);
    }
  } else {
    broken = true;
  }
  const stepSla = tierOf(getValue(node, "sla"));
  const overrides: StepResilienceOverrides = {};
  const retry = astToJs(
    getValue(node, "retry") ?? { kind: "scalar", value: null, span: idSpan, quoted: false },
  );
  if (retry && typeof retry === "object" && !Array.isArray(retry))
    overrides.retry = retry as StepResilienceOverrides["retry"];
  const timeout = str(getValue(node, "timeout"));
  if (timeout !== undefined) overrides.timeout = timeout;
  const resilience = resolveResilience({ step: stepSla, flow: flowSla }, block, overrides);

  // Inputs: compile values, then check literals against the block's input schema.
  const withNode = getValue(node, "with");
  const entries: Record<string, CompiledValue> = {};
  const literalInputs: Record<string, unknown> = {};
  const inputSchema = block?.inputSchema;
  const isForeach = block?.id === "control.foreach";
  if (withNode?.kind === "map") {
    for (const p of withNode.pairs) {
      const target = inputSchema ? lookupFound(inputSchema, [p.key]) : undefined;
      if (block && isBareCel(block, [p.key], target)) {
        compileRule(a, p.value, index);
        entries[p.key] = literalOf(p.value);
      } else if (block && p.value.kind === "map" && isBareCel(block, [p.key, "*"], undefined)) {
        for (const q of p.value.pairs) compileRule(a, q.value, index);
        entries[p.key] = literalOf(p.value);
      } else {
        entries[p.key] = compileValue(a, p.value, {
          owner: index,
          target,
          targetPath: `with.${p.key}`,
          allowItem: isForeach && p.key !== "items",
        });
        if (block) compileBareCelInList(a, block, p.key, p.value, index);
      }
      literalInputs[p.key] = astToJs(p.value);
    }
  }
  const inputs: CompiledObject = { kind: "object", entries };
  if (block && inputSchema)
    checkInputs(a, block, inputSchema, inputs, node, withNode, usesSpan, id);
  if (block?.kind === "agent" && withNode && Array.isArray(literalInputs.tools))
    checkTools(a, literalInputs.tools, withNode, id);
  if (block?.id === "trigger.schedule" && withNode && typeof literalInputs.cron === "string")
    checkCronInput(a, literalInputs.cron, withNode, id);

  // Condition.
  let condition: CompiledExpr | undefined;
  let conditionFalseSpan: Span | undefined;
  const ifNode = getValue(node, "if");
  if (ifNode?.kind === "scalar") {
    if (ifNode.value === false) {
      conditionFalseSpan = ifNode.span;
      condition = { kind: "expr", source: "false", refs: [] };
    } else if (ifNode.value === true) {
      condition = undefined;
    } else if (typeof ifNode.value === "string") {
      const v = ifNode.value;
      const scanned = scanString(v);
      const single = scanned.segments.length === 1 && scanned.segments[0]!.kind === "expr";
      const compiled = single
        ? compileValue(a, ifNode, {
            owner: index,
            target: { type: "boolean" },
            targetPath: "if",
            allowItem: false,
          })
        : compileBareCel(a, ifNode, index);
      if (compiled?.kind === "expr") {
        condition = compiled;
        if (compiled.source.trim() === "false") conditionFalseSpan = ifNode.span;
      }
    }
  }

  // Compensation: the step's own, else the block's declared one.
  let compensate: StepModel["compensate"];
  const compNode = getValue(node, "compensate");
  const compUses = str(compNode);
  if (compUses !== undefined && compUses.includes("@")) {
    const r = a.resolve(compUses);
    if (r?.ok) {
      compensate = { uses: compUses, block: r.block };
      if (r.deprecated)
        a.report("TF3004", compNode!.span, { detail: r.deprecated }, { stepId: id });
    } else if (r) {
      a.reportUnresolved(r, compNode!.span, id);
    }
    if (block && block.sideEffect !== "write")
      a.report("TF3050", compNode!.span, { id, block: block.id }, { stepId: id });
  } else if (compUses === undefined && block?.compensation) {
    const r = a.resolve(block.compensation);
    if (r?.ok) compensate = { uses: block.compensation, block: r.block };
  }

  // Trust, consent, model.
  const ownMin = num(getValue(getValue(node, "trust"), "min"));
  const ownTrustMin = ownMin !== undefined && ownMin >= 0 && ownMin <= 1 ? ownMin : null;
  const ownBelow = belowOf(getValue(getValue(node, "trust"), "below"));
  const consentNode = getValue(node, "consent");
  let consent: StepModel["consent"];
  const purposeNode = getValue(consentNode, "purpose");
  const purpose = str(purposeNode);
  if (purpose !== undefined) {
    consent = { purpose };
    const requireNode = getValue(consentNode, "require");
    const req = str(requireNode);
    if (req !== undefined) consent.require = req;
    const idNode = getValue(consentNode, "id");
    if (idNode?.kind === "scalar" && typeof idNode.value === "string" && idNode.value !== "")
      consent.id = compileValue(a, idNode, {
        owner: index,
        target: { type: "string" },
        targetPath: "consent.id",
        allowItem: false,
      });
    else if (!idNode)
      checkConsentSource(a, flow, id, purpose, req, requireNode, purposeNode!, withNode);
    if (!flow.consentPurposes.includes(purpose))
      a.report("TF3030", purposeNode!.span, { purpose }, { stepId: id });
  } else if (block?.consent && !consentNode) {
    a.report(
      "TF3031",
      usesSpan,
      { block: block.id, purpose: block.consent.purpose },
      { stepId: id },
    );
  }
  let modelIr: ModelIR | undefined;
  const modelNode = getValue(node, "model");
  if (modelNode?.kind === "map") {
    const m = astToJs(modelNode) as Record<string, unknown>;
    modelIr = {
      fallback: Array.isArray(m.fallback)
        ? m.fallback.filter((x): x is string => typeof x === "string")
        : [],
    };
    if (typeof m.route === "string") modelIr.route = m.route;
    if (typeof m.budget_usd === "number") modelIr.budgetUsd = m.budget_usd;
    if (m.preference === "cost" || m.preference === "latency" || m.preference === "quality")
      modelIr.preference = m.preference;
    if (block && block.kind !== "agent")
      a.report(
        "TF3051",
        getPair(node, "model")!.keySpan,
        { block: block.id, kind: block.kind },
        { stepId: id },
      );
  }
  const onErrorV = str(getValue(node, "on_error"));
  const onError: OnError = onErrorV === "continue" || onErrorV === "compensate" ? onErrorV : "fail";

  // Explicit needs.
  const explicitNeeds: StepModel["explicitNeeds"] = [];
  const needsNode = getValue(node, "needs");
  if (needsNode?.kind === "seq") {
    const seen = new Set<string>();
    for (const item of needsNode.items) {
      const n = str(item);
      if (n === undefined) continue;
      if (seen.has(n)) {
        a.report("TF3024", item.span, { id: n }, { stepId: id });
        continue;
      }
      seen.add(n);
      explicitNeeds.push({ id: n, span: item.span });
    }
  }

  const step: StepModel = {
    index,
    id,
    idSpan,
    usesSpan,
    uses,
    block,
    major,
    explicitNeeds,
    dataNeeds: new Map(),
    deps: [],
    inputs,
    literalInputs,
    condition,
    conditionFalseSpan,
    slaTier: stepSla,
    resilience,
    compensate,
    trustMin: ownTrustMin ?? flow.trustMin,
    ownTrustMin,
    trustBelow: ownBelow ?? flow.trustBelow,
    trust: 1,
    consent,
    model: modelIr,
    onError,
    description: str(getValue(node, "description")),
    broken,
  };
  return step;
}
