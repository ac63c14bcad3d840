/**
 * Findings that lower earned trust (issue 17 item 1): anomalies not marked expected, guardian
 * groups of recurring failures, and groups failing again after their fix was released. The
 * formula is `score.ts`'s (bounded pseudo-failures); this module reads which findings are in
 * effect for a workspace and weighs each by its decay.
 *
 * Read from the findings' current state, not folded into the counts: marking an anomaly
 * expected takes its effect back at once, and nothing needs undoing. At most three bounded,
 * indexed reads per call — the workspace's anomalies last seen within the horizon (at most
 * {@link MAX_ANOMALIES}, newest first), its open guardian groups failing within it (at most
 * {@link MAX_GROUPS}), and the IRs those groups failed on that this process has not cached yet
 * (one read, none once they are cached) — never the run history.
 *
 * Which entities a finding weighs on:
 * - an anomaly: its own entity (block version, endpoint, model; a flow anomaly names the
 *   workflow, so it weighs on each of its versions);
 * - a guardian group: its flow (all versions), the block version its step ran in the IR of its
 *   newest failure (`failingIrHash`: the step found as the trust fold finds an attempt's, a
 *   fan-out child `each[3]` included) and, for a connector block, its endpoint `system:block`.
 *   Only when that IR or step cannot be found (the run is gone, the step is not in it, it ran
 *   another block) does the group weigh on every version of its block, as a group names the
 *   block and not its version. So a block's other versions — the one a user upgraded to, to get
 *   away from the failures — keep their score.
 *
 * Every reader (the Trust page's `listTrust`, the compiler's provider and the run-start lookup
 * `earnedTrustLookup` in `list-trust.ts`, the trend in `../dashboard/trust-trend.ts`) asks
 * {@link FindingsIndex.of} by block version, so they all weigh a group on the same versions.
 */
import type { FlowIR } from "@/dsl";
import { OPEN_MS } from "../anomaly";
import { stepAt } from "../fan-out-steps";
import { guardianFindings, MAX_FINDING_GROUPS, type GuardianFinding } from "../guardian/findings";
import type { Db, Tx } from "../types";
import { serverRegistry } from "../workflow/compile-flow";
import { foldSteps } from "./fold";
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

/** A guardian group as the trust score weighs it. */
export interface GroupRecord extends GuardianFinding {
  /**
   * The block version (`id@version`) its step ran in the IR of its newest failure; null when
   * that IR or step cannot be found (the group then weighs on every version of its block).
   */
  blockKey: string | null;
}

/** A workspace's findings read once for a period, to be indexed at any moment of it. */
export interface FindingRecords {
  anomalies: AnomalyRecord[];
  groups: GroupRecord[];
}

/** IRs whose step tables are kept, at most (a call names at most {@link MAX_GROUPS}). */
const MAX_STEP_TABLES = MAX_GROUPS;
/**
 * The step tables of the IRs guardian groups failed on, by IR hash (oldest dropped first): each
 * step id, fan-out children included, to its block version. An IR's hash covers its steps and
 * their blocks, so a table never goes stale.
 */
const stepTables = new Map<string, ReadonlyMap<string, string>>();

/** `ir`'s step ids to their block versions, as the trust fold's `foldSteps` enters them. */
function stepTable(ir: FlowIR): ReadonlyMap<string, string> {
  return new Map([...foldSteps(ir, () => undefined)].map(([id, step]) => [id, step.blockKey]));
}

/**
 * `groups`, each with the block version it failed on: its step's block (found by `stepAt`, as
 * the trust fold finds an attempt's step) in the IR of `failingIrHash`, if that step runs the
 * group's block. The IRs not cached yet are read in one indexed read, each through the run of a
 * group's newest failure (`lastRunId`, when its `irHash` is that hash): its own IR (runs
 * recorded before `FlowIr`) or the one it references.
 */
async function withFailingVersions(db: Reader, groups: GuardianFinding[]): Promise<GroupRecord[]> {
  const tables = new Map<string, ReadonlyMap<string, string>>();
  const hashes: string[] = [];
  const runs: string[] = [];
  for (const g of groups) {
    const cached = stepTables.get(g.failingIrHash);
    if (cached) tables.set(g.failingIrHash, cached);
    else {
      hashes.push(g.failingIrHash);
      runs.push(g.lastRunId);
    }
  }
  if (hashes.length) {
    // One run per IR (DISTINCT ON), then its IR's text: a text is read once per IR.
    const rows = await db.$queryRawUnsafe<Array<{ hash: string; ir: string | null }>>(
      `SELECT m.hash, coalesce(r.ir::text, f.ir) AS ir
         FROM (SELECT DISTINCT ON (u.hash) u.hash, u.run
                 FROM unnest($1::text[], $2::uuid[]) AS u(hash, run)
                 JOIN "Run" x ON x.id = u.run AND x."irHash" = u.hash) m
         JOIN "Run" r ON r.id = m.run
         LEFT JOIN "FlowIr" f ON f.key = r."irKey"`,
      hashes,
      runs,
    );
    for (const row of rows) {
      if (row.ir === null) continue;
      const table = stepTable(JSON.parse(row.ir) as FlowIR);
      tables.set(row.hash, table);
      if (stepTables.size >= MAX_STEP_TABLES) stepTables.delete(stepTables.keys().next().value!);
      stepTables.set(row.hash, table);
    }
  }
  return groups.map((g) => {
    const table = tables.get(g.failingIrHash);
    const key = table && stepAt(table, g.stepId);
    const runsBlock = key !== undefined && key.slice(0, key.lastIndexOf("@")) === g.blockId;
    return { ...g, blockKey: runsBlock ? key : null };
  });
}

/**
 * The findings that were in effect at some moment from `from` to `now` (bounded: at most
 * {@link MAX_ANOMALIES} anomalies and {@link MAX_GROUPS} groups, the most recently seen), each
 * group with the block version it failed on (its IR's, read once per IR and cached).
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
    }).then((found) => withFailingVersions(db, found)),
  ]);
  return { anomalies, groups };
}

/**
 * The findings of `records` in effect at `at`: those found by then, each weighed by its decay at
 * `at` (an anomaly or group still seen after `at` was current then). Whether a group is failing
 * again after its fix, the block version it failed on, and whether an anomaly was marked
 * expected, are read as they are now.
 */
export function findingsAt(
  records: FindingRecords,
  at: number,
  config: TrustConfig,
): FindingsIndex {
  const byEntity = new Map<string, EntityFindings>();
  /** Guardian groups whose block version is unknown, by block id (on every version). */
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
    const block = g.blockKey ?? g.blockId;
    const item: FindingItem = {
      source: "guardian",
      id: g.id,
      what: g.regressed
        ? `guardian group failing again after its fix was released (${Number(g.count)} failures of ${block} in ${g.flowName})`
        : `guardian group of ${Number(g.count)} failures of ${block} in ${g.flowName}`,
      weight: round(weight),
    };
    if (g.workflowId) add(byEntity, `flow\u0000${g.workflowId}`, kind, item);
    if (g.blockKey) add(byEntity, `block\u0000${g.blockKey}`, kind, item);
    else add(byBlockId, g.blockId, kind, item);
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
