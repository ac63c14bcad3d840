/** "Did you mean" hints: the closest known name by edit distance. */
import { editDistance } from "../registry/registry";

/** Levenshtein distance (small strings: keys, ids): the registry's, one implementation. */
export { editDistance };

/** The closest candidate within a third of the name's length, for "did you mean" hints. */
export function suggest(
  name: string,
  candidates: Iterable<string>,
  limit = 500,
): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  let n = 0;
  for (const c of candidates) {
    if (++n > limit) break;
    if (Math.abs(c.length - name.length) > bestD) continue;
    const d = editDistance(name, c);
    if (d < bestD) {
      bestD = d;
      best = c;
    }
  }
  return bestD <= Math.max(2, Math.ceil(name.length / 3)) ? best : undefined;
}
