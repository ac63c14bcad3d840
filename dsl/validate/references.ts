/**
 * References, once every step is known: each expression site's `inputs.*`, `steps.<id>.output.*`,
 * `item` and `index` checked (declared input, known step, an output field its block declares, not
 * itself), data dependencies recorded on the reading step, and a whole-value expression's type
 * compared with the slot it fills.
 */
import { schemaAtPath, schemaTypes, typesCompatible } from "../expr";
import type { JsonSchema } from "../types";
import type { Analysis } from "./context";
import type { FlowModel, StepModel } from "./model";
import { stepOutputSchemaOf } from "../registry/primitives/agent";
import { suggest } from "./suggest";

/** The output schema of a step: an agent's literal `with.output` schema refines an open one. */
function outputSchemaOf(step: StepModel): JsonSchema | undefined {
  const block = step.block;
  return block ? stepOutputSchemaOf(block, step.literalInputs.output) : undefined;
}

/** Reference checks, after every step is known. */
export function checkRefs(a: Analysis, flow: FlowModel): void {
  const declaredInputs = (flow.inputsSchema.properties ?? {}) as Record<string, JsonSchema>;
  for (const site of a.sites) {
    const ownerStep = site.owner >= 0 ? a.siteOwners.get(site.owner) : undefined;
    for (const ref of site.refs) {
      const span = a.span(site.base, site.fallback, ref.start, ref.end);
      let sourceSchema: JsonSchema | undefined;
      let known = true;
      if (ref.root === "inputs") {
        const name = ref.path[0];
        if (name === undefined) continue;
        const spec = declaredInputs[name];
        if (!spec) {
          a.report("TF2008", span, { name }, { stepId: ownerStep?.id });
          continue;
        }
        const r = schemaAtPath(spec, ref.path.slice(1));
        if (r.kind === "found") sourceSchema = r.schema;
        else known = false;
      } else if (ref.root === "item" || ref.root === "index") {
        if (!site.allowItem)
          a.report("TF2009", span, { name: ref.root }, { stepId: ownerStep?.id });
        continue;
      } else if (ref.root === "steps") {
        const id = ref.stepId;
        if (id === undefined) continue;
        const stepSpan =
          ref.stepStart !== undefined
            ? a.span(site.base, site.fallback, ref.stepStart, ref.stepEnd ?? ref.stepStart)
            : span;
        const target = flow.byId.get(id);
        if (!target) {
          a.report(
            "TF2004",
            stepSpan,
            { step: id, suggestion: suggest(id, flow.byId.keys()) },
            { stepId: ownerStep?.id },
          );
          continue;
        }
        if (ref.notOutput) {
          a.report("TF2010", span, { step: id }, { stepId: ownerStep?.id });
          continue;
        }
        if (ownerStep) {
          if (ownerStep.id === id) {
            a.report("TF2005", span, { from: id, step: id }, { stepId: id });
            continue;
          }
          const existing = ownerStep.dataNeeds.get(id);
          if (existing) existing.fields.add(ref.path.join("."));
          else ownerStep.dataNeeds.set(id, { span, fields: new Set([ref.path.join(".")]) });
        }
        const out = outputSchemaOf(target);
        if (!out) continue;
        const r = schemaAtPath(out, ref.path);
        if (r.kind === "unknown") {
          a.report(
            "TF2006",
            span,
            {
              path: `steps.${id}.output.${ref.path.slice(0, r.at + 1).join(".")}`,
              block: target.block?.id ?? target.uses,
              fields: r.known.slice(0, 12).join(", ") || undefined,
            },
            { stepId: ownerStep?.id },
          );
          continue;
        }
        if (r.kind === "found") sourceSchema = r.schema;
        else known = false;
      } else {
        continue;
      }
      if (
        known &&
        site.whole &&
        ref.whole &&
        site.refs.length === 1 &&
        site.target &&
        sourceSchema
      ) {
        const got = schemaTypes(sourceSchema);
        const expected = schemaTypes(site.target);
        if (!typesCompatible(got, expected)) {
          const src =
            ref.root === "steps"
              ? `steps.${ref.stepId}.output${ref.path.map((p) => `.${p}`).join("")}`
              : `${ref.root}.${ref.path.join(".")}`;
          a.report(
            "TF2007",
            span,
            {
              source: src,
              got: got.join(" | "),
              target: site.targetPath,
              expected: expected.join(" | "),
            },
            { stepId: ownerStep?.id },
          );
        }
      }
    }
  }
}
