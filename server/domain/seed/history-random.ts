/**
 * The demo history's randomness: one seeded stream (mulberry32, as the mock services and the
 * engine's test fakes use), the distributions the plan needs, and ids derived from the seed, so
 * the same seed and end time give the same history, row for row.
 */
import { createHash } from "node:crypto";

/** A seeded stream of numbers in [0, 1), with the plan's distributions. */
export class HistoryRandom {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** Picks by weight: `[["EUR", 5], ["USD", 3]]`. */
  weighted<T>(items: ReadonlyArray<readonly [T, number]>): T {
    const total = items.reduce((s, [, w]) => s + w, 0);
    let r = this.next() * total;
    for (const [v, w] of items) {
      r -= w;
      if (r < 0) return v;
    }
    return items[items.length - 1]![0];
  }

  /** A standard normal deviate (Box–Muller). */
  normal(): number {
    const u = Math.max(this.next(), 1e-12);
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * this.next());
  }

  /** A log-normal value with this median and spread (sigma of the logarithm). */
  logNormal(median: number, sigma: number): number {
    return median * Math.exp(sigma * this.normal());
  }
}

/** A UUID (version 4 layout) derived from the seed and a name: the same inputs, the same id. */
export function seededUuid(seed: number, name: string): string {
  const h = createHash("sha256").update(`${seed}:${name}`).digest("hex");
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** A 32-bit seed from a name (FNV-1a): one independent stream per name. */
export function streamSeed(name: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * A UUID of version 7 layout (its first 48 bits the epoch milliseconds `atMs`, the rest derived
 * from the seed and a name): ids of runs in time order sort in that order, so the consumers of
 * finished runs, which read a batch's runs by `(reconciledAt, id)`, fold the history in the
 * order it happened.
 */
export function timeOrderedUuid(seed: number, name: string, atMs: number): string {
  const h = createHash("sha256").update(`${seed}:${name}`).digest("hex");
  const t = Math.max(0, Math.floor(atMs)).toString(16).padStart(12, "0").slice(-12);
  const variant = ((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${t.slice(0, 8)}-${t.slice(8, 12)}-7${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
