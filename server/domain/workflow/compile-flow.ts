import { BlockRegistry, compile, policyLibrary, type CompileResult, type FlowIR } from "@/dsl";

let primitives: BlockRegistry | undefined;

/** The server's block registry: the primitives (workspace blocks arrive later). Built once. */
export function serverRegistry(): BlockRegistry {
  primitives ??= BlockRegistry.withPrimitives();
  return primitives;
}

/**
 * Compiles a flow text the way the server does everywhere (saving, running, seeding, triggers,
 * subflows): the server registry (or a workspace's own), and the shipped policy library.
 */
export function compileFlow(
  text: string,
  opts: { workspaceBlocks?: BlockRegistry } = {},
): CompileResult {
  return compile(text, {
    registry: opts.workspaceBlocks ?? serverRegistry(),
    policies: policyLibrary,
  });
}

/** A compiled flow: its IR, or the first compile errors when it has none. */
export interface CompiledFlow {
  ir: FlowIR | null;
  problems: string[];
}

const cache = new Map<string, CompiledFlow>();
const MAX_CACHED = 500;

/**
 * {@link compileFlow}, once per `key`: the key must name immutable text (a version id, or a
 * draft with its timestamp), so webhooks, schedule ticks and subflow lookups do not recompile.
 */
export function compileFlowCached(key: string, text: string): CompiledFlow {
  const hit = cache.get(key);
  if (hit) return hit;
  const r = compileFlow(text);
  const value: CompiledFlow =
    r.ok && r.ir
      ? { ir: r.ir, problems: [] }
      : {
          ir: null,
          problems: r.diagnostics
            .filter((d) => d.severity === "error")
            .slice(0, 3)
            .map((d) => `${d.code} ${d.message}`),
        };
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, value);
  return value;
}
