/**
 * `defineConnector` binds operation specs to the registry's block definitions, so a connector
 * can never drift from the schemas flows are type-checked against.
 */
import { BlockRegistry, parseBlockRef } from "@/dsl";
import type { BlockDefinition } from "@/dsl";
import type { HttpMethod, Operation, OperationSpec } from "./types";

/** A connector: a system and its operations by `id@major`. */
export interface Connector {
  system: string;
  title: string;
  operations: ReadonlyMap<string, Operation>;
}

let primitives: BlockRegistry | undefined;
/** The registry of built-in blocks (built once). */
export function primitiveRegistry(): BlockRegistry {
  primitives ??= BlockRegistry.withPrimitives();
  return primitives;
}

/** `id@major` of a definition. */
export function blockRefOf(def: Pick<BlockDefinition, "id" | "version">): string {
  return `${def.id}@${def.version.split(".")[0]}`;
}

/**
 * Resolves every spec's block in `registry`; throws when one is unknown or belongs to another
 * system (a programming error, caught by the connector's tests).
 */
export function defineConnector(
  spec: { system: string; title: string; operations: OperationSpec[] },
  registry: BlockRegistry = primitiveRegistry(),
): Connector {
  const operations = new Map<string, Operation>();
  for (const op of spec.operations) {
    const { id, major } = parseBlockRef(op.block);
    const definition = major === undefined ? undefined : registry.get(id, major);
    if (!definition) throw new Error(`${spec.system} connector: unknown block ${op.block}`);
    if (definition.kind !== "connector" || definition.system !== spec.system) {
      throw new Error(
        `${spec.system} connector: ${op.block} belongs to system ${String(definition.system)}`,
      );
    }
    if (operations.has(op.block))
      throw new Error(`${spec.system} connector: ${op.block} defined twice`);
    operations.set(op.block, { ...op, definition });
  }
  return { system: spec.system, title: spec.title, operations };
}

/** The inputs without `keys` (e.g. path parameters that must not repeat in the body). */
export function omit(inputs: Record<string, unknown>, ...keys: string[]): Record<string, unknown> {
  return Object.fromEntries(Object.entries(inputs).filter(([k]) => !keys.includes(k)));
}

/**
 * An operation whose body is the inputs without the path's `{name}` parameters (they travel in
 * the URL and must not repeat in the body).
 */
export function withPathParams(block: string, method: HttpMethod, path: string): OperationSpec {
  const params = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]!);
  return { block, method, path, body: (i) => omit(i, ...params) };
}

/** The inputs restricted to `keys`, as query values. */
export function pickQuery(inputs: Record<string, unknown>, ...keys: string[]) {
  const out: Record<string, string | number | boolean | undefined> = {};
  for (const k of keys) {
    const v = inputs[k];
    if (typeof v === "string" || typeof v === "number" || typeof v === "boolean") out[k] = v;
  }
  return out;
}
