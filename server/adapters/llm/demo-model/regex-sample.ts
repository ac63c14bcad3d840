/**
 * Strings that match a JSON Schema `pattern`, for the demo model: a parser for the common subset
 * of ECMAScript regular expressions (literals, escapes, classes, groups, alternation, quantifiers,
 * anchors) and a seeded sampler over it. Lookarounds, back-references and Unicode property
 * classes other than a few letters/digits are not supported (the caller then falls back). Every
 * sample is checked against the real `RegExp` (with the `u` flag, as Ajv compiles patterns)
 * before it is returned, so a sample is either a match or nothing.
 */
import type { Rng } from "./rng";

type CharSet = { ranges: Array<[number, number]>; negated: boolean };
type Node =
  | { t: "seq"; items: Node[] }
  | { t: "alt"; options: Node[] }
  | { t: "set"; set: CharSet }
  | { t: "lit"; cp: number }
  | { t: "repeat"; node: Node; min: number; max: number }
  | { t: "empty" };

class Unsupported extends Error {}

const MAX_GROUP_DEPTH = 50;
/** Repetitions beyond a quantifier's minimum, at most (unbounded `*` and `+` included). */
const MAX_EXTRA_REPEATS = 40;
/** Samples longer than this are abandoned. */
const MAX_SAMPLE_CHARS = 4096;

const range = (a: string, b: string): [number, number] => [a.codePointAt(0)!, b.codePointAt(0)!];
const DIGIT: Array<[number, number]> = [range("0", "9")];
const WORD: Array<[number, number]> = [
  range("a", "z"),
  range("A", "Z"),
  range("0", "9"),
  range("_", "_"),
];
const SPACE: Array<[number, number]> = [
  [0x20, 0x20],
  [0x09, 0x0d],
];
/** Where negated classes and `.` draw from: printable ASCII. */
const PRINTABLE: Array<[number, number]> = [[0x20, 0x7e]];

function parse(src: string): Node {
  let i = 0;
  let depth = 0;
  const peek = () => src[i];
  const eat = (c: string) => {
    if (src[i] !== c) throw new Unsupported(`expected ${c} at ${i}`);
    i++;
  };

  function alternation(): Node {
    const options: Node[] = [sequence()];
    while (peek() === "|") {
      i++;
      options.push(sequence());
    }
    return options.length === 1 ? options[0]! : { t: "alt", options };
  }

  function sequence(): Node {
    const items: Node[] = [];
    while (i < src.length && peek() !== "|" && peek() !== ")") {
      items.push(quantified(atom()));
    }
    return { t: "seq", items };
  }

  function quantified(node: Node): Node {
    for (;;) {
      const c = peek();
      let min: number;
      let max: number;
      if (c === "*") [min, max] = [0, Infinity];
      else if (c === "+") [min, max] = [1, Infinity];
      else if (c === "?") [min, max] = [0, 1];
      else if (c === "{") {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(src.slice(i));
        if (!m) return node;
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === "" ? Infinity : Number(m[3]);
        i += m[0].length - 1;
      } else return node;
      i++;
      if (peek() === "?") i++; // lazy: same language
      if (node.t === "empty") throw new Unsupported("quantified assertion");
      node = { t: "repeat", node, min, max };
    }
  }

  function atom(): Node {
    const c = src[i++]!;
    switch (c) {
      case "^":
      case "$":
        return { t: "empty" };
      case ".":
        return { t: "set", set: { ranges: PRINTABLE, negated: false } };
      case "(": {
        if (++depth > MAX_GROUP_DEPTH) throw new Unsupported("groups nested too deeply");
        if (peek() === "?") {
          i++;
          if (peek() === ":") i++;
          else if (peek() === "<" && src[i + 1] !== "=" && src[i + 1] !== "!") {
            const close = src.indexOf(">", i);
            if (close < 0) throw new Unsupported("bad group name");
            i = close + 1;
          } else throw new Unsupported("lookaround");
        }
        const inner = alternation();
        eat(")");
        depth--;
        return inner;
      }
      case "[":
        return { t: "set", set: charClass() };
      case "\\":
        return escape(false);
      case ")":
      case "|":
        throw new Unsupported("unbalanced");
      default:
        if (c === "*" || c === "+" || c === "?") throw new Unsupported("nothing to repeat");
        return { t: "lit", cp: codePointBefore(c) };
    }
  }

  /** The code point starting at i-1 (a surrogate pair counts once). */
  function codePointBefore(c: string): number {
    const cp = c.codePointAt(0)!;
    if (cp >= 0xd800 && cp <= 0xdbff && i < src.length) {
      const full = src.codePointAt(i - 1)!;
      if (full > 0xffff) {
        i++;
        return full;
      }
    }
    return cp;
  }

  function escape(inClass: boolean): Node {
    const c = src[i++];
    if (c === undefined) throw new Unsupported("trailing backslash");
    const set = (ranges: Array<[number, number]>, negated = false): Node => ({
      t: "set",
      set: { ranges, negated },
    });
    switch (c) {
      case "d":
        return set(DIGIT);
      case "D":
        return set(DIGIT, true);
      case "w":
        return set(WORD);
      case "W":
        return set(WORD, true);
      case "s":
        return set(SPACE);
      case "S":
        return set(SPACE, true);
      case "b":
        if (inClass) return { t: "lit", cp: 8 };
        return { t: "empty" };
      case "B":
        throw new Unsupported("\\B");
      case "n":
        return { t: "lit", cp: 10 };
      case "t":
        return { t: "lit", cp: 9 };
      case "r":
        return { t: "lit", cp: 13 };
      case "f":
        return { t: "lit", cp: 12 };
      case "v":
        return { t: "lit", cp: 11 };
      case "0":
        return { t: "lit", cp: 0 };
      case "x": {
        const m = /^[0-9a-fA-F]{2}/.exec(src.slice(i));
        if (!m) throw new Unsupported("bad \\x");
        i += 2;
        return { t: "lit", cp: parseInt(m[0], 16) };
      }
      case "u": {
        const braced = /^\{([0-9a-fA-F]{1,6})\}/.exec(src.slice(i));
        if (braced) {
          i += braced[0].length;
          return { t: "lit", cp: parseInt(braced[1]!, 16) };
        }
        const m = /^[0-9a-fA-F]{4}/.exec(src.slice(i));
        if (!m) throw new Unsupported("bad \\u");
        i += 4;
        return { t: "lit", cp: parseInt(m[0], 16) };
      }
      case "p":
      case "P": {
        const m = /^\{([A-Za-z_=]+)\}/.exec(src.slice(i));
        if (!m) throw new Unsupported("bad \\p");
        i += m[0].length;
        const name = m[1]!;
        const ranges =
          name === "Lu" || name === "Uppercase_Letter"
            ? [range("A", "Z")]
            : name === "Ll" || name === "Lowercase_Letter"
              ? [range("a", "z")]
              : name === "L" || name === "Letter" || name === "Alphabetic"
                ? [range("a", "z"), range("A", "Z")]
                : name === "N" || name === "Nd" || name === "Number"
                  ? DIGIT
                  : null;
        if (!ranges) throw new Unsupported(`\\p{${name}}`);
        // A negated property class draws from printable ASCII; the final RegExp check decides.
        return set(ranges, c === "P");
      }
      default:
        if (/[1-9]/.test(c)) throw new Unsupported("back-reference");
        if (c === "k" && !inClass) throw new Unsupported("named back-reference");
        // An escaped syntax character (or identity escape) stands for itself.
        return { t: "lit", cp: c.codePointAt(0)! };
    }
  }

  function charClass(): CharSet {
    const negated = peek() === "^";
    if (negated) i++;
    const ranges: Array<[number, number]> = [];
    const negatedParts: Array<Array<[number, number]>> = [];
    while (i < src.length && peek() !== "]") {
      const lo = classAtom();
      if (lo.t === "set") {
        if (lo.set.negated) negatedParts.push(lo.set.ranges);
        else ranges.push(...lo.set.ranges);
        continue;
      }
      if (lo.t !== "lit") throw new Unsupported("class atom");
      if (peek() === "-" && src[i + 1] !== "]" && src[i + 1] !== undefined) {
        i++;
        const hi = classAtom();
        if (hi.t !== "lit") throw new Unsupported("class range to a set");
        if (hi.cp < lo.cp) throw new Unsupported("reversed range");
        ranges.push([lo.cp, hi.cp]);
      } else {
        ranges.push([lo.cp, lo.cp]);
      }
    }
    eat("]");
    if (negatedParts.length) {
      // [\D] and the like: the printable characters outside each negated part.
      for (const part of negatedParts) ranges.push(...complement(part));
    }
    return { ranges, negated };
  }

  function classAtom(): Node {
    const c = src[i++]!;
    if (c === "\\") return escape(true);
    return { t: "lit", cp: codePointBefore(c) };
  }

  const node = alternation();
  if (i !== src.length) throw new Unsupported("unbalanced )");
  return node;
}

function inRanges(cp: number, ranges: Array<[number, number]>): boolean {
  return ranges.some(([lo, hi]) => cp >= lo && cp <= hi);
}

/** Printable ASCII outside `ranges`, as ranges. */
function complement(ranges: Array<[number, number]>): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let cp = 0x20; cp <= 0x7e; cp++) {
    if (inRanges(cp, ranges)) continue;
    const last = out[out.length - 1];
    if (last && last[1] === cp - 1) last[1] = cp;
    else out.push([cp, cp]);
  }
  return out;
}

function pickFromSet(set: CharSet, rng: Rng): number | null {
  const ranges = set.negated ? complement(set.ranges) : set.ranges;
  const total = ranges.reduce((n, [lo, hi]) => n + (hi - lo + 1), 0);
  if (total <= 0) return null;
  let k = Math.floor(rng.next() * total);
  for (const [lo, hi] of ranges) {
    const size = hi - lo + 1;
    if (k < size) return lo + k;
    k -= size;
  }
  return null;
}

function sample(node: Node, rng: Rng, extra: number, out: string[], budget: { chars: number }) {
  if (budget.chars > MAX_SAMPLE_CHARS) throw new Unsupported("sample too long");
  switch (node.t) {
    case "empty":
      return;
    case "lit":
      out.push(String.fromCodePoint(node.cp));
      budget.chars++;
      return;
    case "set": {
      const cp = pickFromSet(node.set, rng);
      if (cp === null) throw new Unsupported("empty class");
      out.push(String.fromCodePoint(cp));
      budget.chars++;
      return;
    }
    case "seq":
      for (const n of node.items) sample(n, rng, extra, out, budget);
      return;
    case "alt":
      sample(rng.pick(node.options), rng, extra, out, budget);
      return;
    case "repeat": {
      const top = Math.min(node.max, node.min + extra);
      const n = rng.int(node.min, top);
      for (let k = 0; k < n; k++) sample(node.node, rng, extra, out, budget);
      return;
    }
  }
}

const parsed = new Map<string, Node | null>();

function parsedPattern(pattern: string): Node | null {
  if (parsed.has(pattern)) return parsed.get(pattern)!;
  let node: Node | null;
  try {
    node = parse(pattern);
  } catch {
    node = null;
  }
  if (parsed.size > 500) parsed.clear();
  parsed.set(pattern, node);
  return node;
}

function compiled(pattern: string): RegExp | null {
  try {
    return new RegExp(pattern, "u");
  } catch {
    return null;
  }
}

/**
 * A string matching `pattern` (unanchored, as JSON Schema reads it) whose length is within
 * [minLength, maxLength], or null when none was found in a bounded number of tries.
 */
export function sampleRegex(
  pattern: string,
  rng: Rng,
  opts: { minLength?: number; maxLength?: number; prefer?: readonly string[] } = {},
): string | null {
  const re = compiled(pattern);
  if (!re) return null;
  const min = opts.minLength ?? 0;
  const max = opts.maxLength ?? Infinity;
  const fits = (s: string) => {
    const n = [...s].length;
    return n >= min && n <= max && re.test(s);
  };
  // Words of the prompt that already match are the most natural answers.
  for (const w of opts.prefer ?? []) if (fits(w)) return w;
  const node = parsedPattern(pattern);
  if (!node) return null;
  for (let attempt = 0; attempt < 24; attempt++) {
    // Start short; stretch the open quantifiers when the sample is under minLength.
    const extra = Math.min(MAX_EXTRA_REPEATS, attempt < 8 ? 2 : attempt < 16 ? 8 : 40);
    const out: string[] = [];
    try {
      sample(node, rng, extra, out, { chars: 0 });
    } catch {
      return null;
    }
    const s = out.join("");
    if (fits(s)) return s;
  }
  return null;
}
