/**
 * Grouping (issue 18, item 1), pure and incremental: a failure joins the group whose fingerprint
 * shares its exact parts (flow, step, block, operation, error class and code, HTTP status) and
 * whose message template is within {@link SIMILARITY_MIN} by the project's one edit distance
 * (`editDistance`, the registry's Levenshtein); else it starts a group. A person's merge or split
 * is a stored rule the next failures obey:
 *
 * - **merge** `{ from, into }`: failures that would join (or start) the group of fingerprint
 *   `from` join the group `into` instead.
 * - **split** `{ strictKey, template }`: failures with that exact template never join a group by
 *   similarity: they group alone (exact template only), and others never join them by it.
 *
 * Every assignment says why, in words; the rules' version ({@link GROUPING_RULES_VERSION}) is
 * stored with the group.
 */
import { editDistance } from "@/dsl";
import { GROUPING_RULES_VERSION, MAX_TEMPLATE_COMPARE, type Fingerprint } from "./fingerprint";

/** Lowest template similarity (1 − distance / longer length) at which a failure joins a group. */
export const SIMILARITY_MIN = 0.8;

/** A group as the grouping sees it. */
export interface GroupHead {
  id: string;
  strictKey: string;
  template: string;
  /** The group's templates split off by a person (exact-template grouping only). */
  split: boolean;
}

/** A person's merge or split, as stored. */
export type GroupingRule =
  | { id: string; kind: "merge"; fromStrictKey: string; fromTemplate: string; intoGroupId: string }
  | { id: string; kind: "split"; strictKey: string; template: string };

/** Where a failure goes, and why. */
export interface Assignment {
  /** The group it joins; undefined: a new group. */
  groupId?: string;
  similarity: number;
  why: string[];
  split: boolean;
}

/**
 * Template similarity in [0, 1] (1: equal), by edit distance over at most
 * {@link MAX_TEMPLATE_COMPARE} characters of each.
 */
export function templateSimilarity(a: string, b: string): number {
  const x = a.slice(0, MAX_TEMPLATE_COMPARE);
  const y = b.slice(0, MAX_TEMPLATE_COMPARE);
  const longer = Math.max(x.length, y.length);
  if (longer === 0) return 1;
  return 1 - editDistance(x, y) / longer;
}

/** The shared exact parts of a fingerprint, in words. */
export function sharedPartsWhy(fp: Fingerprint): string {
  const status = fp.httpStatus !== null ? `, HTTP ${fp.httpStatus}` : "";
  const code = fp.code ? ` (${fp.code})` : "";
  const op = fp.operation !== fp.blockId ? `, operation ${fp.operation}` : "";
  return `Same flow, step "${fp.stepId}" and block ${fp.blockId}${op}; same error ${fp.errorName}${code}${status}.`;
}

const pct = (x: number) => `${Math.round(x * 100)}%`;

/**
 * Assigns one fingerprint to a group among `heads` (the groups with its strict key, and the
 * targets of merge rules), obeying `rules` (newest first: the first that applies decides).
 *
 * @example
 * const a = assignGroup(fp, heads, rules);
 * if (!a.groupId) createGroup(fp, a.why);
 */
export function assignGroup(
  fp: Fingerprint,
  heads: readonly GroupHead[],
  rules: readonly GroupingRule[],
): Assignment {
  const shared = sharedPartsWhy(fp);
  const exact = heads.find((h) => h.strictKey === fp.strictKey && h.template === fp.template);
  // A person's rules, newest first: the first that applies decides.
  for (const r of rules) {
    if (r.kind === "split") {
      if (r.strictKey !== fp.strictKey || r.template !== fp.template) continue;
      const own = heads.find(
        (h) => h.split && h.strictKey === fp.strictKey && h.template === fp.template,
      );
      const why = [
        shared,
        `A person split this message template into a group of its own (split rule ${r.id.slice(0, 8)}).`,
      ];
      return own
        ? { groupId: own.id, similarity: 1, split: true, why }
        : { similarity: 1, split: true, why };
    }
    if (r.fromStrictKey !== fp.strictKey) continue;
    const sim = templateSimilarity(fp.template, r.fromTemplate);
    if (sim < SIMILARITY_MIN || !heads.some((h) => h.id === r.intoGroupId)) continue;
    return {
      groupId: r.intoGroupId,
      similarity: sim,
      split: false,
      why: [
        shared,
        `A person merged failures like this into the group (merge rule ${r.id.slice(0, 8)}); its template matches the merged one at ${pct(sim)}.`,
      ],
    };
  }
  const split = false;
  if (exact) {
    return {
      groupId: exact.id,
      similarity: 1,
      split,
      why: [shared, "Its message template is the group's, word for word."],
    };
  }
  let best: { head: GroupHead; sim: number } | undefined;
  for (const h of heads) {
    if (h.strictKey !== fp.strictKey || h.split) continue;
    const sim = templateSimilarity(fp.template, h.template);
    if (sim >= SIMILARITY_MIN && (!best || sim > best.sim)) best = { head: h, sim };
  }
  if (best) {
    return {
      groupId: best.head.id,
      similarity: best.sim,
      split,
      why: [
        shared,
        `Its message template matches the group's at ${pct(best.sim)} (edit distance; ${pct(SIMILARITY_MIN)} needed, rules v${GROUPING_RULES_VERSION}).`,
      ],
    };
  }
  return {
    similarity: 1,
    split,
    why: [shared, "The first failure with this message template."],
  };
}

/** A group in memory (the corpus test and the consumer's batch). */
export interface MemoryGroup extends GroupHead {
  members: Fingerprint[];
}

/**
 * Groups fingerprints in memory, in order (what the consumer does batch by batch against the
 * stored groups).
 *
 * @example
 * const groups = groupAll(records.map(fingerprint), []);
 */
export function groupAll(
  fps: readonly Fingerprint[],
  rules: readonly GroupingRule[],
  newId: (n: number) => string = (n) => `g${n}`,
): MemoryGroup[] {
  const groups: MemoryGroup[] = [];
  const byKey = new Map<string, MemoryGroup[]>();
  const byId = new Map<string, MemoryGroup>();
  for (const fp of fps) {
    const heads: GroupHead[] = [...(byKey.get(fp.strictKey) ?? [])];
    for (const r of rules) {
      if (r.kind === "merge" && r.fromStrictKey === fp.strictKey) {
        const into = byId.get(r.intoGroupId);
        if (into) heads.push(into);
      }
    }
    const a = assignGroup(fp, heads, rules);
    let g = a.groupId ? byId.get(a.groupId) : undefined;
    if (!g) {
      g = {
        id: newId(groups.length),
        strictKey: fp.strictKey,
        template: fp.template,
        split: a.split,
        members: [],
      };
      groups.push(g);
      byId.set(g.id, g);
      byKey.set(fp.strictKey, [...(byKey.get(fp.strictKey) ?? []), g]);
    }
    g.members.push(fp);
  }
  return groups;
}
