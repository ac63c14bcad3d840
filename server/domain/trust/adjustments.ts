/**
 * Findings that lower earned trust (issue 17 item 1): anomalies not marked expected, guardian
 * groups of recurring failures, and groups failing again after their fix was released. The
 * formula is `score.ts`'s (bounded pseudo-failures); this module reads which findings are in
 * effect for a workspace and weighs each by its decay.
 *
 * Read from the findings' current state, not folded into the counts: marking an anomaly
 * expected takes its effect back at once, and nothing needs undoing. Two bounded, indexed reads
 * per call — the workspace's anomalies last seen within the horizon (at most
 * {@link MAX_ANOMALIES}, newest first) and its open guardian groups failing within it (at most
 * {@link MAX_GROUPS}) — never the run history.
 *
 * Which entities a finding weighs on:
 * - an anomaly: its own entity (block version, endpoint, model; a flow anomaly names the
 *   workflow, so it weighs on each of its versions);
 * - a guardian group: its flow (all versions), its block (every version: a group names the
 *   block, not its version) and, for a connector block, its endpoint `system:block`.
 */
import { OPEN_MS } from "../anomaly";
import { guardianFindings, MAX_FINDING_GROUPS, type GuardianFinding } from "../guardian/findings";
import type { Db, Tx } from "../types";
import { serverRegistry } from "../workflow/compile-flow";
import { NO_FINDINGS, addFindings, type TrustConfig, type TrustFindings } from "./score";

type Reader = Pick<Db | Tx, "$queryRawUnsafe">;

/** Anomalies read at most per call. */
export const MAX_ANOMALIES = 2000;
/** Guardian groups read at most per call. */
export const MAX_GROUPS = MAX_FINDING_GROUPS;
/** A group needs this many failures to count (fewer are failures the counts hold already). */
export const MIN_GROUP_FAILURES = 3;
/** Half-lives after which a finding is dropped (its weight below 1/32). */
const HORIZON_HALF_LIVES = 5;
/** Findings itemised per entity at most (the hover's list). */
const MAX_ITEMS = 5;

/** One finding as the hover names it. */
export interface FindingItem {
  source: "anomaly" | "guardian";
  id: string;
  what: string;
  /** Its decayed weight (1 while current). */
  weight: number;
}

/** The findings in effect on one entity. */
export interface EntityFindings extends TrustFindings {
  items: FindingItem[];
}

/** A workspace's findings by entity. */
export interface FindingsIndex {
  /** Of a block version (`id@version`), an endpoint, a model, or a flow by workflow id. */
  of(kind: "block" | "endpoint" | "model" | "flow", key: string): EntityFindings | undefined;
  /** How many findings (anomalies, groups) are in effect. */
  size: number;
}

/** A finding's weight at `now`: 1 until `currentUntil`, then halving every half-life. */
export function findingWeight(currentUntil: number, now: number, config: TrustConfig): number {
  const age = now - currentUntil;
  if (!(age > 0)) return 1;
  if (age > HORIZON_HALF_LIVES * config.findingHalfLifeMs) return 0;
  return Math.pow(0.5, age / config.findingHalfLifeMs);
}

function add(
  map: Map<string, EntityFindings>,
  id: string,
  kind: keyof TrustFindings,
  item: FindingItem,
) {
  const e = map.get(id) ?? { ...NO_FINDINGS, items: [] };
  e[kind] += item.weight;
  if (e.items.length < MAX_ITEMS) e.items.push(item);
  map.set(id, e);
}

/** An anomaly as the trust score reads it. */
interface AnomalyRecord {
  id: string;
  kind: string;
  key: string;
  metric: string;
  rule: string;
  detectedAt: Date;
  lastSeenAt: Date;
  feedback: string | null;
}

/** A workspace's findings read once for a period, to be indexed at any moment of it. */
export interface FindingRecords {
  anomalies: AnomalyRecord[];
  groups: GuardianFinding[];
}

/**
 * The findings that were in effect at some moment from `from` to `now` (bounded: at most
 * {@link MAX_ANOMALIES} anomalies and {@link MAX_GROUPS} groups, the most recently seen).
 */
export async function readFindingRecords(
  db: Reader,
  workspaceId: string,
  from: number,
  now: number,
  config: TrustConfig,
): Promise<FindingRecords> {
  const horizon = HORIZON_HALF_LIVES * config.findingHalfLifeMs;
  const [anomalies, groups] = await Promise.all([
    db.$queryRawUnsafe<AnomalyRecord[]>(
      `SELECT id::text AS id, kind, key, metric, rule, "detectedAt", "lastSeenAt", feedback
         FROM "Anomaly"
        WHERE "workspaceId" = $1::uuid AND "lastSeenAt" >= $2 AND "detectedAt" <= $3
          AND feedback IS DISTINCT FROM 'expected'
        ORDER BY "lastSeenAt" DESC
        LIMIT ${MAX_ANOMALIES}`,
      workspaceId,
      new Date(from - OPEN_MS - horizon),
      new Date(now),
    ),
    guardianFindings(db, workspaceId, {
      since: new Date(from - horizon),
      until: new Date(now),
      minFailures: MIN_GROUP_FAILURES,
      limit: MAX_GROUPS,
    }),
  ]);
  return { anomalies, groups };
}

/**
 * The findings of `records` in effect at `at`: those found by then, each weighed by its decay at
 * `at` (an anomaly or group still seen after `at` was current then). Whether a group is failing
 * again after its fix, and whether an anomaly was marked expected, are read as they are now.
 */
export function findingsAt(
  records: FindingRecords,
  at: number,
  config: TrustConfig,
): FindingsIndex {
  const byEntity = new Map<string, EntityFindings>();
  /** Guardian findings of blocks by block id (they weigh on every version). */
  const byBlockId = new Map<string, EntityFindings>();
  let size = 0;
  for (const a of records.anomalies) {
    if (a.detectedAt.getTime() > at) continue;
    const weight = findingWeight(a.lastSeenAt.getTime() + OPEN_MS, at, config);
    if (weight <= 0) continue;
    size++;
    const what = `anomaly: ${a.metric.replace(/_/g, " ")} (${a.rule})${a.feedback === "real" ? ", confirmed real" : ""}`;
    add(byEntity, `${a.kind}\u0000${a.key}`, "anomalies", {
      source: "anomaly",
      id: a.id,
      what,
      weight: round(weight),
    });
  }
  const registry = serverRegistry();
  for (const g of records.groups) {
    if (g.firstSeenAt.getTime() > at) continue;
    const weight = findingWeight(g.lastSeenAt.getTime(), at, config);
    if (weight <= 0) continue;
    size++;
    const kind = g.regressed ? "regressions" : "guardianGroups";
    const item: FindingItem = {
      source: "guardian",
      id: g.id,
      what: g.regressed
        ? `guardian group failing again after its fix was released (${Number(g.count)} failures of ${g.blockId} in ${g.flowName})`
        : `guardian group of ${Number(g.count)} failures of ${g.blockId} in ${g.flowName}`,
      weight: round(weight),
    };
    if (g.workflowId) add(byEntity, `flow\u0000${g.workflowId}`, kind, item);
    add(byBlockId, g.blockId, kind, item);
    const system = registry.get(g.blockId)?.system;
    if (system) add(byEntity, `endpoint\u0000${system}:${g.blockId}`, kind, item);
  }
  return {
    size,
    of(kind, key) {
      const own = byEntity.get(`${kind}\u0000${key}`);
      if (kind !== "block") return own;
      const i = key.lastIndexOf("@");
      const byId = byBlockId.get(i < 0 ? key : key.slice(0, i));
      return own && byId ? combine(own, byId) : (own ?? byId);
    },
  };
}

/**
 * The findings in effect in `workspaceId` at `now`.
 *
 * @example
 * const f = await readFindings(db, ws, Date.now(), trustConfig());
 * f.of("block", "crm.deal.update@1.0.0"); // { anomalies: 1, guardianGroups: 0, regressions: 0, items: [...] }
 */
export async function readFindings(
  db: Reader,
  workspaceId: string,
  now: number,
  config: TrustConfig,
): Promise<FindingsIndex> {
  return findingsAt(await readFindingRecords(db, workspaceId, now, now, config), now, config);
}

/** Two entities' findings together (a flow's on top of its step's). */
export function combine(
  a: EntityFindings | undefined,
  b: EntityFindings | undefined,
): EntityFindings | undefined {
  if (!a || !b) return a ?? b;
  return { ...addFindings(a, b), items: [...a.items, ...b.items].slice(0, MAX_ITEMS) };
}

/** The flow `workflowId@version`'s workflow id. */
export function workflowOf(flowKey: string): string {
  const at = flowKey.lastIndexOf("@");
  return at < 0 ? flowKey : flowKey.slice(0, at);
}

function round(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}
