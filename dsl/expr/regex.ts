/** Regular expressions (`matches`): RE2 programs compiled once per pattern, sized and metered. */
import { RE2JS } from "@bufbuild/re2";
import { CEL_LIMITS } from "./limits";
import { charge, throwIfTripped, trip } from "./meter";

/**
 * An estimate of the size of the program RE2 compiles a pattern into: literals 1, `.` and Perl
 * classes 4, a bracket class 1 + its length, a Unicode class (`\p{..}`) 256, groups the sum of
 * their contents, a counted repetition `{n,m}` multiplying what it repeats by max(n, m). (RE2
 * expands counted repetitions: `\pL{1000}` is 14 characters and takes 0.2 s to compile.)
 */
export function regexSize(pattern: string): number {
  const stack: number[] = [0];
  let last = 0;
  const n = pattern.length;
  for (let i = 0; i < n; i++) {
    const c = pattern[i]!;
    let atom: number;
    if (c === "\\") {
      const next = pattern[i + 1] ?? "";
      i++;
      if (next === "p" || next === "P") {
        atom = 256;
        if (pattern[i + 1] === "{") {
          const close = pattern.indexOf("}", i + 1);
          i = close === -1 ? n : close;
        } else i++;
      } else atom = "dDwWsS".includes(next) ? 4 : 1;
    } else if (c === "[") {
      let j = i + 1;
      if (pattern[j] === "^") j++;
      if (pattern[j] === "]") j++;
      while (j < n && pattern[j] !== "]") j += pattern[j] === "\\" ? 2 : 1;
      const body = pattern.slice(i + 1, j);
      atom = 1 + body.length * (/\\[pP]/.test(body) ? 256 : 1);
      i = j;
    } else if (c === "(") {
      stack.push(0);
      last = 0;
      continue;
    } else if (c === ")") {
      atom = (stack.length > 1 ? stack.pop()! : 0) + 1;
    } else if (c === "{") {
      const m = /^\{(\d+)(?:,(\d*))?\}/.exec(pattern.slice(i, i + 24));
      if (m) {
        const k = Math.max(Number(m[1]), m[2] ? Number(m[2]) : 0, 1);
        stack[stack.length - 1]! += last * (k - 1);
        last *= k;
        i += m[0].length - 1;
        continue;
      }
      atom = 1;
    } else if (c === "*" || c === "+" || c === "?") {
      continue;
    } else atom = c === "." ? 4 : 1;
    stack[stack.length - 1]! += atom;
    last = atom;
  }
  return stack.reduce((x, y) => x + y, 0);
}

/** Compiled patterns with their estimated size, most recently used last. */
const regexCache = new Map<string, { re: RE2JS; size: number; test(text: string): boolean }>();
const REGEX_CACHE_MAX = 256;

/**
 * The RE2 engine of the evaluation environment (`matches`): @bufbuild/cel compiles the pattern on
 * every call; here each distinct pattern is compiled once (an LRU of 256), a pattern whose
 * {@link regexSize} is over `maxRegexSize` is refused, a compile costs 16 + 8 x its size in
 * steps, and a match 1 step per 16 (characters of the text x size of the pattern).
 */
export const cachedRe2 = {
  compile(pattern: string): { test(text: string): boolean } {
    // Once tripped, nothing more is compiled or matched.
    throwIfTripped();
    let entry = regexCache.get(pattern);
    if (entry) {
      regexCache.delete(pattern);
    } else {
      const size = regexSize(pattern);
      if (size > CEL_LIMITS.maxRegexSize)
        trip(
          `the regular expression's estimated size ${size} is over the limit of ${CEL_LIMITS.maxRegexSize}`,
        );
      charge(16 + size * 8);
      const re = RE2JS.compile(pattern);
      entry = {
        re,
        size,
        test(text: string): boolean {
          // Linear in the text, with the program's size as the factor (NFA simulation).
          charge((text.length * size) >>> 4);
          return re.test(text);
        },
      };
      if (regexCache.size >= REGEX_CACHE_MAX) regexCache.delete(regexCache.keys().next().value!);
    }
    regexCache.set(pattern, entry);
    return entry;
  },
};
