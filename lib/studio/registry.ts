import { BlockRegistry } from "@/dsl";

let registry: BlockRegistry | undefined;

/** The block registry the studio compiles with (the primitives, as the server does). */
export function studioRegistry(): BlockRegistry {
  registry ??= BlockRegistry.withPrimitives();
  return registry;
}
