/**
 * Lookups in the prompt (never any AI): its words and sentences, capitalised phrases (names), a
 * field's `name: value` written in the text, and enum values ranked by how the text names or
 * describes them.
 */
import type { Ctx } from "./context";

/** Words used when the prompt has none. */
const NO_WORDS = "demo answer built without any text to work on";

export function splitWords(text: string) {
  if (!/[\p{L}\p{N}]/u.test(text)) text = NO_WORDS;
  const raw = text.split(/\s+/).filter(Boolean);
  const plain = (text.match(/[\p{L}\p{N}][\p{L}\p{N}'’_-]*/gu) ?? []).map((w) =>
    w.replace(/['’_-]+$/u, ""),
  );
  return { raw, plain };
}

/** Lower-case stems for overlap scores: plural `s` dropped, short words ignored. */
function stems(text: string): Set<string> {
  const out = new Set<string>();
  for (const w of text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? []) {
    if (w.length < 4) continue;
    out.add(w.replace(/(ies|es|s)$/u, "").slice(0, 7));
  }
  return out;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function nameVariants(name: string): string[] {
  const spaced = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim();
  return [...new Set([name, spaced])].filter((v) => v.length >= 2);
}

/** `name: value` (or `name = value`) written in the text, for a field called `name`. */
export function lookup(name: string | undefined, ctx: Ctx): string | undefined {
  if (!name) return undefined;
  for (const v of nameVariants(name)) {
    const re = new RegExp(
      `(?:^|[^\\p{L}\\p{N}])${escapeRe(v).replace(/ /g, "[\\s_-]?")}\\s*[:=]\\s*([^\\n,;]{1,200})`,
      "iu",
    );
    const m = re.exec(ctx.hints.data);
    if (m) {
      // The value ends with its sentence.
      const value = m[1]!
        .split(/[.!?](?:\s|$)/u)[0]!
        .trim()
        .replace(/^["'“]|["'”]$/gu, "");
      if (value) return value;
    }
  }
  return undefined;
}

/**
 * Scores of enum values against the text (see the module comment of `../schema-values.ts`);
 * higher is better.
 */
function enumScores(values: unknown[], ctx: Ctx): number[] {
  const data = ctx.hints.data.toLowerCase();
  const dataStems = stems(ctx.hints.data);
  const lines = ctx.hints.context.split("\n");
  return values.map((v) => {
    if (typeof v !== "string" || !v) return 0;
    const low = v.toLowerCase();
    const named = new RegExp(`(?:^|[^\\p{L}\\p{N}])${escapeRe(low)}(?:$|[^\\p{L}\\p{N}])`, "u");
    let score = named.test(data) ? 100 : 0;
    for (const line of lines) {
      if (!line.toLowerCase().includes(low)) continue;
      // Lines listing every value (`Labels: [...]`) say nothing about this one.
      const others = values.filter(
        (o) => o !== v && typeof o === "string" && line.toLowerCase().includes(o.toLowerCase()),
      );
      if (others.length) continue;
      for (const s of stems(line.toLowerCase().replace(low, " "))) if (dataStems.has(s)) score++;
    }
    return score;
  });
}

/** Enum values, best first (ties in seeded order). */
export function rankEnum(values: unknown[], ctx: Ctx): unknown[] {
  const scores = enumScores(values, ctx);
  const order = values.map((v, i) => ({ v, score: scores[i]!, tie: ctx.rng.next() }));
  order.sort((a, b) => b.score - a.score || a.tie - b.tie);
  return order.map((o) => o.v);
}

/**
 * Capitalised phrases not opening a sentence (`ACME GmbH` in "Please bill ACME GmbH, …"), most
 * likely names of people, companies and places; first ones first, no duplicates.
 */
export function properNouns(text: string): string[] {
  const found =
    text.match(
      /(?<![.!?]\s|^|\n)(?<=\s)\p{Lu}[\p{L}\p{N}&'-]*(?:[ \t]+\p{Lu}[\p{L}\p{N}&'-]*)*/gu,
    ) ?? [];
  return [...new Set(found.map((f) => f.replace(/['-]+$/u, "")).filter((f) => f.length > 1))];
}
