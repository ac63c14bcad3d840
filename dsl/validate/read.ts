/** Small typed readers of AST values, shared by the analysis passes. */
import type { AstNode } from "../parse";
import type { BlockDefinition, SlaTier } from "../types";
import type { TrustBelow } from "./options";

/** The string value of a scalar, else undefined. */
export const str = (n: AstNode | undefined): string | undefined =>
  n?.kind === "scalar" && typeof n.value === "string" ? n.value : undefined;

/** The number value of a scalar, else undefined. */
export const num = (n: AstNode | undefined): number | undefined =>
  n?.kind === "scalar" && typeof n.value === "number" ? n.value : undefined;

/** A `trust.below` value, else undefined. */
export const belowOf = (n: AstNode | undefined): TrustBelow | undefined => {
  const v = str(n);
  return v === "halt" || v === "approval" ? v : undefined;
};

/** An `sla` tier, else undefined. */
export const tierOf = (n: AstNode | undefined): SlaTier | undefined => {
  const v = str(n);
  return v === "T0" || v === "T1" || v === "T2" ? v : undefined;
};

/** Whether a string holds a `${{ }}` expression. */
export const isExpression = (v: string): boolean => v.includes("${{");

/** `f()`, or undefined if it throws (registry and trust providers are not trusted to behave). */
export function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

const majors = new WeakMap<BlockDefinition, number>();

/** The major of a block's version (memoised: every step of a block asks). */
export function majorOf(block: BlockDefinition): number {
  let m = majors.get(block);
  if (m === undefined) {
    m = Number(block.version.split(".")[0]);
    majors.set(block, m);
  }
  return m;
}
