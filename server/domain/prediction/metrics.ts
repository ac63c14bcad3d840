/**
 * Scoring a probabilistic classifier (pure): ROC-AUC, PR-AUC (average precision) and the Brier
 * score. `labels[i]` is true when run i failed (the positive class), `scores[i]` its predicted
 * probability of failure. A metric that is undefined for the sample (no positives, or no
 * negatives) is null, never a made-up number.
 */

function check(scores: readonly number[], labels: readonly boolean[]) {
  if (scores.length !== labels.length) throw new RangeError("scores and labels differ in length");
}

/**
 * ROC-AUC: the probability that a random failed run scores above a random successful one (ties
 * count half), by ranking (Mann–Whitney U with mid-ranks), O(n log n).
 *
 * @example rocAuc([0.1, 0.4, 0.35, 0.8], [false, false, true, true]) // 0.75
 */
export function rocAuc(scores: readonly number[], labels: readonly boolean[]): number | null {
  check(scores, labels);
  const pos = labels.filter(Boolean).length;
  const neg = labels.length - pos;
  if (pos === 0 || neg === 0) return null;
  const order = scores.map((s, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let rankSum = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    const midRank = (i + j) / 2 + 1; // ranks are 1-based
    for (let k = i; k <= j; k++) if (labels[order[k]!]) rankSum += midRank;
    i = j + 1;
  }
  return (rankSum - (pos * (pos + 1)) / 2) / (pos * neg);
}

/**
 * PR-AUC as average precision: the mean, over the failed runs, of the precision at the threshold
 * that first includes each (tied scores enter together). A random ranking scores about the share
 * of failures.
 *
 * @example prAuc([0.9, 0.8, 0.7, 0.6], [true, false, true, false]) // (1 + 2/3) / 2
 */
export function prAuc(scores: readonly number[], labels: readonly boolean[]): number | null {
  check(scores, labels);
  const pos = labels.filter(Boolean).length;
  if (pos === 0) return null;
  const order = scores.map((s, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let tp = 0;
  let seen = 0;
  let ap = 0;
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && scores[order[j + 1]!] === scores[order[i]!]) j++;
    let groupTp = 0;
    for (let k = i; k <= j; k++) if (labels[order[k]!]) groupTp++;
    tp += groupTp;
    seen += j - i + 1;
    ap += (groupTp / pos) * (tp / seen);
    i = j + 1;
  }
  return ap;
}

/**
 * The Brier score: the mean squared difference between the predicted probability and the
 * outcome (0 perfect, 0.25 for a constant 0.5).
 *
 * @example brier([1, 0, 0.5], [true, false, true]) // 0.25 / 3
 */
export function brier(scores: readonly number[], labels: readonly boolean[]): number | null {
  check(scores, labels);
  if (!scores.length) return null;
  let sum = 0;
  for (let i = 0; i < scores.length; i++) sum += (scores[i]! - (labels[i] ? 1 : 0)) ** 2;
  return sum / scores.length;
}
