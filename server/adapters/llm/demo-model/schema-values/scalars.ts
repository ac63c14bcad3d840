/**
 * Scalar values: numbers inside their bounds and `multipleOf` (scores leaning to the top), and
 * strings made of the text's own words, fitted to `minLength`/`maxLength`, `pattern` and
 * `format`, chosen by what the field's name says.
 */
import { sampleRegex } from "../regex-sample";
import { int, MAX_MIN_LENGTH, num, type Ctx, type Schema } from "./context";
import { EXPLANATION, LONG_TEXT, PROPER_NAME, SCORE, SHORT_TEXT, TITLE } from "./field-names";
import { lookup } from "./prompt";

export function numberFor(s: Schema, ctx: Ctx, name: string | undefined, integer: boolean): number {
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

export function fitLength(text: string, min: number, max: number, ctx: Ctx): string {
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

export function stringFor(s: Schema, ctx: Ctx, name?: string, compact = ctx.compact): string {
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
