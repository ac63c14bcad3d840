/**
 * PII guard for agent prompts and outputs. Pure: detection by pattern plus checksum (phone numbers
 * by libphonenumber-js), no I/O.
 *
 * Kinds detected:
 * - `email`: RFC 5322-ish `local@domain.tld`;
 * - `phone`: numbers that libphonenumber-js (full metadata) finds and judges valid, international
 *   ones of any country (`+33 6 12 34 56 78`, `+1 (415) 555-0132`) and national ones of
 *   {@link PHONE_COUNTRIES} (US `(415) 555-0132`, UK `020 7946 0958`, FR `06 12 34 56 78`, DE
 *   `030 1234567`), written as phone numbers are (international, trunk prefix 0, or US
 *   grouping), never a date or an identifier that happens to be valid somewhere (`2024/0042`).
 *   Only runs of digits and separators that could hold one are handed to libphonenumber-js, so
 *   prose, amounts and years cost nothing;
 * - `card`: 13–19 digits, optionally grouped by spaces or dashes, that pass the Luhn check;
 * - `iban`: country code, 2 check digits, 11–30 alphanumerics (optionally grouped by 4), that pass
 *   the ISO 13616 mod-97 check;
 * - `national_id`: US SSN (`123-45-6789`, dashed form only, excluding 000/666/9xx areas), UK NINO
 *   (`AB 12 34 56 C`, prefix rules of HMRC), FR NIR/INSEE (sex 1|2, year, month 01–12 or 20+,
 *   department incl. 2A/2B, commune, order, optional 2-digit key which, when present, must match
 *   `97 - n mod 97`). Shapes only: issued numbers are not looked up.
 *
 * Detection runs in that order over text with earlier matches masked, so a card number is never
 * also reported as a phone number.
 */
import { findPhoneNumbersInText, type CountryCode } from "libphonenumber-js/max";
import type { PiiPolicy } from "@/server/domain/agent/ports";

export type PiiKind = "email" | "phone" | "card" | "iban" | "national_id";

export interface PiiMatch {
  kind: PiiKind;
  start: number;
  end: number;
  value: string;
}

/** Counts per kind: what is logged and stored. Values never leave this module's callers. */
export type PiiCounts = Partial<Record<PiiKind, number>>;

export const PII_KINDS: readonly PiiKind[] = ["email", "iban", "card", "national_id", "phone"];

const digitsOf = (s: string) => s.replace(/\D/g, "");

/** Luhn (mod 10) check over the digits of `s`. */
export function luhnValid(s: string): boolean {
  const d = digitsOf(s);
  if (d.length < 12) return false;
  let sum = 0;
  for (let i = 0; i < d.length; i++) {
    let n = d.charCodeAt(d.length - 1 - i) - 48;
    if (i % 2 === 1) {
      n *= 2;
      if (n > 9) n -= 9;
    }
    sum += n;
  }
  return sum % 10 === 0;
}

/** ISO 13616 IBAN check: move the first 4 characters to the end, letters to 10..35, mod 97 = 1. */
export function ibanValid(s: string): boolean {
  const iban = s.replace(/[\s-]/g, "").toUpperCase();
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(iban)) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let rem = 0;
  for (const ch of rearranged) {
    const v = ch >= "A" ? String(ch.charCodeAt(0) - 55) : ch;
    for (const digit of v) rem = (rem * 10 + (digit.charCodeAt(0) - 48)) % 97;
  }
  return rem === 1;
}

/** FR NIR: when the key is present it must be 97 - (number mod 97); Corsica 2A/2B count as 19/18. */
export function nirKeyValid(s: string): boolean {
  const compact = s.replace(/\s/g, "").toUpperCase();
  if (compact.length !== 15) return true;
  const body = compact.slice(0, 13).replace("2A", "19").replace("2B", "18");
  const key = Number(compact.slice(13));
  return 97 - Number(BigInt(body) % 97n) === key;
}

interface Detector {
  kind: PiiKind;
  /** Finds candidates in `masked` (earlier kinds' matches blanked out), as `[start, end)` ranges. */
  find(masked: string): Iterable<{ start: number; end: number }>;
  valid?: (s: string) => boolean;
}

/** A detector by regular expression. */
const byPattern = (kind: PiiKind, re: RegExp, valid?: (s: string) => boolean): Detector => ({
  kind,
  valid,
  *find(masked) {
    for (const m of masked.matchAll(re)) yield { start: m.index, end: m.index + m[0].length };
  },
});

/** Countries whose national formats (no `+` prefix) are recognised; international ones always are. */
export const PHONE_COUNTRIES: readonly CountryCode[] = ["US", "GB", "FR", "DE"];

/** Runs of digits and phone separators, optionally opened by `+` or `(`: where phones can be. */
const PHONE_RUN = /[+(]?\d(?:[\d ().\-/\u00a0]*[\d)])?/g;
/** Where a phone-shaped number can start inside a run (see {@link phoneShaped}): a cheap gate. */
const PHONE_START = /\+\d|(?<!\d)\(?0\d|\(\d{3}\)|\d{3}[-. ]\d{3}[-. ]\d{4}/;

/** US grouping: `(415) 555-0132`, `415-555-0132`, `415.555.0132`, `415 555 0132`, `1-415-…`. */
const US_SHAPE = /^(?:1[-. ]?)?(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}$/;

/**
 * Whether a valid number is written as people write phone numbers, not as an identifier that
 * happens to be valid in some numbering plan (`2024/0042`, `4500012345`, a bare `987654321`):
 * international (`+…`), national with the trunk prefix 0 (UK, FR, DE; also `00` dialling
 * out), or US grouping. Dates never are.
 */
function phoneShaped(text: string): boolean {
  if (DATE.test(text)) return false;
  return text.startsWith("+") || /^\(?0/.test(text) || US_SHAPE.test(text);
}

/** Calendar dates (`2024-01-15`, `05.03.2024`, `15/01/2024`): valid numbers in some plans. */
const DATE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;

type Range = { start: number; end: number };

/** `taken` plus each of `found` (both sorted by start) that overlaps none of `taken`, sorted. */
function mergeFree(taken: Range[], found: Range[]): Range[] {
  const out: Range[] = [];
  let i = 0;
  for (const f of found) {
    while (i < taken.length && taken[i]!.end <= f.start) out.push(taken[i++]!);
    if (i < taken.length && taken[i]!.start < f.end) continue;
    if (out.length && out[out.length - 1]!.end > f.start) continue;
    out.push(f);
  }
  while (i < taken.length) out.push(taken[i++]!);
  return out;
}

/**
 * Phone numbers in `masked`, found by libphonenumber-js with each of {@link PHONE_COUNTRIES} as
 * the default country (international numbers are found by every pass), earlier passes first.
 * It looks only at runs of digits and separators with 7 digits or more that are not dates (plus
 * one character either side, which it checks), so prose, amounts and years cost nothing and two
 * numbers separated by a comma are never read as one.
 */
const digitCount = (s: string) => s.replace(/\D/g, "").length;

function findPhones(masked: string): Range[] {
  const out: Range[] = [];
  for (const run of masked.matchAll(PHONE_RUN)) {
    const runDigits = digitCount(run[0]);
    if (runDigits < 7 || !PHONE_START.test(run[0])) continue;
    const from = Math.max(0, run.index - 1);
    const window = masked.slice(from, run.index + run[0].length + 1);
    let taken: Range[] = [];
    for (const country of PHONE_COUNTRIES) {
      const found = findPhoneNumbersInText(window, { defaultCountry: country })
        .map((f) => ({ start: from + f.startsAt, end: from + f.endsAt }))
        .filter((r) => phoneShaped(masked.slice(r.start, r.end)));
      taken = mergeFree(taken, found);
      // Every digit of the run is in a number already: the other plans cannot add one.
      const covered = taken.reduce((n, r) => n + digitCount(masked.slice(r.start, r.end)), 0);
      if (covered >= runDigits) break;
    }
    out.push(...taken);
  }
  return out;
}

const DETECTORS: Detector[] = [
  byPattern("email", /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g),
  byPattern("iban", /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g, ibanValid),
  byPattern("card", /\b\d(?:[ -]?\d){12,18}\b/g, luhnValid),
  byPattern("national_id", /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g),
  byPattern(
    "national_id",
    /\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g,
  ),
  byPattern(
    "national_id",
    /\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3}(?: ?\d{2})?\b/g,
    nirKeyValid,
  ),
  { kind: "phone", find: findPhones },
];

/** `text` with each range (sorted, non-overlapping) blanked out with NULs, in one pass. */
function maskRanges(text: string, ranges: Range[]): string {
  let out = "";
  let at = 0;
  for (const r of ranges) {
    out += text.slice(at, r.start) + "\u0000".repeat(r.end - r.start);
    at = r.end;
  }
  return out + text.slice(at);
}

/** Finds PII in `text`, non-overlapping, in text order. */
export function detectPii(text: string): PiiMatch[] {
  const matches: PiiMatch[] = [];
  let masked = text;
  for (const d of DETECTORS) {
    const before = matches.length;
    for (const { start, end } of d.find(masked)) {
      const value = text.slice(start, end);
      if (d.valid && !d.valid(value)) continue;
      matches.push({ kind: d.kind, start, end, value });
    }
    // Mask what this detector found so later (looser) detectors cannot claim it again.
    if (matches.length > before) masked = maskRanges(masked, matches.slice(before));
  }
  return matches.sort((a, b) => a.start - b.start);
}

export function countPii(matches: PiiMatch[]): PiiCounts {
  const counts: PiiCounts = {};
  for (const m of matches) counts[m.kind] = (counts[m.kind] ?? 0) + 1;
  return counts;
}

/** Replaces each match with a typed placeholder such as `[EMAIL_1]` (numbered per kind). */
export function redactPii(text: string, matches = detectPii(text)): string {
  let out = "";
  let at = 0;
  const seen = new Map<string, string>();
  const counters: PiiCounts = {};
  for (const m of matches) {
    out += text.slice(at, m.start);
    let label = seen.get(`${m.kind}:${m.value}`);
    if (!label) {
      counters[m.kind] = (counters[m.kind] ?? 0) + 1;
      label = `[${m.kind.toUpperCase()}_${counters[m.kind]}]`;
      seen.set(`${m.kind}:${m.value}`, label);
    }
    out += label;
    at = m.end;
  }
  return out + text.slice(at);
}

/** One PII decision, as stored by the engine and logged: kinds and counts, never the values. */
export interface PiiDecision {
  type: "pii";
  /** `prompt` (what would be sent), `output` (what the model returned) or `tool` (a tool result). */
  where: "prompt" | "output" | "tool";
  policy: PiiPolicy;
  action: "none" | "redacted" | "blocked" | "allowed";
  counts: PiiCounts;
}

/**
 * Applies `policy` to every string inside `value` (objects and arrays walked recursively).
 * `block` does not throw: the caller sees `action: "blocked"` and decides how to fail.
 */
export function guardPii<T>(
  value: T,
  policy: PiiPolicy,
  where: PiiDecision["where"],
): { value: T; decision: PiiDecision } {
  const all: PiiMatch[] = [];
  const walk = (v: unknown): unknown => {
    if (typeof v === "string") {
      const found = detectPii(v);
      all.push(...found);
      return policy === "redact" && found.length ? redactPii(v, found) : v;
    }
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === "object") {
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    }
    return v;
  };
  const out = walk(value) as T;
  const counts = countPii(all);
  const action =
    all.length === 0
      ? "none"
      : policy === "redact"
        ? "redacted"
        : policy === "block"
          ? "blocked"
          : "allowed";
  return {
    value: policy === "redact" ? out : value,
    decision: { type: "pii", where, policy, action, counts },
  };
}
