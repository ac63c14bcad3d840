/** The bounds on CEL work, shared by the compile-time checks and the run-time meter. */

/**
 * The bounds on CEL work, at compile time (static cost) and at run time (per evaluation of one
 * expression). `dsl/README.md` documents them; `dsl/ARCHITECTURE.md` explains how they are kept.
 */
export const CEL_LIMITS = {
  /** Longest expression source, in characters. */
  maxSourceLength: 10_000,
  /** Deepest expression AST (operators, calls, selections, literals nest). */
  maxDepth: 250,
  /** Static cost (AST nodes, loop bodies times literal list sizes) above which `TF2011`. */
  maxStaticCost: 1_000_000,
  /**
   * Cost units one evaluation may spend: one per AST node evaluated (a comprehension's body once
   * per item), plus one per 8 entries of a list or map and per 64 characters of a string that a
   * function reads whole (`matches` also pays for compiling its pattern). Used up in about 0.1 to
   * 0.5 s of CPU (measured on 2 shared cores).
   */
  maxSteps: 500_000,
  /** Largest estimated size of a regular expression (`matches`, see `regexSize`). */
  maxRegexSize: 20_000,
  /** Steps all policy evaluations of one compile may spend together (`policies/evaluate.ts`). */
  maxPolicySteps: 4_000_000,
  /** Most elements of a list (or entries of a map) read, built or returned. */
  maxListLength: 100_000,
  /** Longest string (UTF-16 code units) or bytes value read, built or returned. */
  maxStringLength: 1_048_576,
} as const;
