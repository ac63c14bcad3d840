/**
 * Values that satisfy a JSON Schema, built deterministically from the schema, the prompt and a
 * seeded generator: the demo model's answers. Supported: `type` (and type lists), `const`,
 * `enum`, `properties`/`required`/`additionalProperties`/`patternProperties`/`min|maxProperties`/
 * `dependentRequired`, `items`/`prefixItems`/`contains`/`min|maxItems`/`uniqueItems`,
 * `min|maxLength`/`pattern`/`format`, `minimum`/`maximum`/`exclusive*`/`multipleOf`, local
 * `$ref`s (`#/$defs/…`), `allOf` (merged), `anyOf`/`oneOf` (one branch). Anything else is left
 * to the final check: {@link answerForSchema} validates every answer with the agent runtime's
 * Ajv options and tries other seeds when one fails.
 *
 * How the prompt is used (never any AI):
 * - an `enum` value named in the text wins; else the one whose description in the prompt shares
 *   the most words with the text (`- sales: pricing, demos` for a text about pricing);
 * - a field `name: value` written in the text gives that field's value when it fits the schema;
 * - strings are made of the text's own words: long fields (`summary`, `body`, …) start at its
 *   beginning (within an "at most N words" of the prompt), headlines (`subject`, `title`) are its
 *   first sentence, names (`company`, `customer`, …) a capitalised phrase of it, lists of
 *   statements (`keyPoints`) its sentences, other strings a few of its words;
 * - explanations (`rationale`, `reason`) say that the demo model chose from the prompt's words;
 * - scores (`confidence`, `score`) lean to the top of their range, so demo flows take their main
 *   path; lists of problems (`missing`, `errors`, `warnings`) stay as short as the schema allows.
 */
import { canonical } from "./canonical";
import { sampleRegex } from "./regex-sample";
import type { Rng } from "./rng";
import { demoValidatorFor } from "./validator";

export { canonical };

type Schema = Record<string, unknown>;

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
const MAX_MIN_LENGTH = 10_000;
/** Attempts with other seeds when an answer does not validate. */
const ATTEMPTS = 8;

const LONG_TEXT =
  /(summary|body|text|content|message|description|note|comment|answer|reply|details|draft)$/i;
const SHORT_TEXT =
  /(subject|title|name|label|heading|headline|tag|category|status|city|country|company|customer|currency|code|id)$/i;
/** Headlines: the text's first sentence, up to eight words. */
const TITLE = /(subject|title|heading|headline)$/i;
/** Fields that name someone or something: a capitalised phrase of the text fits best. */
const PROPER_NAME =
  /(name|company|customer|organi[sz]ation|account|vendor|supplier|person|contact|client)$/i;
/** Fields that explain a choice: the demo model says honestly how it chose. */
const EXPLANATION = /(rationale|reason|reasoning|explanation|justification)$/i;
/** Lists of statements (`keyPoints`, `highlights`): the text's sentences, in order. */
const SENTENCE_LISTS = /(points|highlights|bullets|sentences|takeaways|findings|facts|notes)$/i;
/** Scores such as `confidence` lean to the top of their range: demo flows take their main path. */
const SCORE = /(confidence|score|probability|certainty)$/i;
const PROBLEM_LISTS = /^(missing|errors|warnings|issues)$/i;

interface Ctx {
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

const isObj = (v: unknown): v is Schema => !!v && typeof v === "object" && !Array.isArray(v);
const num = (v: unknown): number | undefined =>
  typeof v === "number" && Number.isFinite(v) ? v : undefined;
const int = (v: unknown): number | undefined => {
  const n = num(v);
  return n === undefined ? undefined : Math.max(0, Math.floor(n));
};

/** Words used when the prompt has none. */
const NO_WORDS = "demo answer built without any text to work on";

function splitWords(text: string) {
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

// ---------------------------------------------------------------- schema plumbing

function resolvePointer(root: unknown, ref: string): unknown {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let cur: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = decodeURIComponent(raw).replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(cur)) cur = cur[Number(key)];
    else if (isObj(cur)) cur = cur[key];
    else return undefined;
  }
  return cur;
}

const MIN_KEYS = ["minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties"];
const MAX_KEYS = ["maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties"];

function typesOf(s: Schema): string[] | undefined {
  if (typeof s.type === "string") return [s.type];
  if (Array.isArray(s.type)) return s.type.filter((t): t is string => typeof t === "string");
  return undefined;
}

/** `allOf` as one schema (an approximation the final validation checks). */
function merge(a: Schema, b: Schema): Schema {
  const out: Schema = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const mine = out[k];
    if (mine === undefined) {
      out[k] = v;
    } else if (k === "properties" && isObj(mine) && isObj(v)) {
      const props: Schema = { ...mine };
      for (const [p, ps] of Object.entries(v)) {
        props[p] = props[p] === undefined ? ps : { allOf: [props[p], ps] };
      }
      out.properties = props;
    } else if (k === "required" && Array.isArray(mine) && Array.isArray(v)) {
      out.required = [...new Set([...mine, ...v])];
    } else if (k === "type") {
      const ta = typesOf(a) ?? [];
      const tb = typesOf(b) ?? [];
      const both = ta.filter((t) => tb.includes(t) || (t === "integer" && tb.includes("number")));
      const extra = tb.filter((t) => t === "integer" && ta.includes("number"));
      out.type = [...new Set([...both, ...extra])];
      if ((out.type as string[]).length === 0) out.type = v;
    } else if (k === "enum" && Array.isArray(mine) && Array.isArray(v)) {
      const keep = new Set(v.map(canonical));
      out.enum = mine.filter((x) => keep.has(canonical(x)));
    } else if (MIN_KEYS.includes(k) && num(mine) !== undefined && num(v) !== undefined) {
      out[k] = Math.max(mine as number, v as number);
    } else if (MAX_KEYS.includes(k) && num(mine) !== undefined && num(v) !== undefined) {
      out[k] = Math.min(mine as number, v as number);
    } else if (k === "items" && isObj(mine) && isObj(v)) {
      out.items = { allOf: [mine, v] };
    } else if (k === "additionalProperties") {
      out.additionalProperties = mine === false || v === false ? false : { allOf: [mine, v] };
    } else if (k === "allOf" && Array.isArray(mine) && Array.isArray(v)) {
      out.allOf = [...mine, ...v];
    } else {
      out[k] = v;
    }
  }
  return out;
}

/** The schema with `$ref` and `allOf` folded in (bounded: a ref cycle stops at the depth cap). */
function flatten(schema: unknown, ctx: Ctx, hops = 0): Schema | boolean {
  if (typeof schema === "boolean") return schema;
  if (!isObj(schema)) return true;
  let s = schema;
  if (typeof s.$ref === "string" && hops < 32) {
    const { $ref, ...rest } = s;
    const target = resolvePointer(ctx.root, $ref as string);
    const t = flatten(target === undefined ? {} : target, ctx, hops + 1);
    if (t === false) return false;
    s = t === true ? rest : merge(t, rest);
  }
  if (Array.isArray(s.allOf) && hops < 32) {
    const { allOf, ...rest } = s;
    let acc: Schema = rest;
    for (const part of allOf as unknown[]) {
      const f = flatten(part, ctx, hops + 1);
      if (f === false) return false;
      if (f !== true) acc = merge(acc, f);
    }
    return flatten(acc, ctx, hops + 1);
  }
  return s;
}

function inferType(s: Schema, rng: Rng): string {
  const types = typesOf(s);
  if (types?.length) {
    // An informative type first: null only when it is the only one allowed.
    const useful = types.filter((t) => t !== "null");
    return useful.length ? useful[rng.int(0, useful.length - 1)]! : "null";
  }
  if (
    isObj(s.properties) ||
    Array.isArray(s.required) ||
    s.additionalProperties !== undefined ||
    s.minProperties !== undefined
  )
    return "object";
  if (s.items !== undefined || s.prefixItems !== undefined || s.minItems !== undefined)
    return "array";
  if (
    s.minimum !== undefined ||
    s.maximum !== undefined ||
    s.multipleOf !== undefined ||
    s.exclusiveMinimum !== undefined ||
    s.exclusiveMaximum !== undefined
  )
    return "number";
  return "string";
}

// ---------------------------------------------------------------- prompt lookups

function nameVariants(name: string): string[] {
  const spaced = name
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim();
  return [...new Set([name, spaced])].filter((v) => v.length >= 2);
}

/** `name: value` (or `name = value`) written in the text, for a field called `name`. */
function lookup(name: string | undefined, ctx: Ctx): string | undefined {
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

/** Scores of enum values against the text (see the module comment); higher is better. */
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
function rankEnum(values: unknown[], ctx: Ctx): unknown[] {
  const scores = enumScores(values, ctx);
  const order = values.map((v, i) => ({ v, score: scores[i]!, tie: ctx.rng.next() }));
  order.sort((a, b) => b.score - a.score || a.tie - b.tie);
  return order.map((o) => o.v);
}

// ---------------------------------------------------------------- values

function gen(schema: unknown, ctx: Ctx, name: string | undefined, depth: number): unknown {
  ctx.nodes++;
  const s = flatten(schema, ctx);
  if (s === false) return null;
  if (s === true) return stringFor({}, ctx, name);
  if (depth > ctx.limits.maxDepth) return null;
  const compact =
    ctx.compact ||
    depth > ctx.limits.maxDepth / 2 ||
    ctx.nodes > ctx.limits.maxNodes ||
    ctx.chars > ctx.limits.maxChars;

  if ("const" in s) return structuredClone(s.const);
  if (Array.isArray(s.enum) && s.enum.length) {
    const types = typesOf(s);
    const allowed = types
      ? s.enum.filter((v) => types.some((t) => fitsType(v, t)))
      : (s.enum as unknown[]);
    const pool = allowed.length ? allowed : (s.enum as unknown[]);
    return structuredClone(rankEnum(pool, ctx)[0]);
  }
  const branches = (Array.isArray(s.oneOf) ? s.oneOf : Array.isArray(s.anyOf) ? s.anyOf : null) as
    unknown[] | null;
  if (branches?.length) {
    const { oneOf: _o, anyOf: _a, ...rest } = s;
    const useful = branches.filter((b) => !(isObj(b) && b.type === "null"));
    const pool = useful.length ? useful : branches;
    const branch = flatten(pool[ctx.rng.int(0, pool.length - 1)], ctx);
    if (branch === false) return null;
    return gen(branch === true ? rest : merge(rest, branch), ctx, name, depth);
  }

  switch (inferType(s, ctx.rng)) {
    case "null":
      return null;
    case "boolean": {
      const said = lookup(name, ctx)?.toLowerCase();
      if (said && /^(true|yes|y|1)$/.test(said)) return true;
      if (said && /^(false|no|n|0)$/.test(said)) return false;
      return ctx.rng.next() < 0.5;
    }
    case "integer":
      return numberFor(s, ctx, name, true);
    case "number":
      return numberFor(s, ctx, name, false);
    case "array":
      return arrayFor(s, ctx, name, depth, compact);
    case "object":
      return objectFor(s, ctx, depth, compact);
    default:
      return stringFor(s, ctx, name, compact);
  }
}

function fitsType(v: unknown, t: string): boolean {
  switch (t) {
    case "null":
      return v === null;
    case "boolean":
      return typeof v === "boolean";
    case "integer":
      return Number.isInteger(v);
    case "number":
      return typeof v === "number";
    case "string":
      return typeof v === "string";
    case "array":
      return Array.isArray(v);
    case "object":
      return isObj(v);
    default:
      return false;
  }
}

function numberFor(s: Schema, ctx: Ctx, name: string | undefined, integer: boolean): number {
  const minIncl = num(s.minimum);
  const minExcl = num(s.exclusiveMinimum);
  const maxIncl = num(s.maximum);
  const maxExcl = num(s.exclusiveMaximum);
  const step = num(s.multipleOf);
  const ok = (x: number) =>
    Number.isFinite(x) &&
    (!integer || Number.isInteger(x)) &&
    (minIncl === undefined || x >= minIncl) &&
    (minExcl === undefined || x > minExcl) &&
    (maxIncl === undefined || x <= maxIncl) &&
    (maxExcl === undefined || x < maxExcl) &&
    (step === undefined || step <= 0 || x / step === parseInt(String(x / step), 10));

  const said = lookup(name, ctx);
  if (said) {
    const figure = /-?\d[\d,]*(?:\.\d+)?/.exec(said)?.[0];
    const parsed = figure === undefined ? NaN : Number(figure.replace(/,/g, ""));
    if (ok(parsed)) return parsed;
  }

  let lo = Math.max(minIncl ?? -Infinity, minExcl ?? -Infinity);
  let hi = Math.min(maxIncl ?? Infinity, maxExcl ?? Infinity);
  if (!Number.isFinite(lo) && !Number.isFinite(hi))
    [lo, hi] = [integer ? 1 : 0, integer ? 100 : 1000];
  else if (!Number.isFinite(lo)) lo = hi - (integer ? 100 : 1000);
  else if (!Number.isFinite(hi)) hi = lo + (integer ? 100 : 1000);

  if (step !== undefined && step > 0) {
    const kLo = Math.ceil(lo / step);
    const kHi = Math.floor(hi / step);
    for (let tries = 0; tries < 16 && kHi >= kLo; tries++) {
      const k = ctx.rng.int(kLo, Math.min(kHi, kLo + 1000));
      const x = Number((k * step).toPrecision(12));
      if (ok(x)) return x;
    }
    if (ok(0)) return 0;
    return Number((kLo * step).toPrecision(12));
  }
  if (integer) {
    const a = Math.ceil(minExcl !== undefined && minExcl >= lo ? Math.floor(minExcl) + 1 : lo);
    const b = Math.floor(maxExcl !== undefined && maxExcl <= hi ? Math.ceil(maxExcl) - 1 : hi);
    return b >= a ? ctx.rng.int(a, Math.min(b, a + 10_000)) : a;
  }
  // Two decimals, inside the bounds (exclusive ones included).
  const [from, width] = name && SCORE.test(name) ? [0.8, 0.19] : [0, 1];
  for (let tries = 0; tries < 8; tries++) {
    const x = Math.round((lo + (from + ctx.rng.next() * width) * (hi - lo)) * 100) / 100;
    if (ok(x)) return x;
  }
  const mid = lo + (hi - lo) / 2;
  return ok(mid) ? mid : lo;
}

/** Consecutive words of the text, `count` of them from `start` (moved back to fit). */
function window(words: string[], start: number, count: number): string[] {
  const from = Math.max(0, Math.min(start, words.length - count));
  return words.slice(from, from + count);
}

function slug(word: string | undefined, fallback: string): string {
  const s = (word ?? "")
    .normalize("NFKD")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "");
  return s || fallback;
}

function formatted(format: string, ctx: Ctx, word: () => string): string | undefined {
  const r = ctx.rng;
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const date = () => `${r.int(2024, 2027)}-${pad(r.int(1, 12))}-${pad(r.int(1, 28))}`;
  const time = () => `${pad(r.int(0, 23))}:${pad(r.int(0, 59))}:${pad(r.int(0, 59))}Z`;
  const hex = (n: number) =>
    Array.from({ length: n }, () => "0123456789abcdef"[r.int(0, 15)]).join("");
  switch (format) {
    case "email":
    case "idn-email": {
      const found = ctx.hints.data.match(/[\w.+-]+@[\w-]+(\.[\w-]+)+/);
      return found ? found[0] : `${slug(word(), "demo")}@example.com`;
    }
    case "date":
      return date();
    case "date-time":
      return `${date()}T${time()}`;
    case "time":
      return time();
    case "uri":
    case "url":
    case "iri":
    case "uri-reference":
    case "iri-reference":
      return `https://example.com/${slug(word(), "demo")}`;
    case "uri-template":
      return `https://example.com/{${slug(word(), "id")}}`;
    case "uuid":
      return `${hex(8)}-${hex(4)}-4${hex(3)}-${"89ab"[r.int(0, 3)]}${hex(3)}-${hex(12)}`;
    case "hostname":
    case "idn-hostname":
      return `${slug(word(), "demo")}.example.com`;
    case "ipv4":
      return `192.0.2.${r.int(1, 254)}`;
    case "ipv6":
      return `2001:db8::${hex(4)}`;
    case "duration":
      return `P${r.int(1, 30)}D`;
    case "regex":
      return `^${slug(word(), "demo")}$`;
    case "json-pointer":
      return `/${slug(word(), "demo")}`;
    case "relative-json-pointer":
      return `0/${slug(word(), "demo")}`;
    case "byte":
      return Buffer.from(word() || "demo").toString("base64");
    default:
      return undefined;
  }
}

function fitLength(text: string, min: number, max: number, ctx: Ctx): string {
  let chars = [...text];
  if (chars.length > max) {
    const cut = chars.slice(0, max).join("");
    const atSpace = cut.lastIndexOf(" ");
    chars = [...(atSpace >= Math.min(max, 1) && atSpace > max / 2 ? cut.slice(0, atSpace) : cut)];
  }
  if (chars.length < min) {
    // Longer: more of the text's words, then a filler.
    const more = ctx.words.plain.length ? ctx.words.plain : ["demo"];
    let i = 0;
    while (chars.length < min && i < MAX_MIN_LENGTH) {
      const w = more[i % more.length]!;
      chars.push(...(chars.length ? ` ${w}` : w));
      i++;
    }
    chars = chars.slice(0, Math.max(min, Math.min(chars.length, max)));
  }
  return chars.join("");
}

function stringFor(s: Schema, ctx: Ctx, name?: string, compact = ctx.compact): string {
  const min = Math.min(int(s.minLength) ?? 0, MAX_MIN_LENGTH);
  const max = int(s.maxLength) ?? Infinity;
  const { raw, plain } = ctx.words;
  const word = () => (plain.length ? plain[ctx.rng.int(0, plain.length - 1)]! : "demo");
  const done = (v: string) => {
    ctx.chars += v.length;
    return v;
  };
  const pattern = typeof s.pattern === "string" ? s.pattern : undefined;
  const fmt = typeof s.format === "string" ? formatted(s.format, ctx, word) : undefined;
  const said = lookup(name, ctx);

  if (pattern) {
    const prefer = [said, fmt, ...plain.slice(0, 200)].filter((w): w is string => !!w);
    const v = sampleRegex(pattern, ctx.rng, { minLength: min, maxLength: max, prefer });
    if (v !== null) return done(v);
  }
  if (fmt !== undefined) return done(fmt);
  const fits = (v: string | undefined): v is string =>
    v !== undefined && [...v].length >= min && [...v].length <= max;
  if (fits(said)) return done(said);
  if (!compact && name && PROPER_NAME.test(name) && ctx.properNouns.length) {
    // The first one: most often who or what the text is about.
    const noun = ctx.properNouns[0];
    if (fits(noun)) return done(noun);
  }
  if (!compact && name && TITLE.test(name) && ctx.sentences.length) {
    const head = ctx.sentences[0]!.split(/\s+/)
      .slice(0, 8)
      .join(" ")
      .replace(/[.!?:;,]+$/u, "");
    if (fits(head)) return done(head);
  }
  if (!compact && name && EXPLANATION.test(name)) {
    const why = "Chosen by the demo model (no AI) from the words of the prompt.";
    return done(fitLength(why, min, max, ctx));
  }

  let count: number;
  let start: number;
  if (compact || ctx.chars > ctx.limits.maxChars) {
    count = 2;
    start = 0;
  } else if (name && LONG_TEXT.test(name)) {
    count = Math.min(ctx.maxWords ?? 40, 40);
    start = 0;
  } else if (name && SHORT_TEXT.test(name)) {
    count = ctx.rng.int(1, 4);
    start = ctx.rng.int(0, Math.max(0, plain.length - 1));
  } else {
    count = ctx.rng.int(2, 6);
    start = ctx.rng.int(0, Math.max(0, plain.length - 1));
  }
  const long = !!name && LONG_TEXT.test(name) && !compact;
  const text = long
    ? window(raw, start, count).join(" ")
    : window(plain, start, count).join(" ") || "demo";
  return done(fitLength(text || "demo", min, max, ctx));
}

function arrayFor(
  s: Schema,
  ctx: Ctx,
  name: string | undefined,
  depth: number,
  compact: boolean,
): unknown[] {
  const minItems = Math.min(int(s.minItems) ?? 0, ctx.limits.maxNodes);
  const maxItems = int(s.maxItems) ?? Infinity;
  const prefix = Array.isArray(s.prefixItems) ? (s.prefixItems as unknown[]) : [];
  const rest = s.items === undefined ? {} : s.items;
  let n: number;
  if (compact || (name && PROBLEM_LISTS.test(name))) n = minItems;
  else n = Math.max(minItems, Math.min(ctx.rng.int(1, 3), maxItems));
  if (rest === false) n = Math.min(n, prefix.length);
  // `contains` needs one item past the tuple part at least.
  if (s.contains !== undefined) n = Math.max(n, prefix.length + 1);
  n = Math.min(n, maxItems);
  const out: unknown[] = [];
  const seen = new Set<string>();
  const unique = s.uniqueItems === true;
  // Enum items: distinct values, best first (a classifier's `labels`: the best label leads).
  const itemSchema = flatten(rest, ctx);
  const enumItems =
    isObj(itemSchema) && Array.isArray(itemSchema.enum) && !("const" in itemSchema)
      ? rankEnum(itemSchema.enum as unknown[], ctx)
      : null;
  for (let i = 0; i < n; i++) {
    if (i > 0 && ctx.nodes > ctx.limits.maxNodes && out.length >= minItems) break;
    // A hard stop, whatever minItems says: such an answer cannot be valid, only bounded.
    if (ctx.chars > ctx.limits.maxChars * 4 || ctx.nodes > ctx.limits.maxNodes * 2) break;
    if (i < prefix.length) {
      out.push(gen(prefix[i], ctx, name, depth + 1));
      continue;
    }
    let item: unknown;
    const sentence =
      !compact && name && SENTENCE_LISTS.test(name) && isPlainString(itemSchema)
        ? ctx.sentences[i - prefix.length]
        : undefined;
    if (sentence !== undefined && isObj(itemSchema)) {
      const text = fitLength(
        sentence,
        int(itemSchema.minLength) ?? 0,
        int(itemSchema.maxLength) ?? Infinity,
        ctx,
      );
      ctx.chars += text.length;
      item = text;
    } else if (
      enumItems &&
      out.length - prefix.length < enumItems.length &&
      (unique || enumItems.length > 1)
    ) {
      item = structuredClone(enumItems[(i - prefix.length) % enumItems.length]);
    } else if (i === prefix.length && s.contains !== undefined) {
      const c = flatten(s.contains, ctx);
      item = gen(
        c === true ? rest : isObj(c) && isObj(itemSchema) ? merge(itemSchema, c) : c,
        ctx,
        name,
        depth + 1,
      );
    } else {
      item = gen(rest, ctx, singular(name), depth + 1);
    }
    if (unique) {
      let tries = 0;
      while (seen.has(canonical(item)) && tries++ < 8)
        item = gen(rest, ctx, singular(name), depth + 1);
      // Still a repeat: number it (`demo 2`, 7 → 8); the final validation judges the variant.
      for (let k = 2; seen.has(canonical(item)) && k < 2 + n; k++) {
        if (typeof item === "string") item = `${item.replace(/ \d+$/, "")} ${k}`;
        else if (typeof item === "number") item = item + 1;
        else break;
      }
      if (seen.has(canonical(item))) break;
      seen.add(canonical(item));
    }
    out.push(item);
  }
  return out;
}

/**
 * Capitalised phrases not opening a sentence (`ACME GmbH` in "Please bill ACME GmbH, …"), most
 * likely names of people, companies and places; first ones first, no duplicates.
 */
function properNouns(text: string): string[] {
  const found =
    text.match(
      /(?<![.!?]\s|^|\n)(?<=\s)\p{Lu}[\p{L}\p{N}&'-]*(?:[ \t]+\p{Lu}[\p{L}\p{N}&'-]*)*/gu,
    ) ?? [];
  return [...new Set(found.map((f) => f.replace(/['-]+$/u, "")).filter((f) => f.length > 1))];
}

function isPlainString(s: Schema | boolean): boolean {
  return (
    isObj(s) &&
    s.type === "string" &&
    s.enum === undefined &&
    s.const === undefined &&
    s.pattern === undefined &&
    s.format === undefined
  );
}

/** `keyPoints` → `keyPoint`: items of a list read like the list's name in the singular. */
function singular(name: string | undefined): string | undefined {
  return name?.replace(/s$/, "");
}

function objectFor(s: Schema, ctx: Ctx, depth: number, compact: boolean): Schema {
  const props = isObj(s.properties) ? s.properties : {};
  const required = Array.isArray(s.required)
    ? (s.required as unknown[]).filter((k): k is string => typeof k === "string")
    : [];
  const maxProps = int(s.maxProperties) ?? Infinity;
  const minProps = Math.min(int(s.minProperties) ?? 0, 100);
  const additional = s.additionalProperties;
  const out: Schema = {};
  // Every required key, then optional ones while `maxProperties` allows; in declared order.
  const optional = compact ? [] : Object.keys(props).filter((k) => !required.includes(k));
  const chosen = new Set([
    ...required,
    ...optional.slice(0, Math.max(0, maxProps - new Set(required).size)),
  ]);
  const keys = [
    ...Object.keys(props).filter((k) => chosen.has(k)),
    ...required.filter((k) => !(k in props)),
  ];
  for (const key of new Set(keys)) {
    if (!required.includes(key) && ctx.nodes > ctx.limits.maxNodes) continue;
    const ps =
      key in props
        ? props[key]
        : (patternSchema(s, key) ??
          (isObj(additional) || typeof additional === "boolean" ? additional : {}));
    out[key] = gen(ps, ctx, key, depth + 1);
  }
  // Keys another present key depends on.
  const dependent = isObj(s.dependentRequired) ? s.dependentRequired : {};
  for (const [key, needs] of Object.entries(dependent)) {
    if (!(key in out) || !Array.isArray(needs)) continue;
    for (const k of needs) {
      if (typeof k === "string" && !(k in out)) out[k] = gen(props[k] ?? {}, ctx, k, depth + 1);
    }
  }
  // More keys for `minProperties`: declared ones left out, then `patternProperties`, then
  // `additionalProperties`.
  for (const key of Object.keys(props)) {
    if (Object.keys(out).length >= Math.min(minProps, maxProps)) break;
    if (!(key in out)) out[key] = gen(props[key], ctx, key, depth + 1);
  }
  const patterns = isObj(s.patternProperties) ? Object.entries(s.patternProperties) : [];
  let extra = 0;
  while (Object.keys(out).length < Math.min(minProps, maxProps) && extra < 200) {
    extra++;
    let key: string | null = null;
    let valueSchema: unknown = isObj(additional) ? additional : {};
    if (patterns.length) {
      const [p, ps] = patterns[extra % patterns.length]!;
      key = sampleRegex(p, ctx.rng);
      valueSchema = ps;
    }
    if (key === null) {
      if (additional === false) break;
      key = `field${extra}`;
    }
    if (key in out) continue;
    out[key] = gen(valueSchema, ctx, key, depth + 1);
  }
  return out;
}

function patternSchema(s: Schema, key: string): unknown {
  if (!isObj(s.patternProperties)) return undefined;
  for (const [p, ps] of Object.entries(s.patternProperties)) {
    try {
      if (new RegExp(p, "u").test(key)) return ps;
    } catch {
      /* an invalid pattern matches nothing */
    }
  }
  return undefined;
}

/** One value for `schema` (not validated: see {@link answerForSchema}). */
export function valueForSchema(
  schema: unknown,
  hints: PromptHints,
  rng: Rng,
  opts: { compact?: boolean; limits?: Partial<GenerateLimits> } = {},
): unknown {
  const source = hints.data.trim() ? hints.data : hints.context;
  const words = splitWords(source);
  const maxWords = /at most (\d{1,5}) words/i.exec(hints.context)?.[1];
  const ctx: Ctx = {
    sentences: source
      .split(/(?<=[.!?])\s+|\n+/u)
      .map((x) => x.trim())
      .filter(Boolean),
    properNouns: properNouns(source),
    maxWords: maxWords ? Math.max(1, Number(maxWords)) : undefined,
    rng,
    hints,
    root: schema,
    compact: opts.compact ?? false,
    limits: { ...DEFAULT_LIMITS, ...opts.limits },
    nodes: 0,
    chars: 0,
    words,
  };
  return gen(schema, ctx, undefined, 0);
}

export interface SchemaAnswer {
  value: unknown;
  /** Whether the value validates (false only for schemas beyond what the generator meets). */
  valid: boolean;
  /** Validation errors of the last attempt when not valid. */
  errors: string[];
}

/**
 * A value valid against `schema`, deterministic for (schema, hints, rng): up to 8 seeds are
 * tried, each answer checked with Ajv as the agent runtime configures it (`validator.ts`). Throws when the schema
 * does not compile.
 */
export function answerForSchema(
  schema: unknown,
  hints: PromptHints,
  rng: Rng,
  opts: { compact?: boolean; limits?: Partial<GenerateLimits> } = {},
): SchemaAnswer {
  const validate = demoValidatorFor(schema);
  let value: unknown = null;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    value = valueForSchema(
      schema,
      hints,
      attempt === 0 ? rng : rng.fork(`attempt-${attempt}`),
      opts,
    );
    if (validate(value)) return { value, valid: true, errors: [] };
  }
  return {
    value,
    valid: false,
    errors: (validate.errors ?? []).map((e) => `${e.instancePath || "(root)"} ${e.message ?? ""}`),
  };
}
