import { BlockRegistry, compile, policyLibrary, type CompileResult } from "@/dsl";

let primitives: BlockRegistry | undefined;

/**
 * Compiles a flow text the way the server does everywhere (saving, running, seeding): the
 * primitives registry plus the workspace's own blocks, and the shipped policy library.
 */
export function compileFlow(
  text: string,
  opts: { workspaceBlocks?: BlockRegistry } = {},
): CompileResult {
  primitives ??= BlockRegistry.withPrimitives();
  return compile(text, { registry: opts.workspaceBlocks ?? primitives, policies: policyLibrary });
}
