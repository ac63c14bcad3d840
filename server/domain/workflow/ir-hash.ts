import { compileFlow } from "./compile-flow";

/** The compiled-IR hash of a flow text, or null when it does not compile. */
export function irHashOf(text: string): string | null {
  const result = compileFlow(text);
  return result.ok && result.ir ? result.ir.hash : null;
}
