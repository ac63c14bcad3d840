import { z } from "zod";
import { appRouter } from "@/server/trpc/root";

export interface ProcedureInfo {
  path: string;
  type: "query" | "mutation" | "subscription";
  /** JSON Schema of the input (zod 4, input mode), or null for procedures without input. */
  input: Record<string, unknown> | null;
}

/**
 * Every procedure of the app router, read from the router itself: tests that walk this list
 * cover new procedures without being edited.
 */
export function listProcedures(): ProcedureInfo[] {
  const procs = (appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def
    .procedures;
  return Object.entries(procs).map(([path, p]) => {
    const def = (p as { _def: { type: ProcedureInfo["type"]; inputs: z.ZodType[] } })._def;
    const schema = def.inputs[0];
    return {
      path,
      type: def.type,
      input: schema
        ? (z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<
            string,
            unknown
          >)
        : null,
    };
  });
}

/** Calls `path` on a tRPC caller (`workflow.rename` → caller.workflow.rename(input)). */
export async function callProcedure(
  caller: unknown,
  path: string,
  input: unknown,
): Promise<unknown> {
  let target: unknown = caller;
  for (const part of path.split(".")) target = (target as Record<string, unknown>)[part];
  return (target as (i: unknown) => Promise<unknown>)(input);
}

export interface InputValues {
  /** Candidates for uuid fields, by field name; `*` for any other uuid field. */
  uuids: Record<string, string[]>;
  email: string;
}

/**
 * Generates inputs for a procedure from its JSON Schema: every combination of candidate values
 * for uuid, enum and boolean fields, fixed valid values for the rest. Throws for a field shape it
 * cannot fill, so a new kind of input makes the test say what to add.
 */
export function generateInputs(proc: ProcedureInfo, values: InputValues): unknown[] {
  if (!proc.input) return [undefined];
  const props = (proc.input.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set((proc.input.required as string[] | undefined) ?? []);
  let combos: Record<string, unknown>[] = [{}];
  for (const [name, schema] of Object.entries(props)) {
    const candidates = candidatesFor(proc.path, name, schema, values, required.has(name));
    if (candidates.length === 0) continue;
    combos = combos.flatMap((c) =>
      candidates.map((v) => (v === undefined ? c : { ...c, [name]: v })),
    );
  }
  return combos.slice(0, 100);
}

let counter = 0;
function candidatesFor(
  path: string,
  name: string,
  schema: Record<string, unknown>,
  values: InputValues,
  required: boolean,
): unknown[] {
  const optional = required ? [] : [undefined];
  if (schema.format === "uuid") return values.uuids[name] ?? values.uuids["*"] ?? [];
  if (Array.isArray(schema.enum)) return schema.enum as unknown[];
  if ("const" in schema) return [schema.const];
  const variants = (schema.oneOf ?? schema.anyOf) as Record<string, unknown>[] | undefined;
  if (Array.isArray(variants)) {
    // Tagged unions (e.g. a trigger's `type`): one candidate per variant, so each is probed.
    const each = variants.flatMap((v) => candidatesFor(path, name, v, values, true));
    return required ? each : [...optional, ...each];
  }
  switch (schema.type) {
    case "null":
      // A nullable field's null (e.g. detaching: `scriptedModelId: null`).
      return [null];
    case "boolean":
      return [true, false];
    case "object": {
      if (!required) return optional;
      // A variant of a union: its required fields filled with their first candidate.
      const props = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
      const need = new Set((schema.required as string[] | undefined) ?? []);
      const obj: Record<string, unknown> = {};
      for (const [key, sub] of Object.entries(props)) {
        if (!need.has(key)) continue;
        obj[key] = candidatesFor(path, key, sub, values, true)[0];
      }
      // Free-form maps (e.g. a run's inputs) stay empty.
      return [obj];
    }
    case "array":
      // Lists of strings (names, ids): one probe value when required.
      return required ? [[`Probe ${++counter}`]] : optional;
    case undefined:
      // Values JSON Schema cannot express (dates): left out when optional.
      if (!required) return optional;
      break;
    case "integer":
    case "number":
      return required ? [typeof schema.minimum === "number" ? schema.minimum : 1] : optional;
    case "string":
      if (!required) return optional;
      if (name === "email") return [values.email];
      if (name === "password") return ["isolation-probe-password"];
      // A cron the scheduler accepts, so a probe reaches the lookup behind its check.
      if (name === "cron") return ["0 9 * * 1"];
      return [`Probe ${++counter}`];
  }
  throw new Error(
    `No test input generator for field "${name}" (${JSON.stringify(schema)}) of ${path}: ` +
      `extend server/testing/procedures.ts.`,
  );
}
