/**
 * One entity of the Trust page: its score's trend and the flows behind it.
 *
 * The trend is computed from the daily rollups, not from stored snapshots: each day's counts
 * (successes, failures and the adverse signals, as the trust fold counts them) are folded day by
 * day with the trust model's decay (`mergeCounts`), and the score, interval and n read at the
 * day's end (`trustScore`). So the seeded or imported history has a trend at once, and the
 * formula is the live score's; it starts from the oldest day kept in the window read
 * ({@link TREND_HISTORY_DAYS}), so its last point can differ slightly from the live score,
 * which also holds older history. A flow version's trend is its lowest step's, day by day.
 * Findings (anomalies, guardian groups) weigh on each day's point as they weigh on the live
 * score: those found by the day's end, decayed to it (`findingsAt`); a flow's own findings on
 * each of its steps.
 *
 * The flows behind an entity: the flows it ran in during the range, with its attempts and
 * failures there — each links to the runs list filtered to that flow.
 */
import type { Db } from "../types";
import {
  emptyCounts,
  mergeCounts,
  pointScore,
  trustConfig,
  trustScore,
  type TrustConfig,
  type TrustCounts,
} from "../trust/score";
import type { TrustKind } from "../trust/score";
import { combine, findingsAt, readFindingRecords, workflowOf } from "../trust/adjustments";
import { blockKeys } from "../trust/list-trust";
import { DAY_MS, NIL_UUID } from "./rollup-fold";
import { coarseRange, rangeBuckets, spansOf, spanWhere } from "./range";
import type { DashboardRange } from "./schemas";

type Reader = Pick<Db, "$queryRawUnsafe">;

/** Days of daily rollups read to build a trend (the decayed start). */
export const TREND_HISTORY_DAYS = 90;
/** Days shown. */
export const TREND_DAYS = 30;
/** Steps of a flow whose trends are combined, at most. */
const MAX_FLOW_STEPS = 50;
/** Flows listed behind an entity, at most. */
export const MAX_FLOWS_BEHIND = 50;

export interface TrendPoint {
  day: string;
  score: number;
  low: number;
  high: number;
  n: number;
  enoughData: boolean;
  /** The entity whose score this is (a flow's lowest step that day). */
  source: string;
}

export interface TrustEntityView {
  kind: TrustKind;
  key: string;
  trend: TrendPoint[];
  flows: Array<{ workflowId: string | null; name: string; attempts: number; failures: number }>;
}

const num = (v: unknown) => Number(v ?? 0);
const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * The trend (last {@link TREND_DAYS} days) and the flows behind `kind`/`key` in `range`.
 *
 * @example
 * await getTrustEntity(db, ws, { kind: "block", key: "crm.deal.update@2.0.0", range: "7d" }, Date.now());
 */
export async function getTrustEntity(
  db: Reader,
  workspaceId: string,
  input: { kind: TrustKind; key: string; range: DashboardRange },
  now: number,
  config: TrustConfig = trustConfig(),
): Promise<TrustEntityView> {
  const own = await db.$queryRawUnsafe<Array<{ key: string; baseline: number; meta: unknown }>>(
    `SELECT "key", "baseline", "meta" FROM "TrustCount"
      WHERE "workspaceId" = $1::uuid AND "kind" = $2 AND "key" = $3`,
    workspaceId,
    input.kind,
    input.key,
  );
  // A flow's score is its steps' (block versions): their trends, the lowest each day.
  const steps = input.kind === "flow" ? blockKeys(own[0]?.meta).slice(0, MAX_FLOW_STEPS) : [];
  const kind = input.kind === "flow" ? "block" : input.kind;
  const keys = input.kind === "flow" ? steps : [input.key];
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  const r = rangeBuckets(input.range, now);
  const coarse = coarseRange(r);
  // Only flows have minute rows; whole days come from day rows (`spansOf`).
  const span = spanWhere(
    input.kind === "flow" ? spansOf(r.grain, r.from, now) : spansOf(coarse.grain, coarse.from, now),
    5,
  );
  const first = today - (TREND_DAYS - 1) * DAY_MS;
  const [baselines, days, flows, records] = await Promise.all([
    input.kind === "flow"
      ? db.$queryRawUnsafe<Array<{ key: string; baseline: number }>>(
          `SELECT "key", "baseline" FROM "TrustCount"
            WHERE "workspaceId" = $1::uuid AND "kind" = 'block' AND "key" = ANY($2::text[])`,
          workspaceId,
          keys,
        )
      : Promise.resolve(own),
    db.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT "key", "bucket", sum("successes") AS s, sum("failures") AS f,
              sum("tierMisses"[1] + "tierMisses"[2] + "tierMisses"[3]) AS sla, sum("retries") AS re,
              sum("deadLetters") AS dl, sum("breakerTrips") AS bt, sum("policyViolations") AS pv,
              sum("findings") AS fi
         FROM "Rollup"
        WHERE "workspaceId" = $1::uuid AND "kind" = $2 AND "key" = ANY($3::text[])
          AND "grain" = 'd' AND "bucket" >= $4
        GROUP BY "key", "bucket" ORDER BY "bucket"`,
      workspaceId,
      kind,
      keys,
      new Date(today - (TREND_HISTORY_DAYS - 1) * DAY_MS),
    ),
    db.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT "workflowId"::text AS wf, sum("attempts") AS attempts, sum("failures") AS failures
         FROM "Rollup"
        WHERE "workspaceId" = $1::uuid AND "kind" = $2 AND "key" = ANY($3::text[]) AND ${span.sql}
        GROUP BY "workflowId" ORDER BY sum("attempts") DESC LIMIT $4`,
      workspaceId,
      input.kind === "flow" ? "flow" : kind,
      input.kind === "flow" ? [input.key] : keys,
      MAX_FLOWS_BEHIND,
      ...span.params,
    ),
    readFindingRecords(db, workspaceId, first, now, config),
  ]);
  const names = await flowNames(
    db,
    workspaceId,
    flows.map((f) => String(f.wf)),
  );

  const baselineOf = new Map(baselines.map((b) => [b.key, Number(b.baseline)]));
  // Each key's counts at each shown day's end; then, per day, the lowest key (by the cheap
  // point score) is scored in full (the interval's quantiles are the costly part).
  const perKey = new Map<string, Array<{ counts: TrustCounts; end: number }>>();
  for (const key of keys) {
    const rows = days.filter((d) => d.key === key);
    let counts: TrustCounts = emptyCounts(0);
    let next = 0;
    const states: Array<{ counts: TrustCounts; end: number }> = [];
    const start = rows.length
      ? Math.min(first, new Date(rows[0]!.bucket as Date).getTime())
      : first;
    for (let day = start; day <= today; day += DAY_MS) {
      const end = Math.min(day + DAY_MS - 1, now);
      while (next < rows.length && new Date(rows[next]!.bucket as Date).getTime() <= day) {
        counts = mergeCounts(counts, countsOf(rows[next]!, end), config.halfLifeMs);
        next++;
      }
      if (day >= first) states.push({ counts, end });
    }
    perKey.set(key, states);
  }
  const trend: TrendPoint[] = [];
  for (let i = 0; i < TREND_DAYS; i++) {
    const end = Math.min(first + i * DAY_MS + DAY_MS - 1, now);
    const found = findingsAt(records, end, config);
    const flowFindings =
      input.kind === "flow" ? found.of("flow", workflowOf(input.key)) : undefined;
    const findingsOf = (key: string) =>
      input.kind === "flow" ? combine(found.of("block", key), flowFindings) : found.of(kind, key);
    let low: { key: string; score: number } | undefined;
    for (const key of keys) {
      const st = perKey.get(key)?.[i];
      if (!st) continue;
      const score = pointScore(
        st.counts,
        baselineOf.get(key) ?? 0.5,
        st.end,
        config,
        findingsOf(key),
      ).score;
      if (!low || score < low.score) low = { key, score };
    }
    if (!low) continue;
    const st = perKey.get(low.key)![i]!;
    const s = trustScore(
      st.counts,
      baselineOf.get(low.key) ?? 0.5,
      st.end,
      config,
      findingsOf(low.key),
    );
    trend.push({
      day: new Date(first + i * DAY_MS).toISOString().slice(0, 10),
      score: round(s.score),
      low: round(s.interval.low),
      high: round(s.interval.high),
      n: round(s.n),
      enoughData: s.enoughData,
      source: low.key,
    });
  }
  return {
    kind: input.kind,
    key: input.key,
    trend,
    flows: flows.map((f) => ({
      workflowId: f.wf === NIL_UUID ? null : String(f.wf),
      name: names.get(String(f.wf)) ?? "(a run without a saved flow)",
      attempts: num(f.attempts),
      failures: num(f.failures),
    })),
  };
}

function countsOf(r: Record<string, unknown>, at: number): TrustCounts {
  return {
    successes: num(r.s),
    failures: num(r.f),
    slaMisses: num(r.sla),
    retries: num(r.re),
    deadLetters: num(r.dl),
    breakerTrips: num(r.bt),
    policyViolations: num(r.pv),
    findings: num(r.fi),
    at,
  };
}

async function flowNames(db: Reader, workspaceId: string, ids: string[]) {
  const real = ids.filter((id) => id !== NIL_UUID);
  if (!real.length) return new Map<string, string>();
  const rows = await db.$queryRawUnsafe<Array<{ id: string; name: string }>>(
    `SELECT id::text AS id, "name" FROM "Workflow" WHERE "workspaceId" = $1::uuid AND id = ANY($2::uuid[])`,
    workspaceId,
    real,
  );
  return new Map(rows.map((r) => [r.id, r.name]));
}
