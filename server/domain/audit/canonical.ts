import { canonicalJson as writeCanonicalJson } from "@/dsl";

/**
 * The audit ledger's canonical JSON: the compiler's one canonical writer (`dsl/hash.ts`) in its
 * `"ledger"` form: object keys sorted, no whitespace, `undefined` dropped, dates as ISO strings.
 * Two equal values always give the same string, so their hash is stable; it is the exact form the
 * stored chains were hashed with (integer-like keys first, as `JSON.stringify` lists them), so an
 * existing ledger keeps verifying.
 */
export function canonicalJson(value: unknown): string {
  return writeCanonicalJson(value, undefined, "ledger");
}
