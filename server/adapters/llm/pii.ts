/**
 * PII guard for agent prompts and outputs. Pure: detection by pattern plus checksum, no I/O.
 *
 * Kinds detected:
 * - `email`: RFC 5322-ish `local@domain.tld`;
 * - `phone`: E.164 (`+` then 8–15 digits, spaces, dots, dashes or parentheses between groups) and
 *   national formats: US `(415) 555-0132` / `415-555-0132`, FR `06 12 34 56 78`, UK
 *   `020 7946 0958` / `07700 900123`, DE `030 1234567`-style (leading 0, 9–11 digits, separators);
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

export type PiiKind = "email" | "phone" | "card" | "iban" | "national_id";
export type PiiPolicy = "redact" | "block" | "allow";

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
  re: RegExp;
  valid?: (s: string) => boolean;
}

const DETECTORS: Detector[] = [
  { kind: "email", re: /[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g },
  {
    kind: "iban",
    re: /\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b/g,
    valid: ibanValid,
  },
  { kind: "card", re: /\b\d(?:[ -]?\d){12,18}\b/g, valid: luhnValid },
  { kind: "national_id", re: /\b(?!000|666|9\d\d)\d{3}-(?!00)\d{2}-(?!0000)\d{4}\b/g },
  {
    kind: "national_id",
    re: /\b(?!BG|GB|KN|NK|NT|TN|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g,
  },
  {
    kind: "national_id",
    re: /\b[12] ?\d{2} ?(?:0[1-9]|1[0-2]|[2-9]\d) ?(?:\d{2}|2[AB]) ?\d{3} ?\d{3}(?: ?\d{2})?\b/g,
    valid: nirKeyValid,
  },
  {
    kind: "phone",
    // E.164 with optional grouping: +33 6 12 34 56 78, +1 (415) 555-0132, +447700900123.
    re: /(?<![\w+])\+[1-9](?:[ .-]?\(?\d\)?){7,14}(?!\w)/g,
    valid: (s) => {
      const n = digitsOf(s).length;
      return n >= 8 && n <= 15;
    },
  },
  {
    kind: "phone",
    // US: (415) 555-0132, 415-555-0132, 415.555.0132
    re: /(?<!\w)(?:\(\d{3}\) ?|\d{3}[-.])\d{3}[-.]\d{4}(?!\w)/g,
  },
  {
    kind: "phone",
    // Leading-zero national numbers with separators: FR 06 12 34 56 78, UK 020 7946 0958.
    re: /(?<![\w+])0[1-9]\d{0,3}(?:[ .-]\d{2,4}){1,4}(?!\w)/g,
    valid: (s) => {
      const n = digitsOf(s).length;
      return n >= 9 && n <= 11;
    },
  },
  {
    kind: "phone",
    // Leading-zero national numbers written as one block: 0612345678, 07700900123.
    re: /(?<![\w+])0[1-9]\d{8,9}(?!\w)/g,
  },
];

/** Finds PII in `text`, non-overlapping, in text order. */
export function detectPii(text: string): PiiMatch[] {
  const matches: PiiMatch[] = [];
  let masked = text;
  for (const d of DETECTORS) {
    for (const m of masked.matchAll(d.re)) {
      const value = text.slice(m.index, m.index + m[0].length);
      if (d.valid && !d.valid(value)) continue;
      matches.push({ kind: d.kind, start: m.index, end: m.index + m[0].length, value });
    }
    // Mask what this detector found so later (looser) detectors cannot claim it again.
    for (const m of matches) {
      masked = masked.slice(0, m.start) + "\u0000".repeat(m.end - m.start) + masked.slice(m.end);
    }
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
