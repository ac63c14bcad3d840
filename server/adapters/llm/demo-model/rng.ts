/**
 * A small seeded pseudo-random generator (sfc32) for the demo model: the same seed gives the same
 * sequence on every machine, so the same request always gets the same answer.
 */
import { createHash } from "node:crypto";

export interface Rng {
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [lo, hi] (both included); `lo` when hi < lo. */
  int(lo: number, hi: number): number;
  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T;
  /** A derived generator for an independent stream (e.g. one retry of an answer). */
  fork(label: string): Rng;
}

/** SHA-256 of `text` as hex. */
export function sha256Hex(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

/** A generator seeded with the first 128 bits of SHA-256(`seed`). */
export function seededRng(seed: string): Rng {
  const h = sha256Hex(seed);
  let a = parseInt(h.slice(0, 8), 16) >>> 0;
  let b = parseInt(h.slice(8, 16), 16) >>> 0;
  let c = parseInt(h.slice(16, 24), 16) >>> 0;
  let d = parseInt(h.slice(24, 32), 16) >>> 0;
  const next = () => {
    // sfc32 (public domain, Chris Doty-Humphrey): 32-bit state words, period ~2^128.
    a >>>= 0;
    b >>>= 0;
    c >>>= 0;
    d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return (t >>> 0) / 4294967296;
  };
  // Warm up: the first outputs of sfc32 are correlated with the seed words.
  for (let i = 0; i < 12; i++) next();
  const rng: Rng = {
    next,
    int(lo, hi) {
      if (!(hi > lo)) return lo;
      return lo + Math.floor(next() * (hi - lo + 1));
    },
    pick(items) {
      return items[Math.floor(next() * items.length)]!;
    },
    fork(label) {
      return seededRng(`${h}:${label}`);
    },
  };
  return rng;
}
