/**
 * Input defaults. A flow's inputs are a JSON Schema object (`FlowIR.inputsSchema`); an input with
 * a `default` is optional, and a run that omits it must see the default wherever an expression
 * reads it (`${{ inputs.currency }}`). The engine applies the defaults once per advance, before
 * any expression runs, whatever started the run (the Run dialog, the API, a webhook, a schedule
 * or a parent flow).
 */
import type { JsonSchema } from "@/dsl";

const isRecord = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === "object" && !Array.isArray(v);

/** Nesting followed into object inputs' own `properties` (defaults deeper than this are left). */
const MAX_DEPTH = 16;

/**
 * `inputs` with every missing property that has a `default` in `schema` filled in (a copy of the
 * default, so runs never share one object), recursively into given object values whose schema
 * declares `properties`. Given values are never replaced, `null` included; `inputs` itself is not
 * modified.
 *
 * @example
 * applyInputDefaults(
 *   { type: "object", properties: { currency: { type: "string", default: "EUR" } } },
 *   { companyId: "COM-7" },
 * ); // { companyId: "COM-7", currency: "EUR" }
 */
export function applyInputDefaults(
  schema: JsonSchema,
  inputs: Record<string, unknown>,
): Record<string, unknown> {
  return fill(schema, inputs, 0);
}

function fill(
  schema: JsonSchema,
  value: Record<string, unknown>,
  depth: number,
): Record<string, unknown> {
  const props = schema.properties;
  if (!isRecord(props) || depth > MAX_DEPTH) return value;
  let out: Record<string, unknown> | undefined;
  for (const [name, spec] of Object.entries(props)) {
    if (!isRecord(spec)) continue;
    const current = Object.hasOwn(value, name) ? value[name] : undefined;
    let next: unknown = current;
    if (current === undefined) {
      if (!Object.hasOwn(spec, "default")) continue;
      next = structuredClone(spec.default);
    } else if (isRecord(current) && isRecord(spec.properties)) {
      next = fill(spec, current, depth + 1);
    }
    if (next === current) continue;
    out ??= { ...value };
    out[name] = next;
  }
  return out ?? value;
}
