/** Production implementations of the engine's time, id and randomness ports. */
import { randomUUID } from "node:crypto";
import type { Clock, IdGen, Random } from "@/server/engine/ports";

/** The system clock; `sleep` is a timer cleared on abort. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      signal?.addEventListener("abort", () => {
        clearTimeout(t);
        resolve();
      });
    }),
};

/** Random UUIDs (v4). */
export const uuidIds: IdGen = { next: () => randomUUID() };

/** Math.random: jitter needs no cryptographic quality. */
export const mathRandom: Random = { next: () => Math.random() };
