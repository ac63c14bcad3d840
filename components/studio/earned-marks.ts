/**
 * Earned trust on the studio's canvas (issue 17): each step's score earned from run history
 * (`trust.list`, block versions), matched to the step's resolved block, with its interval and n,
 * or "not enough data" (n below the model's minimum: the block's baseline stands in), and the
 * hover text that explains it. The flow's score is its lowest step's. Pure: the hook
 * (`use-earned-trust.ts`) feeds it the query's answer.
 */
import type { BlockRegistry } from "@/dsl";

/** A block's entry as `trust.list` answers it (the fields used here). */
export interface EarnedEntry {
  key: string;
  score: number;
  posterior: number;
  interval: { low: number; high: number; mass: number };
  n: number;
  enoughData: boolean;
  baseline: number;
  why: string;
}

/** The model's parameters (`trust.model`), for the formula on hover. */
export interface TrustModel {
  halfLifeMs: number;
  priorStrength: number;
  minN: number;
  credibility: number;
  weights: Record<string, number>;
}

/** A step's earned trust, as its node shows it. */
export interface EarnedMark {
  /** The block version whose history it is, or null when the block has none. */
  key: string | null;
  enoughData: boolean;
  /** The score decisions use: earned with enough data, else the baseline. */
  score: number;
  /** Earned-history figures (null without any history). */
  interval: { low: number; high: number; mass: number } | null;
  n: number;
  /** The hover text: the figures and how the score is formed. */
  title: string;
}

const fmt = (x: number) => x.toFixed(2);

/** How a score is formed, in words (the model's parameters). */
export function formulaText(m: TrustModel): string {
  const days = Math.round((m.halfLifeMs / 86_400_000) * 10) / 10;
  const weights = Object.entries(m.weights)
    .map(([k, w]) => `${k}×${w}`)
    .join(", ");
  return (
    `Score = α / (α + β): a Beta posterior of success with prior Beta(${m.priorStrength}·b, ${m.priorStrength}·(1−b)), ` +
    `b the block's baseline; α adds successes, β failures and weighted signals (${weights}); ` +
    `counts halve every ${days} days. Below n = ${m.minN} the baseline stands in.`
  );
}

/** The entry of a block version, else the newest-listed version of the block with enough data. */
function entryFor(
  entries: readonly EarnedEntry[],
  id: string,
  version: string,
): EarnedEntry | undefined {
  const key = `${id}@${version}`;
  return (
    entries.find((e) => e.key === key) ??
    entries.find((e) => e.enoughData && e.key.slice(0, e.key.lastIndexOf("@")) === id)
  );
}

/**
 * The earned mark of each step (by step id) of a flow whose steps use `uses`.
 *
 * @example
 * earnedMarks(registry, [{ stepId: "look", uses: "crm.contact.get@1" }], entries, model)
 * // { look: { key: "crm.contact.get@1.2.0", enoughData: true, score: 0.41, n: 57, ... } }
 */
export function earnedMarks(
  registry: BlockRegistry,
  steps: ReadonlyArray<{ stepId: string; uses: string }>,
  entries: readonly EarnedEntry[],
  model: TrustModel,
): Record<string, EarnedMark> {
  const formula = formulaText(model);
  const out: Record<string, EarnedMark> = {};
  for (const s of steps) {
    const r = registry.resolve(s.uses);
    if (!r.ok) continue;
    const e = entryFor(entries, r.block.id, r.block.version);
    const baseline = r.block.baselineTrust;
    if (!e) {
      out[s.stepId] = {
        key: null,
        enoughData: false,
        score: baseline,
        interval: null,
        n: 0,
        title: `Not enough data: no finished runs of ${r.block.id} yet; the baseline ${fmt(baseline)} stands in. ${formula}`,
      };
      continue;
    }
    const figures = `${Math.round(e.interval.mass * 100)}% interval ${fmt(e.interval.low)}–${fmt(e.interval.high)}, n = ${e.n.toFixed(1)}`;
    out[s.stepId] = {
      key: e.key,
      enoughData: e.enoughData,
      score: e.enoughData ? e.score : baseline,
      interval: e.interval,
      n: e.n,
      title: e.enoughData
        ? `Earned trust ${fmt(e.score)} (${e.key}): ${figures}. ${formula}`
        : `Not enough data: n = ${e.n.toFixed(1)} of ${model.minN} (posterior ${fmt(e.posterior)}, ${figures}); the baseline ${fmt(baseline)} stands in. ${formula}`,
    };
  }
  return out;
}

/** The flow's score: its lowest step's mark, with that step's id; null without marks. */
export function flowMark(
  marks: Record<string, EarnedMark>,
): (EarnedMark & { stepId: string }) | null {
  let low: (EarnedMark & { stepId: string }) | null = null;
  for (const [stepId, m] of Object.entries(marks))
    if (!low || m.score < low.score) low = { ...m, stepId };
  return low;
}
