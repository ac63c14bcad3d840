/**
 * What the user typed, turned into a bounded full-text query. Pure: no database, so every odd
 * input is tested on its own (query.test.ts).
 *
 * The search is a palette's: every word is a prefix (`inv` finds "invoice"), all words must
 * match. Words keep letters, digits and inner `.`, `-`, `_` (so `crm.create_contact` and `1.2`
 * stay one word, as PostgreSQL's parser reads them in the documents); everything else separates
 * words. The tsquery text built from them holds no operator a user could inject: only words,
 * `:*` and ` & `.
 */

/** Longest text accepted (the input schema refuses longer). */
export const MAX_QUERY_CHARS = 200;
/** Words kept; more are ignored (each one costs an index lookup). */
export const MAX_TERMS = 8;
/** Longest word kept (longer ones are cut: a prefix of it still matches). */
export const MAX_TERM_CHARS = 64;
/** Shortest word kept: a one-letter prefix would match nearly everything. */
export const MIN_TERM_CHARS = 2;

export const RUN_STATUSES = [
  "queued",
  "running",
  "waiting",
  "succeeded",
  "failed",
  "cancelled",
  "compensated",
] as const;
export type RunStatusWord = (typeof RUN_STATUSES)[number];

export interface ParsedQuery {
  /** The words, lower-cased, in order, without duplicates. */
  terms: string[];
  /** `w1:* & w2:*`, for `to_tsquery('simple', …)`; null when no word is left. */
  tsquery: string | null;
  /** Run statuses named in the text (`failed invoice`): a filter on runs. */
  statuses: RunStatusWord[];
  /** The tsquery without the status words: what a run's flow or error must match. */
  runTsquery: string | null;
  /** A run id or a prefix of one (8+ hex digits), as the inclusive uuid range it covers. */
  idRange: { from: string; to: string } | null;
}

const WORD = /[\p{L}\p{N}]+(?:[._-][\p{L}\p{N}]+)*/gu;

export function parseQuery(text: string): ParsedQuery {
  const trimmed = text.slice(0, MAX_QUERY_CHARS).toLowerCase();
  const terms: string[] = [];
  for (const match of trimmed.matchAll(WORD)) {
    const word = match[0].slice(0, MAX_TERM_CHARS).replace(/[._-]+$/, "");
    if (word.length < MIN_TERM_CHARS || terms.includes(word)) continue;
    terms.push(word);
    if (terms.length === MAX_TERMS) break;
  }
  const statuses = terms.filter((t): t is RunStatusWord =>
    (RUN_STATUSES as readonly string[]).includes(t),
  );
  return {
    terms,
    tsquery: toTsquery(terms),
    statuses,
    runTsquery: toTsquery(terms.filter((t) => !statuses.includes(t as RunStatusWord))),
    idRange: uuidRange(trimmed.trim()),
  };
}

function toTsquery(terms: string[]): string | null {
  return terms.length === 0 ? null : terms.map((t) => `${t}:*`).join(" & ");
}

/**
 * The range of uuids that start with `text` (hex digits, dashes anywhere): `3f2a9c1e` covers
 * 3f2a9c1e-0000-… to 3f2a9c1e-ffff-…, a primary-key range scan. Null unless the whole text is
 * 8 to 32 hex digits.
 */
export function uuidRange(text: string): { from: string; to: string } | null {
  if (!/^[0-9a-f-]+$/i.test(text)) return null;
  const hex = text.replace(/-/g, "").toLowerCase();
  if (hex.length < 8 || hex.length > 32) return null;
  const shape = (h: string) =>
    `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  return { from: shape(hex.padEnd(32, "0")), to: shape(hex.padEnd(32, "f")) };
}
