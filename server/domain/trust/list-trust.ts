/**
 * Reading earned trust: the scores of a workspace's entities of one kind, computed from their
 * stored decayed counts at read time (one indexed read of `TrustCount`, never the history), and
 * the compiler's live trust provider built from them.
 *
 * A flow version's score is its lowest step's (its blocks' scores, as the compiler computes a
 * flow's trust), so an edit or a fix does not reset it; its own counts (run outcomes, dead
 * letters, findings) are shown beside it as `runs`.
 *
 * Findings in effect (anomalies not marked expected, guardian groups: `adjustments.ts`) lower
 * the scores as bounded pseudo-failures; a flow's own findings weigh on each of its steps. The
 * compiler's provider below takes a block's findings too (a block's score, for any flow); the
 * run-start lookup takes the block's and the running flow's, as this page scores the flow.
 */
import type { TrustProvider } from "@/dsl";
import { AppError } from "../errors";
import type { Db, Tx } from "../types";
import {
  combine,
  readFindings,
  workflowOf,
  type EntityFindings,
  type FindingItem,
  type FindingsIndex,
} from "./adjustments";

type Reader = Pick<Db | Tx, "$queryRawUnsafe">;
import { serverRegistry } from "../workflow/compile-flow";
import {
  trustConfig,
  emptyCounts,
  flowScore,
  trustScore,
  type TrustConfig,
  type TrustCounts,
  type TrustKind,
  type TrustScore,
} from "./score";

/** Entities listed per kind, at most. */
export const MAX_TRUST_ROWS = 500;

interface CountRow extends Omit<TrustCounts, "at"> {
  kind: string;
  key: string;
  label: string;
  baseline: number;
  meta: unknown;
  attempts: number;
  at: Date;
}

/** One entity's earned trust, as the API shows it. */
export interface TrustEntry extends TrustScore {
  kind: TrustKind;
  key: string;
  label: string;
  /** Observations folded in (undecayed). */
  observations: number;
  /** A flow's lowest step (its score's source); absent for other kinds. */
  lowest?: { key: string; score: number; enoughData: boolean };
  /** A flow's own runs: their decayed outcomes (absent for other kinds). */
  runs?: { n: number; posterior: number };
  /** How the score is formed, in words (for a hover). */
  why: string;
  /** The findings that lower it (at most five named). */
  findings: FindingItem[];
}

async function readRows(db: Reader, workspaceId: string, kinds: string[]): Promise<CountRow[]> {
  return db.$queryRawUnsafe<CountRow[]>(
    `SELECT "kind", "key", "label", "baseline", "meta", "successes", "failures", "slaMisses",
            "retries", "deadLetters", "breakerTrips", "policyViolations", "findings", "attempts", "at"
       FROM "TrustCount" WHERE "workspaceId" = $1::uuid AND "kind" = ANY($2::text[])
      ORDER BY "updatedAt" DESC LIMIT $3`,
    workspaceId,
    kinds,
    MAX_TRUST_ROWS * kinds.length,
  );
}

function countsOf(r: CountRow): TrustCounts {
  return {
    successes: Number(r.successes),
    failures: Number(r.failures),
    slaMisses: Number(r.slaMisses),
    retries: Number(r.retries),
    deadLetters: Number(r.deadLetters),
    breakerTrips: Number(r.breakerTrips),
    policyViolations: Number(r.policyViolations),
    findings: Number(r.findings),
    at: new Date(r.at).getTime(),
  };
}

function why(s: TrustScore, config: TrustConfig, findings?: EntityFindings): string {
  const days = Math.round((config.halfLifeMs / 86_400_000) * 10) / 10;
  const head = s.enoughData
    ? `posterior mean of Beta(α=${s.alpha.toFixed(1)}, β=${s.beta.toFixed(1)})`
    : `not enough data (n=${s.n} < ${config.minN}): the baseline ${s.baseline} stands in`;
  const text =
    `${head}; prior Beta(${config.priorStrength}·${s.baseline}, ${config.priorStrength}·(1−${s.baseline})), ` +
    `counts decay with a ${days}-day half-life; β adds failures and weighted signals ` +
    Object.entries(config.weights)
      .map(([k, w]) => `${k}×${w}`)
      .join(", ");
  if (!findings || !s.findingsPenalty) return text;
  const w = config.findingWeights;
  return (
    `${text}; findings add ${s.findingsPenalty} pseudo-failures (anomalies ${s.inputs.anomalies}×${w.anomalies}, ` +
    `guardian groups ${s.inputs.guardianGroups}×${w.guardianGroups}, regressions ${s.inputs.regressions}×${w.regressions}, ` +
    `at most ${config.findingsCap}): ${findings.items.map((i) => i.what).join("; ")}`
  );
}

function entry(
  r: CountRow,
  now: number,
  config: TrustConfig,
  findings?: EntityFindings,
): TrustEntry {
  const s = trustScore(countsOf(r), Number(r.baseline), now, config, findings);
  return {
    ...s,
    kind: r.kind as TrustKind,
    key: r.key,
    label: r.label,
    observations: Number(r.attempts),
    why: why(s, config, findings),
    findings: findings?.items ?? [],
  };
}

/**
 * The earned scores of a workspace's entities of `kind`, lowest first.
 *
 * @example
 * await listTrust(db, ws, "block", Date.now()); // [{ key: "crm.deal.update@2.0.0", score: 0.41, n: 57, ... }]
 */
export async function listTrust(
  db: Reader,
  workspaceId: string,
  kind: TrustKind,
  now: number,
  config: TrustConfig = trustConfig(),
): Promise<TrustEntry[]> {
  const [rows, findings] = await Promise.all([
    readRows(db, workspaceId, kind === "flow" ? ["flow", "block"] : [kind]),
    readFindings(db, workspaceId, now, config),
  ]);
  const own = rows.filter((r) => r.kind === kind).slice(0, MAX_TRUST_ROWS);
  if (kind !== "flow")
    return own.map((r) => entry(r, now, config, findings.of(kind, r.key))).sort(byScore);
  const blocks = new Map(rows.filter((r) => r.kind === "block").map((r) => [r.key, r]));
  return own
    .map((r) => {
      const flowFindings = findings.of("flow", workflowOf(r.key));
      const runs = entry(r, now, config, flowFindings);
      const steps = blockKeys(r.meta).map((k) => {
        const f = combine(findings.of("block", k), flowFindings);
        const row = blocks.get(k);
        if (row) return entry(row, now, config, f);
        const s = trustScore(emptyCounts(now), baselineOfKey(k) ?? runs.baseline, now, config, f);
        return { key: k, ...s, why: why(s, config, f), findings: f?.items ?? [] };
      });
      const low = flowScore(steps);
      const base = low ?? runs;
      const score: TrustEntry = {
        ...base,
        kind: "flow",
        key: r.key,
        label: r.label,
        observations: runs.observations,
        runs: { n: runs.n, posterior: runs.posterior },
        why: low
          ? `the lowest of its steps' scores: ${low.key} (${low.score}); ${low.why}`
          : runs.why,
        findings: base.findings,
      };
      if (low) score.lowest = { key: low.key, score: low.score, enoughData: low.enoughData };
      return score;
    })
    .sort(byScore);
}

function byScore(a: TrustEntry, b: TrustEntry): number {
  return a.score - b.score || a.key.localeCompare(b.key);
}

/** The block keys of a flow version's `meta` (its steps' block versions). */
export function blockKeys(meta: unknown): string[] {
  const m = (typeof meta === "string" ? JSON.parse(meta) : meta) as { blocks?: unknown } | null;
  return Array.isArray(m?.blocks) ? m.blocks.filter((k): k is string => typeof k === "string") : [];
}

function baselineOfKey(key: string): number | undefined {
  const at = key.lastIndexOf("@");
  const id = at < 0 ? key : key.slice(0, at);
  const version = at < 0 ? "" : key.slice(at + 1);
  const r = serverRegistry();
  return (r.versions(id).find((b) => b.version === version) ?? r.get(id))?.baselineTrust;
}

// --- The compiler's live trust provider ----------------------------------------------------

/** How long a workspace's earned scores are reused by the compiler. */
export const PROVIDER_TTL_MS = 10_000;
const MAX_CACHED_WORKSPACES = 200;
/** A cached earned score (enough data only), with what it was computed from. */
type Cached = {
  score: number;
  n: number;
  interval: TrustScore["interval"];
  row: CountRow;
  findings: EntityFindings | undefined;
};
const providers = new Map<
  string,
  { at: number; scores: Map<string, Cached>; byKey: Map<string, Cached>; found: FindingsIndex }
>();

/**
 * The workspace's earned block scores with enough data (n ≥ 20), cached `PROVIDER_TTL_MS` per
 * workspace (one indexed read of `TrustCount` and of the findings per workspace and period): by
 * block id (the version the server registry resolves to, else the newest version with enough
 * data) and by `id@version`.
 */
async function cachedScores(db: Reader, workspaceId: string, now: number, config: TrustConfig) {
  let hit = providers.get(workspaceId);
  if (!hit || now - hit.at > PROVIDER_TTL_MS) {
    const [rows, found] = await Promise.all([
      readRows(db, workspaceId, ["block"]),
      readFindings(db, workspaceId, now, config),
    ]);
    const scores = new Map<string, Cached>();
    const byKey = new Map<string, Cached>();
    const registry = serverRegistry();
    for (const r of rows) {
      const findings = found.of("block", r.key);
      const s = trustScore(countsOf(r), Number(r.baseline), now, config, findings);
      if (!s.enoughData) continue;
      const c: Cached = { score: s.score, n: s.n, interval: s.interval, row: r, findings };
      byKey.set(r.key, c);
      const at = r.key.lastIndexOf("@");
      const id = r.key.slice(0, at);
      const current = registry.get(id)?.version;
      // Rows come newest first: the current version wins, else the first (newest) seen.
      if (r.key.slice(at + 1) === current || !scores.has(id)) scores.set(id, c);
    }
    hit = { at: now, scores, byKey, found };
    if (providers.size >= MAX_CACHED_WORKSPACES) providers.delete(providers.keys().next().value!);
    providers.set(workspaceId, hit);
  }
  return hit;
}

/**
 * A trust provider with the workspace's earned block scores (cached, see above). Below n = 20 a
 * block has no score (the compiler keeps the baseline). `size`: how many blocks have one.
 */
export async function earnedTrustProvider(
  db: Reader,
  workspaceId: string,
  now: number,
  config: TrustConfig = trustConfig(),
): Promise<TrustProvider & { size: number }> {
  const { scores } = await cachedScores(db, workspaceId, now, config);
  return { blockScore: (id) => scores.get(id)?.score, size: scores.size };
}

/** What the engine's trust check reads of a step's block: its earned score. */
type Earned = Pick<Cached, "score" | "n" | "interval">;

/**
 * The engine's lookup of earned scores for the trust check at a run's start (the same cache):
 * a step's block version's own score, else its block's (as the compiler's provider resolves it).
 * With `workflowId`, the flow's own findings (a flow anomaly, a guardian group of the flow) weigh
 * on each step's score too, as on the Trust page's flow score. Undefined below n = 20: the IR's
 * baseline stands in.
 */
export async function earnedTrustLookup(
  db: Reader,
  workspaceId: string,
  now: number,
  config: TrustConfig = trustConfig(),
  workflowId: string | null = null,
): Promise<(block: { id: string; version: string }) => Earned | undefined> {
  const { scores, byKey, found } = await cachedScores(db, workspaceId, now, config);
  const own = (b: { id: string; version: string }) =>
    byKey.get(`${b.id}@${b.version}`) ?? scores.get(b.id);
  const flowFindings = workflowId ? found.of("flow", workflowId) : undefined;
  if (!flowFindings) return own;
  const withFlow = new Map<Cached, Earned>();
  return (b) => {
    const c = own(b);
    if (!c) return undefined;
    let e = withFlow.get(c);
    if (!e) {
      const f = combine(c.findings, flowFindings);
      const s = trustScore(countsOf(c.row), Number(c.row.baseline), now, config, f);
      withFlow.set(c, (e = { score: s.score, n: s.n, interval: s.interval }));
    }
    return e;
  };
}

/** Forgets cached providers (tests). */
export function clearTrustProviders(): void {
  providers.clear();
}

/**
 * A page of {@link listTrust} (lowest score first), for the API: `cursor` is the previous page's
 * last `key`; one that is no longer listed is a bad input.
 */
export async function listTrustPage(
  db: Reader,
  actor: { workspaceId: string },
  input: { kind: TrustKind; limit: number; cursor?: string | undefined },
  now: number,
): Promise<{ items: TrustEntry[]; nextCursor: string | null }> {
  const all = await listTrust(db, actor.workspaceId, input.kind, now);
  let start = 0;
  if (input.cursor !== undefined) {
    const at = all.findIndex((e) => e.key === input.cursor);
    if (at < 0)
      throw new AppError("INVALID_INPUT", {
        message: "This cursor is not in the list any more; start again without it.",
        details: { field: "cursor" },
      });
    start = at + 1;
  }
  const items = all.slice(start, start + input.limit);
  const more = start + input.limit < all.length;
  return { items, nextCursor: more ? (items.at(-1)?.key ?? null) : null };
}
