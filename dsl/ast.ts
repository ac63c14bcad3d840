/**
 * The flow AST: what the parsers (`parse.ts`, and its fast path `fast-yaml.ts`) build and every
 * later phase reads. Every node carries the `span` of its source text. Types only, so both
 * parsers depend on it and not on each other.
 */
import type { Span } from "./types";

export type ScalarValue = string | number | boolean | null;

/** A scalar: string, number, boolean or null. `span` covers its source (quotes included). */
export interface AstScalar {
  kind: "scalar";
  value: ScalarValue;
  span: Span;
  /** True for quoted and block scalars: their source differs from their value. */
  quoted: boolean;
}

/** A `key: value` entry. `keySpan` for "unknown key" diagnostics, `value.span` for value errors. */
export interface AstPair {
  key: string;
  keySpan: Span;
  value: AstNode;
  span: Span;
}

export interface AstMap {
  kind: "map";
  pairs: AstPair[];
  span: Span;
}

export interface AstSeq {
  kind: "seq";
  items: AstNode[];
  span: Span;
}

export type AstNode = AstScalar | AstMap | AstSeq;
