/**
 * The risk of a run before it starts: the workspace's latest failure model applied to the run's
 * features as of now (its flow version's blocks and endpoints from the compiled version, its
 * inputs' size, the last 24 h of history). Without a model (too little history, or nothing to
 * learn from) the risk is the baseline: the flow's recent failure rate. Gating is allowed only
 * when the model's backtest passed the gate rule (`gateRule`).
 *
 * The last 24 h of history is read once per workspace every 10 s (bounded), so a burst of run
 * starts costs one history read, not one per start.
 */
import { AppError, notFound } from "../errors";
import { foldSteps } from "../trust/fold";
import type { Db } from "../types";
import { compileFlowCached } from "../workflow/compile-flow";
import { loadAnomalyCounter } from "./anomaly-feature";
import { gateRule } from "./backtest";
import {
  BASELINE_FEATURE,
  DAY_MS,
  featureNames,
  featuresAt,
  indexHistory,
  type AnomalyCounter,
  type FeatureName,
  type HistoryIndex,
  type Subject,
} from "./features";
import { readHistory } from "./history";
import { contributions, scoreModel } from "./model";
import { latestModel, type StoredModel } from "./store";
import type { HighRiskFlow, RunRisk } from "./types";

/** Runs of the last 24 h read for features at run start, at most. */
export const MAX_RECENT_RUNS = 5_000;
/** Flows assessed by `highRiskFlows`, at most. */
export const MAX_ASSESSED_FLOWS = 200;
const INDEX_CACHE_MS = 10_000;
/** Workspaces whose recent history index is kept (≈ 1 MB each at the 5,000-run cap). */
const MAX_CACHED = 32;

const LABELS: Record<FeatureName, string> = {
  flow_fail_24h: "the flow's failure rate in the last 24 h",
  block_fail_24h: "its blocks' failure rate in the last 24 h",
  block_retry_24h: "its blocks' retry rate in the last 24 h",
  endpoint_fail_1h: "its endpoints' failure rate in the last hour",
  endpoint_fail_24h: "its endpoints' failure rate in the last 24 h",
  breaker_open: "a circuit breaker of its endpoints looks open",
  hour_sin: "the time of day",
  hour_cos: "the time of day",
  log_input_bytes: "the size of its inputs",
  log_version_age_h: "the age of its flow version",
  open_anomalies: "open anomalies on its flow, blocks or endpoints",
};

const indexes = new Map<string, { at: number; index: HistoryIndex }>();

async function recentIndex(db: Db, workspaceId: string, at: number): Promise<HistoryIndex> {
  const hit = indexes.get(workspaceId);
  if (hit && Math.abs(at - hit.at) < INDEX_CACHE_MS) return hit.index;
  // Runs started up to a day before the window can finish inside it: read those too.
  const h = await readHistory(db, workspaceId, {
    from: at - 2 * DAY_MS,
    to: at,
    limit: MAX_RECENT_RUNS,
  });
  const index = indexHistory(h.runs, h.attempts);
  for (const [k, v] of indexes) if (Math.abs(at - v.at) >= INDEX_CACHE_MS) indexes.delete(k);
  if (indexes.size >= MAX_CACHED) indexes.delete(indexes.keys().next().value!);
  indexes.set(workspaceId, { at, index });
  return index;
}

interface VersionRow {
  id: string;
  workflowId: string;
  workflowName: string;
  version: string;
  dsl: string;
  createdAt: Date;
}

function subjectOf(v: VersionRow, inputs: unknown): Subject {
  const ir = compileFlowCached(v.id, v.dsl).ir;
  const steps = ir ? [...foldSteps(ir, () => undefined).values()].filter((s) => s.scored) : [];
  return {
    workflowId: v.workflowId,
    version: v.version,
    inputBytes: Buffer.byteLength(JSON.stringify(inputs ?? {})),
    versionCreatedAt: v.createdAt.getTime(),
    blocks: [...new Set(steps.map((s) => s.blockKey))],
    endpoints: [...new Set(steps.flatMap((s) => (s.endpoint ? [s.endpoint] : [])))],
  };
}

async function riskOf(
  db: Db,
  workspaceId: string,
  subject: Subject,
  at: number,
  stored: StoredModel | null,
  anomalies: AnomalyCounter | undefined,
): Promise<RunRisk> {
  const index = await recentIndex(db, workspaceId, at);
  const fitted = stored?.model ?? null;
  const names = featureNames({ anomalies });
  const all = featuresAt(index, subject, at, { anomalies });
  const gate = gateRule(stored?.figures ?? null);
  if (!fitted) {
    const base = all[names.indexOf(BASELINE_FEATURE)]!;
    return {
      risk: base,
      source: "baseline",
      gateEnabled: false,
      reasons: [
        `${LABELS[BASELINE_FEATURE]}: ${pct(base)} (no failure model yet)`,
        stored
          ? "the history after the features' first day has no runs of both outcomes to learn from yet"
          : gate.why,
      ],
      modelVersion: stored?.version ?? null,
      quality: stored?.figures ?? null,
    };
  }
  const x = fitted.features.map((f) => all[names.indexOf(f)] ?? 0);
  const risk = scoreModel(fitted, x);
  const c = contributions(fitted, x);
  const top = fitted.features
    .map((f, j) => ({ f, c: c[j]!, v: x[j]! }))
    .filter((e) => e.c > 0.05)
    .sort((a, b) => b.c - a.c)
    .slice(0, 3)
    .map((e) => `${LABELS[e.f]} (${describe(e.f, e.v)}) raises it`);
  return {
    risk,
    source: "model",
    gateEnabled: stored!.gateEnabled,
    reasons: [...(top.length ? top : ["no feature stands out"]), gate.why],
    modelVersion: stored!.version,
    quality: stored!.figures,
  };
}

/** The anomaly counter when the model uses the feature (one read of the open anomalies). */
async function anomaliesFor(
  db: Db,
  workspaceId: string,
  stored: StoredModel | null,
  at: number,
): Promise<AnomalyCounter | undefined> {
  return stored?.model?.features.includes("open_anomalies")
    ? loadAnomalyCounter(db, workspaceId, [at])
    : undefined;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

function describe(f: FeatureName, v: number): string {
  if (f.endsWith("_1h") || f.endsWith("_24h")) return pct(v);
  if (f === "breaker_open") return v ? "open" : "closed";
  if (f === "log_input_bytes") return `${Math.round(Math.expm1(v))} bytes`;
  if (f === "log_version_age_h") return `${Math.round(Math.expm1(v))} h`;
  if (f === "open_anomalies") return String(v);
  return "now";
}

/**
 * The risk that a run of the flow version `workflowVersionId` with `inputs`, started at `at`,
 * fails. Throws NOT_FOUND for a version outside the workspace.
 *
 * @example
 * const r = await assessRunRisk(db, { workspaceId, workflowVersionId, inputs: {}, at: Date.now() });
 * if (r.gateEnabled && r.risk > 0.4) { ... ask for an approval ... }
 */
export async function assessRunRisk(
  db: Db,
  input: { workspaceId: string; workflowVersionId: string; inputs: unknown; at: number },
): Promise<RunRisk> {
  const [v] = await db.$queryRawUnsafe<VersionRow[]>(
    `SELECT v.id::text AS id, v."workflowId"::text AS "workflowId", w.name AS "workflowName",
            v.version, v.dsl, v."createdAt"
       FROM "WorkflowVersion" v JOIN "Workflow" w ON w.id = v."workflowId"
      WHERE v.id = $1::uuid AND w."workspaceId" = $2::uuid`,
    input.workflowVersionId,
    input.workspaceId,
  );
  if (!v) throw notFound("Flow version");
  const stored = await latestModel(db, input.workspaceId);
  const anomalies = await anomaliesFor(db, input.workspaceId, stored, input.at);
  return riskOf(db, input.workspaceId, subjectOf(v, input.inputs), input.at, stored, anomalies);
}

/**
 * {@link assessRunRisk} for a flow's saved `version` (default: its latest), as the run dialog
 * asks. PRECONDITION_FAILED for a flow without a saved version (a draft has no history).
 */
export async function assessFlowRisk(
  db: Db,
  input: { workspaceId: string; workflowId: string; version?: string; inputs: unknown; at: number },
): Promise<RunRisk & { workflowVersionId: string; version: string }> {
  const [v] = await db.$queryRawUnsafe<Array<{ id: string; version: string; deleted: boolean }>>(
    `SELECT v.id::text AS id, v.version, w."deletedAt" IS NOT NULL AS deleted
       FROM "Workflow" w LEFT JOIN LATERAL (
         SELECT id, version FROM "WorkflowVersion" x
          WHERE x."workflowId" = w.id AND ($3::text IS NULL OR x.version = $3)
          ORDER BY x."createdAt" DESC LIMIT 1) v ON true
      WHERE w.id = $1::uuid AND w."workspaceId" = $2::uuid`,
    input.workflowId,
    input.workspaceId,
    input.version ?? null,
  );
  if (!v || v.deleted) throw notFound("Workflow");
  if (!v.id)
    throw new AppError(
      input.version ? "NOT_FOUND" : "PRECONDITION_FAILED",
      input.version
        ? { message: `Version ${input.version} of this workflow was not found.` }
        : { message: "Risk is predicted for saved versions: this workflow has none yet." },
    );
  const risk = await assessRunRisk(db, { ...input, workflowVersionId: v.id });
  return { ...risk, workflowVersionId: v.id, version: v.version };
}

/**
 * The workspace's flows (latest version each, at most {@link MAX_ASSESSED_FLOWS}) whose next
 * run (empty inputs, now) has a risk of at least `threshold`, riskiest first.
 */
export async function highRiskFlows(
  db: Db,
  workspaceId: string,
  threshold: number,
  at = Date.now(),
): Promise<HighRiskFlow[]> {
  if (!(threshold >= 0 && threshold <= 1))
    throw new AppError("INVALID_INPUT", { message: "The risk threshold must be between 0 and 1." });
  const versions = await db.$queryRawUnsafe<VersionRow[]>(
    `SELECT DISTINCT ON (w.id) v.id::text AS id, w.id::text AS "workflowId", w.name AS "workflowName",
            v.version, v.dsl, v."createdAt"
       FROM "Workflow" w JOIN "WorkflowVersion" v ON v."workflowId" = w.id
      WHERE w."workspaceId" = $1::uuid AND w."deletedAt" IS NULL
      ORDER BY w.id, v."createdAt" DESC
      LIMIT $2`,
    workspaceId,
    MAX_ASSESSED_FLOWS,
  );
  const stored = await latestModel(db, workspaceId);
  const anomalies = await anomaliesFor(db, workspaceId, stored, at);
  const out: HighRiskFlow[] = [];
  for (const v of versions) {
    const r = await riskOf(db, workspaceId, subjectOf(v, {}), at, stored, anomalies);
    if (r.risk < threshold) continue;
    out.push({
      workflowId: v.workflowId,
      workflowName: v.workflowName,
      version: v.version,
      risk: r.risk,
      source: r.source,
      gateEnabled: r.gateEnabled,
      reasons: r.reasons,
      modelVersion: r.modelVersion,
    });
  }
  return out.sort((a, b) => b.risk - a.risk);
}
