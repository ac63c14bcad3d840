/**
 * Folding a batch of finished runs into trust deltas (pure): each run's attempts (rows and the
 * compact pure-step log alike), dead letters, reconciliation findings and agent usage become
 * decayed counts per entity: the block version a step ran, its connector endpoint, the model an
 * agent step used, and the flow version. The consumer (`consumer.ts`) reads the rows and writes
 * the deltas; `mergeCounts` makes the order of batches irrelevant.
 *
 * What counts, per attempt (`succeeded` or `failed`; skipped and unfinished ones do not):
 * - a success or a failure of its block version, its endpoint (connector blocks:
 *   `system:block`, the circuit breaker's endpoint) and, for agent steps, its model;
 * - an SLA miss when it took longer than its tier's latency budget ({@link LATENCY_BUDGET_MS},
 *   capped by the step's timeout);
 * - a retry when it is not the step's first attempt;
 * - a breaker trip when an open breaker refused it (`BreakerOpenError`);
 * - a policy violation when a policy refused it (category `authz`: consent, trust, egress).
 * Per run: each dead letter and each finding naming a step counts for that step's entities; the
 * flow version counts the run's outcome (succeeded: a success; failed or compensated: a
 * failure; cancelled: nothing), its dead letters and all its findings. Human and trigger steps
 * are not scored (a person's decision says nothing about a block).
 */
import type { FlowIR, SlaTier } from "@/dsl";
import { fanOutChildren, stepAt } from "../fan-out-steps";
import { emptyCounts, mergeCounts, type TrustCounts, type TrustKind } from "./score";

/** How long an attempt of each tier may take before it counts as an SLA miss. */
export const LATENCY_BUDGET_MS: Readonly<Record<SlaTier, number>> = {
  T0: 1_000,
  T1: 5_000,
  T2: 30_000,
};

/** Baseline of an entity without a block (fallback). */
export const DEFAULT_BASELINE = 0.5;

/** What the fold needs of a step of the run's compiled flow. */
export interface FoldStep {
  blockId: string;
  /** `id@version`. */
  blockKey: string;
  baseline: number;
  /** `system:block` for connector blocks, else null. */
  endpoint: string | null;
  budgetMs: number;
  /** The step's SLA tier (the dashboards' compliance by tier). */
  tier: SlaTier;
  /** The block's kind (`agent`, `connector`, `human`, ...). */
  blockKind: string;
  scored: boolean;
}

/** The steps of a compiled flow, by step id (cache it per IR). */
export function foldSteps(
  ir: FlowIR,
  baselineOf: (id: string, version: string) => number | undefined,
): Map<string, FoldStep> {
  const out = new Map<string, FoldStep>();
  for (const s of ir.steps) {
    const b = s.block;
    const tier = s.resilience.tier;
    out.set(s.id, {
      blockId: b.id,
      blockKey: `${b.id}@${b.version}`,
      baseline: baselineOf(b.id, b.version) ?? s.trust,
      endpoint: b.system ? `${b.system}:${b.id}` : null,
      budgetMs: Math.min(LATENCY_BUDGET_MS[tier] ?? LATENCY_BUDGET_MS.T1, s.resilience.timeoutMs),
      tier,
      blockKind: b.kind,
      scored: b.kind !== "human" && b.kind !== "trigger",
    });
  }
  // Fan-out children: their own block, their parent's tier and timeout.
  for (const c of fanOutChildren(ir)) {
    const tier = c.parent.resilience.tier;
    out.set(c.id, {
      blockId: c.block.id,
      blockKey: `${c.block.id}@${c.block.version}`,
      baseline: baselineOf(c.block.id, c.block.version) ?? c.parent.trust,
      endpoint: c.block.system ? `${c.block.system}:${c.block.id}` : null,
      budgetMs: Math.min(
        LATENCY_BUDGET_MS[tier] ?? LATENCY_BUDGET_MS.T1,
        c.parent.resilience.timeoutMs,
      ),
      tier,
      blockKind: c.block.kind,
      scored: c.block.kind !== "human" && c.block.kind !== "trigger",
    });
  }
  return out;
}

export interface FoldRun {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  version: string | null;
  flowName: string;
  status: string;
  finishedAt: number;
  steps: Map<string, FoldStep>;
}

export interface FoldAttempt {
  runId: string;
  stepId: string;
  attempt: number;
  status: string;
  durationMs: number | null;
  errorName: string | null;
  category: string | null;
  finishedAt: number | null;
}

export interface FoldInput {
  runs: FoldRun[];
  attempts: FoldAttempt[];
  deadLetters: Array<{ runId: string; stepId: string }>;
  findings: Array<{ runId: string; stepId: string | null }>;
  usage: Array<{ runId: string; stepId: string; attempt: number; model: string }>;
}

/** The change to one entity's counts. */
export interface TrustDelta {
  workspaceId: string;
  kind: TrustKind;
  key: string;
  label: string;
  baseline: number;
  meta: Record<string, unknown>;
  counts: TrustCounts;
  /** Attempts (runs, for a flow) folded in, undecayed. */
  observations: number;
}

/** The deltas of a batch, one per entity (the batch's observations decayed to its latest). */
export function foldRuns(input: FoldInput, halfLifeMs: number): TrustDelta[] {
  const out = new Map<string, TrustDelta>();
  const runs = new Map(input.runs.map((r) => [r.id, r]));
  const add = (
    run: FoldRun,
    kind: TrustKind,
    key: string,
    label: string,
    baseline: number,
    at: number,
    change: Partial<Omit<TrustCounts, "at">>,
    meta: Record<string, unknown> = {},
  ) => {
    const id = `${run.workspaceId}\u0000${kind}\u0000${key}`;
    const c = { ...emptyCounts(at), ...change };
    const seen = (change.successes ?? 0) + (change.failures ?? 0);
    const prev = out.get(id);
    if (!prev) {
      out.set(id, {
        workspaceId: run.workspaceId,
        kind,
        key,
        label,
        baseline,
        meta,
        counts: c,
        observations: seen,
      });
      return;
    }
    prev.counts = mergeCounts(prev.counts, c, halfLifeMs);
    prev.observations += seen;
    prev.baseline = Math.min(prev.baseline, baseline);
  };
  const forStep = (
    run: FoldRun,
    step: FoldStep,
    at: number,
    change: Partial<Omit<TrustCounts, "at">>,
    model?: string,
  ) => {
    add(run, "block", step.blockKey, step.blockKey, step.baseline, at, change);
    if (step.endpoint)
      add(run, "endpoint", step.endpoint, step.endpoint, step.baseline, at, change);
    if (model) add(run, "model", model, model, step.baseline, at, change);
  };

  const models = new Map<string, string>();
  for (const u of input.usage) models.set(`${u.runId}\u0000${u.stepId}\u0000${u.attempt}`, u.model);

  for (const a of input.attempts) {
    const run = runs.get(a.runId);
    const step = run && stepAt(run.steps, a.stepId);
    if (!run || !step?.scored) continue;
    if (a.status !== "succeeded" && a.status !== "failed") continue;
    const ok = a.status === "succeeded";
    const policy =
      a.category === "authz" ||
      a.errorName === "ConsentError" ||
      a.errorName === "EgressError" ||
      a.errorName === "TrustError";
    forStep(
      run,
      step,
      a.finishedAt ?? run.finishedAt,
      {
        successes: ok ? 1 : 0,
        failures: ok ? 0 : 1,
        slaMisses: a.durationMs !== null && a.durationMs > step.budgetMs ? 1 : 0,
        retries: a.attempt > 1 ? 1 : 0,
        breakerTrips: a.errorName === "BreakerOpenError" ? 1 : 0,
        policyViolations: !ok && policy ? 1 : 0,
      },
      models.get(`${a.runId}\u0000${a.stepId}\u0000${a.attempt}`),
    );
  }
  for (const d of input.deadLetters) {
    const run = runs.get(d.runId);
    const step = run && stepAt(run.steps, d.stepId);
    if (run && step?.scored) forStep(run, step, run.finishedAt, { deadLetters: 1 });
  }
  for (const f of input.findings) {
    const run = runs.get(f.runId);
    const step = f.stepId !== null ? run && stepAt(run.steps, f.stepId) : undefined;
    if (run && step?.scored) forStep(run, step, run.finishedAt, { findings: 1 });
  }

  // Flow versions: the run's outcome, dead letters and findings.
  const perRun = new Map<string, { deadLetters: number; findings: number }>();
  for (const d of input.deadLetters) bump(perRun, d.runId, "deadLetters");
  for (const f of input.findings) bump(perRun, f.runId, "findings");
  for (const run of input.runs) {
    if (!run.workflowId || !run.version) continue;
    const scored = [...run.steps.values()].filter((s) => s.scored);
    const baseline = scored.reduce((m, s) => Math.min(m, s.baseline), 1);
    const extra = perRun.get(run.id) ?? { deadLetters: 0, findings: 0 };
    const ok = run.status === "succeeded";
    const failed = run.status === "failed" || run.status === "compensated";
    if (!ok && !failed && !extra.deadLetters && !extra.findings) continue;
    add(
      run,
      "flow",
      `${run.workflowId}@${run.version}`,
      `${run.flowName}@${run.version}`,
      scored.length ? baseline : DEFAULT_BASELINE,
      run.finishedAt,
      { successes: ok ? 1 : 0, failures: failed ? 1 : 0, ...extra },
      { blocks: [...new Set(scored.map((s) => s.blockKey))].sort() },
    );
  }
  return [...out.values()];
}

function bump(
  m: Map<string, { deadLetters: number; findings: number }>,
  runId: string,
  k: "deadLetters" | "findings",
) {
  const v = m.get(runId) ?? { deadLetters: 0, findings: 0 };
  v[k] += 1;
  m.set(runId, v);
}
