import { ZxcvbnFactory } from "@zxcvbn-ts/core";
import { adjacencyGraphs, dictionary } from "@zxcvbn-ts/language-common";
import { AppError } from "../errors";

/**
 * The password policy for every password a person chooses (sign-up, password change): at least
 * `MIN_PASSWORD_LENGTH` characters (schemas.ts) and a zxcvbn score of at least 3 ("safely
 * unguessable: moderate protection from offline slow-hash scenario"), measured against the common
 * password lists of @zxcvbn-ts/language-common (breached-password and diceware lists), keyboard
 * patterns, repeats, sequences, dates, and the person's own email and name.
 * The demo accounts of the seed are created directly, not through this policy.
 */
export const MIN_PASSWORD_SCORE = 3;
/** zxcvbn's cost grows with length; characters beyond this add nothing to the verdict anyway. */
const MAX_ANALYSED_LENGTH = 64;

let factory: ZxcvbnFactory | undefined;
function zxcvbn() {
  factory ??= new ZxcvbnFactory({
    dictionary,
    graphs: adjacencyGraphs,
    maxLength: MAX_ANALYSED_LENGTH,
  });
  return factory;
}

/** zxcvbn's warning keys in plain words (no translation package is bundled). */
const WARNINGS: Record<string, string> = {
  straightRow: "Rows of keys on the keyboard are easy to guess.",
  keyPattern: "Short keyboard patterns are easy to guess.",
  simpleRepeat: 'Repeated characters like "aaa" are easy to guess.',
  extendedRepeat: 'Repeated patterns like "abcabcabc" are easy to guess.',
  sequences: 'Sequences like "abc" are easy to guess.',
  recentYears: "Recent years are easy to guess.",
  dates: "Dates are easy to guess.",
  topTen: "This is one of the most used passwords.",
  topHundred: "This is a very often used password.",
  common: "This is a commonly used password.",
  similarToCommon: "This is too similar to a commonly used password.",
  wordByItself: "A single word is easy to guess.",
  namesByThemselves: "Single names or surnames are easy to guess.",
  commonNames: "Common names and surnames are easy to guess.",
  userInputs: "The password must not contain your name or email.",
  pwned: "This password appeared in a data breach.",
};

export interface PasswordVerdict {
  ok: boolean;
  score: number;
  /** Why it is refused, in plain words; empty when accepted. */
  message: string;
}

/** Judges `password` for a person with these `userInputs` (email, name, its parts). */
export function judgePassword(password: string, userInputs: readonly string[]): PasswordVerdict {
  const inputs = userInputs.flatMap((s) => {
    const lower = s.toLowerCase();
    return [lower, ...lower.split(/[^a-z0-9]+/).filter((p) => p.length >= 3)];
  });
  // zxcvbn weighs a name inside a longer password lightly; the whole email name or full name
  // inside the password (ignoring case and punctuation) is refused outright.
  const squash = (t: string) => t.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
  const squashed = squash(password);
  const personal = userInputs
    .map((s) => squash(s.includes("@") ? s.slice(0, s.indexOf("@")) : s))
    .filter((s) => s.length >= 4);
  if (personal.some((s) => squashed.includes(s))) {
    return {
      ok: false,
      score: 0,
      message: `${WARNINGS.userInputs} Use a longer passphrase of several unrelated words.`,
    };
  }
  const result = zxcvbn().check(password, inputs);
  if (result.score >= MIN_PASSWORD_SCORE) return { ok: true, score: result.score, message: "" };
  const warning = result.feedback.warning ? WARNINGS[result.feedback.warning] : undefined;
  return {
    ok: false,
    score: result.score,
    message: `${warning ?? "This password is easy to guess."} Use a longer passphrase of several unrelated words.`,
  };
}

/** Throws INVALID_INPUT (field `field`) when the password does not pass the policy. */
export function assertPasswordPolicy(
  password: string,
  userInputs: readonly string[],
  field = "password",
) {
  const verdict = judgePassword(password, userInputs);
  if (!verdict.ok) {
    throw new AppError("INVALID_INPUT", { message: verdict.message, details: { field } });
  }
}
