/**
 * The generation context: what the prompt offers ({@link PromptHints}), the bounds of one answer
 * ({@link GenerateLimits}), and the state one answer is built with (the seeded generator, the
 * text's words, sentences and names, the nodes and characters spent so far).
 */
import type { Rng } from "../rng";

export type Schema = Record<string, unknown>;

/** What the prompt offers to build values from. */
export interface PromptHints {
  /** The text to work on: the prompt's quoted data (`<<< … >>>`), else the last user message. */
  data: string;
  /** The rest of the prompt: instructions, label lists, route descriptions. */
  context: string;
}

export interface GenerateLimits {
  /** Values (nodes) in one answer; past it arrays stay at `minItems`, optional fields are left out. */
  maxNodes: number;
  /** Characters of strings in one answer; past it strings are as short as allowed. */
  maxChars: number;
  /** Nesting depth; past half of it only required content is generated. */
  maxDepth: number;
}

export const DEFAULT_LIMITS: GenerateLimits = { maxNodes: 2000, maxChars: 64_000, maxDepth: 24 };

/** Longest string built to meet a `minLength` (a longer minimum cannot be met). */
export const MAX_MIN_LENGTH = 10_000;

export interface Ctx {
  rng: Rng;
  hints: PromptHints;
  root: unknown;
  compact: boolean;
  limits: GenerateLimits;
  nodes: number;
  chars: number;
  words: { raw: string[]; plain: string[] };
  sentences: string[];
  properNouns: string[];
  /** "at most N words" in the prompt caps long texts. */
  maxWords: number | undefined;
}

export const isObj = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);
export const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;
export const int = (v: unknown): number | undefined => {
  const n = num(v);
  return n === undefined ? undefined : Math.max(0, Math.floor(n));
};
