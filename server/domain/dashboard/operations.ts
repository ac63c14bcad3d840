/**
 * The Operations page's numbers for one range, from the rollups only (`Rollup`, a range's
 * buckets: at most 60, 24, 168 or 30 per entity, `range.ts`), the open dead letters (counted
 * through their index, capped) and the workers' heartbeats (breaker states): never the history.
 *
 * - throughput: runs per bucket (succeeded, failed) and runs per minute, without gaps;
 * - flows: runs, success rate, p95 run duration, cost and tokens per flow (all its versions);
 * - tiers: SLA compliance by tier (attempts within their tier's budget);
 * - dead letters: open now, and created per bucket;
 * - breakers: each endpoint's state as the workers last reported it, and its trips in range;
 * - models: agent calls, tokens, cost, failures per model.
 */
import type { Db } from "../types";
import { latencyQuantile } from "./latency";
import { bucketStarts, coarseRange, rangeBuckets, spansOf, spanWhere } from "./range";
import { NIL_UUID } from "./rollup-fold";
import type { DashboardRange } from "./schemas";

type Reader = Pick<Db, "$queryRawUnsafe">;

/** Open dead letters counted at most (the page says "10,000+"). */
export const MAX_COUNTED_DEAD_LETTERS = 10_000;
/** A heartbeat older than this is a stopped worker: its breakers are not shown. */
export const HEARTBEAT_FRESH_MS = 60_000;

export interface OperationsView {
  range: DashboardRange;
  bucketMs: number;
  from: string;
  /** Where the breakers' and models' numbers start (earlier than `from` for the last hour). */
  coarseFrom: string;
  throughput: Array<{
    at: string;
    runs: number;
    succeeded: number;
    failed: number;
    perMinute: number;
    deadLetters: number;
  }>;
  flows: Array<{
    workflowId: string | null;
    name: string;
    runs: number;
    succeeded: number;
    failed: number;
    successRate: number | null;
    p95Ms: number | null;
    costUsd: number;
    tokens: number;
  }>;
  tiers: Array<{
    tier: "T0" | "T1" | "T2";
    attempts: number;
    misses: number;
    compliance: number | null;
  }>;
  deadLetters: { open: number; capped: boolean; created: number };
  breakers: Array<{ endpoint: string; state: string | null; trips: number; attempts: number }>;
  models: Array<{
    model: string;
    calls: number;
    tokensIn: number;
    tokensOut: number;
    costUsd: number;
    attempts: number;
    failures: number;
  }>;
  /** Nothing finished in the range. */
  empty: boolean;
}

const num = (v: unknown) => Number(v ?? 0);
const round = (v: number, digits: number) => Math.round(v * 10 ** digits) / 10 ** digits;

/** The flow's name without its version (`name@1.2.0` → `name`). */
function flowName(label: string): string {
  const at = label.lastIndexOf("@");
  return at < 0 ? label : label.slice(0, at);
}

/**
 * The Operations page for `range` ending at `now`.
 *
 * @example
 * await getOperations(db, ws, "24h", Date.now()); // { throughput: [...24 hours], flows: [...], ... }
 */
export async function getOperations(
  db: Reader,
  workspaceId: string,
  range: DashboardRange,
  now: number,
): Promise<OperationsView> {
  const r = rangeBuckets(range, now);
  const where = `"workspaceId" = $1::uuid AND "grain" = $2 AND "bucket" >= $3`;
  const args = [workspaceId, r.grain, new Date(r.from)] as const;
  // Only flows have minute rows: for the last hour, endpoints and models read the hours it
  // touches (since the start of the hour it began in).
  const coarse = coarseRange(r);
  // Totals (not the series): whole days from day rows where the range holds them.
  const totalSpan = spanWhere(spansOf(r.grain, r.from, now), 2);
  const totals = `"workspaceId" = $1::uuid AND ${totalSpan.sql}`;
  const totalArgs = [workspaceId, ...totalSpan.params];
  const coarseSpan = spanWhere(spansOf(coarse.grain, coarse.from, now), 2);
  const coarseWhere = `"workspaceId" = $1::uuid AND ${coarseSpan.sql}`;
  const coarseArgs = [workspaceId, ...coarseSpan.params];
  const [series, flows, flowLatency, tiers, endpoints, models, open, beats] = await Promise.all([
    db.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT "bucket", sum("runs") AS runs, sum("runsSucceeded") AS ok, sum("runsFailed") AS failed,
              sum("deadLetters") AS dl
         FROM "Rollup" WHERE ${where} AND "kind" = 'flow' GROUP BY "bucket"`,
      ...args,
    ),
    db.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT "workflowId"::text AS wf, max("label") AS label, sum("runs") AS runs,
              sum("runsSucceeded") AS ok, sum("runsFailed") AS failed, sum("costUsd") AS cost,
              sum("tokensIn" + "tokensOut") AS tokens
         FROM "Rollup" WHERE ${totals} AND "kind" = 'flow' GROUP BY "workflowId"`,
      ...totalArgs,
    ),
    db.$queryRawUnsafe<Array<{ wf: string; i: number; n: unknown }>>(
      `SELECT "workflowId"::text AS wf, u.i::int AS i, sum(u.v) AS n
         FROM "Rollup", unnest("latency") WITH ORDINALITY AS u(v, i)
        WHERE ${totals} AND "kind" = 'flow' GROUP BY 1, 2`,
      ...totalArgs,
    ),
    db.$queryRawUnsafe<Array<{ i: number; a: unknown; m: unknown }>>(
      `SELECT u.i::int AS i, sum(u.a) AS a, sum(u.m) AS m
         FROM "Rollup", unnest("tierAttempts", "tierMisses") WITH ORDINALITY AS u(a, m, i)
        WHERE ${totals} AND "kind" = 'flow' GROUP BY 1`,
      ...totalArgs,
    ),
    db.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT "key", sum("breakerTrips") AS trips, sum("attempts") AS attempts
         FROM "Rollup" WHERE ${coarseWhere} AND "kind" = 'endpoint' GROUP BY "key"`,
      ...coarseArgs,
    ),
    db.$queryRawUnsafe<Array<Record<string, unknown>>>(
      `SELECT "key", sum("agentCalls") AS calls, sum("tokensIn") AS tin, sum("tokensOut") AS tout,
              sum("costUsd") AS cost, sum("attempts") AS attempts, sum("failures") AS failures
         FROM "Rollup" WHERE ${coarseWhere} AND "kind" = 'model' GROUP BY "key"`,
      ...coarseArgs,
    ),
    db.$queryRawUnsafe<Array<{ n: unknown }>>(
      `SELECT count(*) AS n FROM (SELECT 1 FROM "DeadLetter"
        WHERE "workspaceId" = $1::uuid AND "status" = 'open' LIMIT $2) d`,
      workspaceId,
      MAX_COUNTED_DEAD_LETTERS + 1,
    ),
    db.$queryRawUnsafe<Array<{ stats: unknown }>>(
      `SELECT "stats" FROM "WorkerHeartbeat" WHERE "seenAt" >= $1 ORDER BY "seenAt" DESC LIMIT 50`,
      new Date(now - HEARTBEAT_FRESH_MS),
    ),
  ]);

  const byBucket = new Map(series.map((s) => [new Date(s.bucket as Date).getTime(), s]));
  const perMinute = r.stepMs / 60_000;
  const throughput = bucketStarts(r).map((at) => {
    const s = byBucket.get(at);
    const runs = num(s?.runs);
    return {
      at: new Date(at).toISOString(),
      runs,
      succeeded: num(s?.ok),
      failed: num(s?.failed),
      perMinute: round(runs / perMinute, 2),
      deadLetters: num(s?.dl),
    };
  });

  const hist = new Map<string, number[]>();
  for (const l of flowLatency) {
    const h = hist.get(l.wf) ?? [];
    h[Number(l.i) - 1] = num(l.n);
    hist.set(l.wf, h);
  }
  const flowRows = flows
    .map((f) => {
      const runs = num(f.runs);
      const ok = num(f.ok);
      const failed = num(f.failed);
      const h = Array.from(hist.get(f.wf as string) ?? [], (v) => v ?? 0);
      return {
        workflowId: f.wf === NIL_UUID ? null : (f.wf as string),
        name: flowName(String(f.label ?? "")),
        runs,
        succeeded: ok,
        failed,
        successRate: ok + failed > 0 ? round(ok / (ok + failed), 4) : null,
        p95Ms: latencyQuantile(h, 0.95),
        costUsd: round(num(f.cost), 6),
        tokens: num(f.tokens),
      };
    })
    .sort((a, b) => b.runs - a.runs || a.name.localeCompare(b.name));

  const tierNames = ["T0", "T1", "T2"] as const;
  const tierRows = tierNames.map((tier, i) => {
    const t = tiers.find((x) => Number(x.i) === i + 1);
    const attempts = num(t?.a);
    const misses = num(t?.m);
    return {
      tier,
      attempts,
      misses,
      compliance: attempts > 0 ? round(1 - misses / attempts, 4) : null,
    };
  });

  const states = breakerStates(
    beats.map((b) => b.stats),
    workspaceId,
  );
  const breakers = endpoints.map((e) => ({
    endpoint: String(e.key),
    trips: num(e.trips),
    attempts: num(e.attempts),
    // No fresh heartbeat: no worker is running, the state is unknown (null).
    state: stateOf(states, String(e.key)) ?? (beats.length ? "closed" : null),
  }));
  for (const [endpoint, state] of states)
    if (!breakers.some((b) => stateOf(new Map([[endpoint, state]]), b.endpoint)))
      breakers.push({ endpoint, state, trips: 0, attempts: 0 });
  breakers.sort((a, b) => b.trips - a.trips || a.endpoint.localeCompare(b.endpoint));

  const openCount = num(open[0]?.n);
  return {
    range,
    bucketMs: r.stepMs,
    from: new Date(r.from).toISOString(),
    coarseFrom: new Date(coarse.from).toISOString(),
    throughput,
    flows: flowRows,
    tiers: tierRows,
    deadLetters: {
      open: Math.min(openCount, MAX_COUNTED_DEAD_LETTERS),
      capped: openCount > MAX_COUNTED_DEAD_LETTERS,
      created: throughput.reduce((s, t) => s + t.deadLetters, 0),
    },
    breakers,
    models: models
      .map((m) => ({
        model: String(m.key),
        calls: num(m.calls),
        tokensIn: num(m.tin),
        tokensOut: num(m.tout),
        costUsd: round(num(m.cost), 6),
        attempts: num(m.attempts),
        failures: num(m.failures),
      }))
      .sort((a, b) => b.costUsd - a.costUsd || a.model.localeCompare(b.model)),
    empty: flowRows.length === 0,
  };
}

const SEVERITY: Record<string, number> = { closed: 0, "half-open": 1, open: 2 };

/**
 * The workspace's breakers not closed, by endpoint label (`system`, `http`, `model`), the worst
 * state any fresh worker reported (heartbeats carry `<workspaceId>:<endpoint>` labels).
 */
function breakerStates(stats: unknown[], workspaceId: string): Map<string, string> {
  const out = new Map<string, string>();
  const prefix = `${workspaceId}:`;
  for (const s of stats) {
    const b = (s as { breakers?: Record<string, unknown> } | null)?.breakers;
    if (!b || typeof b !== "object") continue;
    for (const [label, state] of Object.entries(b)) {
      if (!label.startsWith(prefix) || typeof state !== "string" || state === "closed") continue;
      const endpoint = label.slice(prefix.length);
      const prev = out.get(endpoint);
      if (!prev || (SEVERITY[state] ?? 0) > (SEVERITY[prev] ?? 0)) out.set(endpoint, state);
    }
  }
  return out;
}

/** A rollup endpoint (`system:block`) answers to the breaker label of its system. */
function stateOf(states: Map<string, string>, endpoint: string): string | null {
  if (states.has(endpoint)) return states.get(endpoint)!;
  const system = endpoint.split(":")[0]!;
  return states.get(system) ?? null;
}
