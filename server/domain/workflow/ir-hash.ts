/**
 * The compiled-IR hash of a flow text, or null when it does not compile. Placeholder until the
 * DSL compiler lands: replaced by `compile(text).ir?.hash`.
 */
export function irHashOf(_text: string): string | null {
  return null;
}
