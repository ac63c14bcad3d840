/**
 * The planted-anomaly corpus (issue 17): a seeded generator of 30 days of 5-minute buckets for
 * 50 connector/agent blocks, with planted effects of fixed size — error rate ×3, p95 ×2, calls
 * per run ×5, a new write endpoint, cost ×4 — and the detector run over it exactly as the
 * anomaly consumer runs it (`judgeWindow` at every bucket's end over the last 15 minutes,
 * baselines from `computeBaselines`, the cooldown of `continues`).
 *
 * Traffic: each block is called by its flow's runs at a peak of 12–30 runs a minute, with a daily
 * rhythm (night at 35 %) and quieter weekends (60 %); 1–3 calls per run (+1 in 20 % of runs);
 * base error rate 3–8 %; log-normal latency (median 40–600 ms, σ 0.45); agent blocks (10) use
 * 300–900 tokens a call at $2/M tokens; outputs of 200–2,000 bytes; 15 blocks write.
 */
import { Prng } from "@/server/adapters/connectors/mock/prng";
import { computeBaselines, type Baselines } from "@/server/domain/anomaly/detect";
import { continues, judgeWindow } from "@/server/domain/anomaly/judge";
import {
  addStats,
  BUCKET_MS,
  emptyStats,
  latencyBin,
  WINDOW_MS,
  type BucketStats,
} from "@/server/domain/anomaly/metrics";

export const PLANTED_KINDS = [
  "error_rate",
  "p95_latency",
  "calls_per_run",
  "new_endpoint",
  "cost",
] as const;
export type PlantedKind = (typeof PLANTED_KINDS)[number];

interface Block {
  key: string;
  peakRunsPerMin: number;
  callsPerRun: number;
  errorRate: number;
  latencyMedian: number;
  agent: boolean;
  tokens: number;
  outBytes: number;
  write: boolean;
  /** When the block starts being called (ms from the corpus start). */
  from: number;
}

/** A planted anomaly: the entity and metric an alert must name. */
export interface Planted {
  kind: PlantedKind;
  key: string;
  metric: string;
  start: number;
  end: number;
  /** Planted while the block's history was below the minimum (no alert may name it). */
  young: boolean;
}

export interface Alert {
  key: string;
  metric: string;
  at: number;
  z: number;
}

const DAY = 86_400_000;
const HOUR = 3_600_000;
/** Baselines are recomputed every 12 hours of data here (hourly in the consumer): the bench's
 * cost is in recomputing 50 baselines over 28 days; the statistics barely move in 12 hours. */
const BASELINE_EVERY = 12 * HOUR;
/** 2026-11-02, a Monday, 00:00 UTC. */
export const CORPUS_START = Date.UTC(2026, 10, 2);

function gauss(r: Prng): number {
  const u = Math.max(1e-12, r.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r.next());
}

function poisson(r: Prng, mean: number): number {
  if (mean > 30) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gauss(r)));
  const l = Math.exp(-mean);
  let k = 0;
  let p = 1;
  do {
    k++;
    p *= r.next();
  } while (p > l);
  return k - 1;
}

function rhythm(t: number): number {
  const d = new Date(t);
  const h = d.getUTCHours() + d.getUTCMinutes() / 60;
  const day = 0.35 + 0.65 * Math.max(0, Math.sin(((h - 6) / 16) * Math.PI));
  const weekend = d.getUTCDay() === 0 || d.getUTCDay() === 6 ? 0.6 : 1;
  return day * weekend;
}

export interface CorpusOptions {
  seed: number;
  days?: number;
  blocks?: number;
  /** Plant anomalies (false: the clean corpus). */
  plant?: boolean;
  /** Planted events per kind. */
  perKind?: number;
}

export interface CorpusResult {
  planted: Planted[];
  alerts: Alert[];
  blocks: number;
  days: number;
  /** Alerts naming a block while its history was below the minimum. */
  youngAlerts: number;
  /** Windows judged "not enough data" (some metric of a young block). */
  notEnoughData: number;
  /** Baseline recomputations and their time (ms). */
  baselineRuns: number;
  baselineMs: number;
  judgeMs: number;
  windowsJudged: number;
}

/** Generates the corpus and runs the detector over it. */
export function runCorpus(opts: CorpusOptions): CorpusResult {
  const r = new Prng(opts.seed);
  const days = opts.days ?? 30;
  const n = opts.blocks ?? 50;
  const end = days * DAY;
  const blocks: Block[] = [];
  for (let i = 0; i < n; i++) {
    const agent = i < 10;
    blocks.push({
      key: `${agent ? "agent" : "crm"}.op${i}@1.0.0`,
      peakRunsPerMin: 12 + r.next() * 18,
      callsPerRun: r.int(1, 3),
      errorRate: 0.03 + r.next() * 0.05,
      latencyMedian: 40 + r.next() * 560,
      agent,
      tokens: agent ? 300 + r.next() * 600 : 0,
      outBytes: 200 + r.next() * 1800,
      write: i >= 35,
      // Five blocks arrive late (day 20): their first day is below the minimum history.
      from: i >= 45 ? 20 * DAY : 0,
    });
  }
  const planted: Planted[] = [];
  const plant = opts.plant ?? true;
  if (plant) {
    const perKind = opts.perKind ?? 8;
    const busy = new Map<string, Array<[number, number]>>();
    const free = (key: string, s: number, e: number) =>
      !(busy.get(key) ?? []).some(([a, b]) => s < b + 6 * HOUR && e > a - 6 * HOUR);
    for (const kind of PLANTED_KINDS) {
      for (let k = 0; k < perKind; k++) {
        for (let tries = 0; tries < 100; tries++) {
          const b =
            kind === "cost"
              ? blocks[r.int(0, 9)]!
              : blocks[r.int(0, kind === "new_endpoint" ? 44 : n - 1)]!;
          // Effects start at a bucket's start (the simulation's resolution).
          const start = 2 * DAY + Math.floor((r.next() * (days - 3) * DAY) / BUCKET_MS) * BUCKET_MS;
          const young = b.from > 0 && start >= b.from && start < b.from + DAY;
          if (b.from > 0 && !young && start < b.from + DAY) continue;
          const e = start + 2 * HOUR;
          if (!free(b.key, start, e)) continue;
          busy.set(b.key, [...(busy.get(b.key) ?? []), [start, e]]);
          const metric = kind === "new_endpoint" ? "new_endpoint" : kind;
          const key = kind === "new_endpoint" ? `erp.write${planted.length}@1.0.0` : b.key;
          planted.push({
            kind,
            key,
            metric,
            start: CORPUS_START + start,
            end: CORPUS_START + e,
            young,
          });
          break;
        }
      }
    }
    // One planted effect on each late block during its first day (must not alert).
    for (const b of blocks.filter((x) => x.from > 0)) {
      const start = b.from + 6 * HOUR + Math.floor((r.next() * 12 * HOUR) / BUCKET_MS) * BUCKET_MS;
      planted.push({
        kind: "error_rate",
        key: b.key,
        metric: "error_rate",
        start: CORPUS_START + start,
        end: CORPUS_START + start + 2 * HOUR,
        young: true,
      });
    }
  }
  // Latency bins drawn from a table of 1,024 log-normal quantiles per block (normal and ×2).
  const Q = 1024;
  const tables = new Map<string, [Uint8Array, Uint8Array]>();
  for (const b of blocks) {
    const mk = (m: number) => {
      const t = new Uint8Array(Q);
      for (let i = 0; i < Q; i++) t[i] = latencyBin(m * Math.exp(0.45 * gauss(r)));
      return t;
    };
    tables.set(b.key, [mk(b.latencyMedian), mk(b.latencyMedian * 2)]);
  }
  const effect = (key: string, t: number, kind: PlantedKind) =>
    planted.some((p) => p.key === key && p.kind === kind && t >= p.start && t < p.end);

  // Buckets per entity (new endpoints included), and the detector's state.
  const buckets = new Map<string, Array<{ at: number; stats: BucketStats }>>();
  const baselines = new Map<string, { at: number; b: Baselines }>();
  const lastSeen = new Map<string, number>();
  const alerts: Alert[] = [];
  let youngAlerts = 0;
  let notEnoughData = 0;
  let baselineRuns = 0;
  let baselineMs = 0;
  let judgeMs = 0;
  let windowsJudged = 0;
  const known = new Set<string>();
  const firstSeen = new Map<string, number>();

  for (let t = 0; t < end; t += BUCKET_MS) {
    const at = CORPUS_START + t;
    const touched: string[] = [];
    for (const b of blocks) {
      if (t < b.from) continue;
      const s = emptyStats();
      const mean = b.peakRunsPerMin * 5 * rhythm(at);
      const runs = poisson(r, mean);
      const cpr = b.callsPerRun * (effect(b.key, at, "calls_per_run") ? 5 : 1);
      const err = b.errorRate * (effect(b.key, at, "error_rate") ? 3 : 1);
      const lat = tables.get(b.key)![effect(b.key, at, "p95_latency") ? 1 : 0];
      const costX = effect(b.key, at, "cost") ? 4 : 1;
      s.runs = runs;
      for (let k = 0; k < runs; k++) s.calls += cpr + (r.next() < 0.2 ? 1 : 0);
      // Per call: its outcome and its latency; sizes and usage per bucket (mean × noise).
      for (let c = 0; c < s.calls; c++) {
        if (r.next() < err) s.failures++;
        s.latency[lat[Math.floor(r.next() * Q)]!]!++;
      }
      if (b.write) s.writes = s.calls;
      const noise = (sd: number) => Math.max(0.1, 1 + (sd * gauss(r)) / Math.sqrt(s.calls || 1));
      s.outBytes = s.calls * b.outBytes * noise(0.12);
      if (b.agent) {
        s.tokens = s.calls * b.tokens * noise(0.17);
        s.cost = s.tokens * 2e-6 * costX;
      }
      push(buckets, b.key, at, s);
      touched.push(b.key);
    }
    // New write endpoints: called a few times a minute while planted.
    for (const p of planted)
      if (p.kind === "new_endpoint" && at >= p.start && at < p.end) {
        const s = emptyStats();
        s.runs = s.calls = s.writes = poisson(r, 10);
        push(buckets, p.key, at, s);
        if (!known.has(p.key)) {
          known.add(p.key);
          // The rogue-block rule: a new endpoint of a flow with history (the corpus's flows all
          // have history from day 0 on; the planted ones start on day 2 or later).
          if (!continues(lastSeen.get(`${p.key}|new_endpoint`), at)) {
            alerts.push({ key: p.key, metric: "new_endpoint", at: at + BUCKET_MS, z: Infinity });
            lastSeen.set(`${p.key}|new_endpoint`, at + BUCKET_MS);
          }
        }
      }
    // Judge at the bucket's end: the last three buckets against the baselines.
    const now = at + BUCKET_MS;
    for (const key of touched) {
      const list = buckets.get(key)!;
      if (!firstSeen.has(key)) firstSeen.set(key, at);
      let bl = baselines.get(key);
      if (!bl || now - bl.at >= BASELINE_EVERY) {
        const t0 = performance.now();
        bl = { at: now, b: computeBaselines("block", list, now) };
        baselineMs += performance.now() - t0;
        baselineRuns++;
        baselines.set(key, bl);
      }
      const w = emptyStats();
      const length = Object.values(bl.b).find((m) => m?.windowMs)?.windowMs ?? WINDOW_MS;
      for (let i = Math.max(0, list.length - length / BUCKET_MS); i < list.length; i++)
        addStats(w, list[i]!.stats);
      const t1 = performance.now();
      const j = judgeWindow("block", w, now - length, bl.b);
      judgeMs += performance.now() - t1;
      windowsJudged++;
      if (j.notEnoughData.length) notEnoughData++;
      for (const a of j.anomalies) {
        const id = `${key}|${a.metric}`;
        const seen = lastSeen.get(id);
        lastSeen.set(id, now);
        if (continues(seen, now)) continue;
        alerts.push({ key, metric: a.metric, at: now, z: a.z });
        if (now - firstSeen.get(key)! < DAY) youngAlerts++;
      }
    }
  }
  return {
    planted,
    alerts,
    blocks: n,
    days,
    youngAlerts,
    notEnoughData,
    baselineRuns,
    baselineMs,
    judgeMs,
    windowsJudged,
  };
}

function push(
  m: Map<string, Array<{ at: number; stats: BucketStats }>>,
  key: string,
  at: number,
  stats: BucketStats,
) {
  const list = m.get(key) ?? [];
  list.push({ at, stats });
  // Keep what a baseline reads (28 days) and a little more.
  if (list.length > 8_200) list.splice(0, list.length - 8_100);
  m.set(key, list);
}

/**
 * Scores a corpus run. A planted event is found when an alert names its entity and metric
 * within the later of 15 minutes or its third run after it starts (at these rates 15 minutes
 * is always the later; the detector judges at each bucket's end, so at 5, 10 and 15 minutes); an alert is true when it names a planted entity and metric while the
 * effect lasts (from its start to its end plus one window).
 */
export function score(res: CorpusResult): {
  events: number;
  found: number;
  recall: number;
  alerts: number;
  trueAlerts: number;
  precision: number;
  byKind: Record<string, { events: number; found: number }>;
  latencyMin: number[];
} {
  const events = res.planted.filter((p) => !p.young);
  const byKind: Record<string, { events: number; found: number }> = {};
  const latencyMin: number[] = [];
  let found = 0;
  for (const p of events) {
    const k = (byKind[p.kind] ??= { events: 0, found: 0 });
    k.events++;
    const deadline = p.start + 15 * 60_000;
    const hit = res.alerts.find(
      (a) => a.key === p.key && a.metric === p.metric && a.at >= p.start && a.at <= deadline,
    );
    if (hit) {
      found++;
      k.found++;
      latencyMin.push((hit.at - p.start) / 60_000);
    }
  }
  const trueAlerts = res.alerts.filter((a) =>
    res.planted.some(
      (p) =>
        a.key === p.key && a.metric === p.metric && a.at >= p.start && a.at <= p.end + WINDOW_MS,
    ),
  ).length;
  return {
    events: events.length,
    found,
    recall: events.length ? found / events.length : 1,
    alerts: res.alerts.length,
    trueAlerts,
    precision: res.alerts.length ? trueAlerts / res.alerts.length : 1,
    byKind,
    latencyMin,
  };
}
