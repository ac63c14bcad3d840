/**
 * Folding a batch of finished runs into rollup deltas (pure): counts per entity per time bucket
 * that add up, so the consumer adds a batch by one upsert and a page sums a range's buckets.
 *
 * Entities, as the trust fold names them (`../trust/fold.ts`): the flow version a run ran
 * (`workflowId@version`), each step's block version, its connector endpoint, and the model of an
 * agent step. Every row also carries the flow it ran in (`workflowId`), so a block drills down
 * to its flows. Grains: minute (flows only: the last hour's charts; a row costs its upsert, and
 * other kinds would add several rows per run), hour and day (every kind).
 *
 * What counts:
 * - per run (its flow's rows, at its end): one run, succeeded or failed (failed or compensated);
 *   the run's duration in the latency histogram;
 * - per final attempt (at its end; skipped and unfinished ones do not count; human and trigger
 *   steps neither): an attempt, a success or a failure, a retry when not the first, a breaker
 *   trip, a policy violation (as the trust fold decides them), the attempt and an SLA miss
 *   (longer than its tier's budget) under its tier, its duration in the histogram — for its
 *   block, endpoint and model rows; its flow's rows get the counts but not the duration;
 * - per dead letter and finding naming a step: its entities' and flow's rows, at the run's end;
 * - per agent usage: tokens, cost and a call for its model and its flow.
 */
import type { FinishedAttempt } from "../finished-runs";
import type { FoldStep } from "../trust/fold";
import { addLatency } from "./latency";
import type { RunUsage } from "../finished-run-signals";
import { stepAt } from "../fan-out-steps";

export const NIL_UUID = "00000000-0000-0000-0000-000000000000";
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** A bucket's length, by grain. */
export type Grain = "m" | "h" | "d";
export const GRAIN_MS: Readonly<Record<Grain, number>> = { m: MINUTE_MS, h: HOUR_MS, d: DAY_MS };

export type RollupKind = "flow" | "block" | "endpoint" | "model";
const TIERS = ["T0", "T1", "T2"] as const;

export interface RollupRun {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  version: string | null;
  flowName: string;
  status: string;
  startedAt: number | null;
  finishedAt: number;
  steps: Map<string, FoldStep>;
}

/** An agent step attempt's model usage (as the finished-runs consumers read it). */
export type RollupUsage = RunUsage;

export interface RollupInput {
  runs: RollupRun[];
  attempts: FinishedAttempt[];
  deadLetters: Array<{ runId: string; stepId: string }>;
  findings: Array<{ runId: string; stepId: string | null }>;
  usage: RollupUsage[];
}

/** The numbers of a rollup row that add up. */
export interface RollupCounts {
  runs: number;
  runsSucceeded: number;
  runsFailed: number;
  attempts: number;
  successes: number;
  failures: number;
  retries: number;
  deadLetters: number;
  breakerTrips: number;
  policyViolations: number;
  findings: number;
  tierAttempts: number[];
  tierMisses: number[];
  latency: number[];
  costUsd: number;
  tokensIn: number;
  tokensOut: number;
  agentCalls: number;
}

/** One row's change. */
export interface RollupDelta extends RollupCounts {
  workspaceId: string;
  grain: Grain;
  bucket: number;
  kind: RollupKind;
  key: string;
  workflowId: string;
  label: string;
}

export const SCALAR_COUNTS = [
  "runs",
  "runsSucceeded",
  "runsFailed",
  "attempts",
  "successes",
  "failures",
  "retries",
  "deadLetters",
  "breakerTrips",
  "policyViolations",
  "findings",
  "agentCalls",
] as const;

function emptyRow(): RollupCounts {
  return {
    runs: 0,
    runsSucceeded: 0,
    runsFailed: 0,
    attempts: 0,
    successes: 0,
    failures: 0,
    retries: 0,
    deadLetters: 0,
    breakerTrips: 0,
    policyViolations: 0,
    findings: 0,
    tierAttempts: [0, 0, 0],
    tierMisses: [0, 0, 0],
    latency: [],
    costUsd: 0,
    tokensIn: 0,
    tokensOut: 0,
    agentCalls: 0,
  };
}

/** Which grains a kind is kept at. */
function grainsOf(kind: RollupKind): Grain[] {
  return kind === "flow" ? ["m", "h", "d"] : ["h", "d"];
}

type Entity = { kind: RollupKind; key: string; label: string };

/** The deltas of a batch, one per (entity, flow, grain, bucket). */
export function foldRollups(input: RollupInput): RollupDelta[] {
  const out = new Map<string, RollupDelta>();
  const runs = new Map(input.runs.map((r) => [r.id, r]));
  const touch = (run: RollupRun, e: Entity, at: number, apply: (c: RollupCounts) => void) => {
    const wf = run.workflowId ?? NIL_UUID;
    for (const grain of grainsOf(e.kind)) {
      const bucket = Math.floor(at / GRAIN_MS[grain]) * GRAIN_MS[grain];
      const id = `${run.workspaceId}\u0000${grain}\u0000${bucket}\u0000${e.kind}\u0000${e.key}\u0000${wf}`;
      let row = out.get(id);
      if (!row) {
        row = {
          workspaceId: run.workspaceId,
          grain,
          bucket,
          ...e,
          workflowId: wf,
          ...emptyRow(),
        };
        out.set(id, row);
      }
      apply(row);
    }
  };
  const flowOf = (run: RollupRun): Entity => ({
    kind: "flow",
    key: `${run.workflowId ?? ""}@${run.version ?? ""}`,
    label: `${run.flowName}@${run.version ?? ""}`,
  });
  const stepEntities = (step: FoldStep, model?: string): Entity[] => {
    const list: Entity[] = [{ kind: "block", key: step.blockKey, label: step.blockKey }];
    if (step.endpoint) list.push({ kind: "endpoint", key: step.endpoint, label: step.endpoint });
    if (model) list.push({ kind: "model", key: model, label: model });
    return list;
  };
  const attemptKey = (runId: string, stepId: string, attempt: number) =>
    `${runId}\u0000${stepId}\u0000${attempt}`;
  const models = new Map<string, string>();
  for (const u of input.usage) models.set(attemptKey(u.runId, u.stepId, u.attempt), u.model);

  for (const run of input.runs) {
    const ok = run.status === "succeeded";
    const failed = run.status === "failed" || run.status === "compensated";
    touch(run, flowOf(run), run.finishedAt, (c) => {
      c.runs += 1;
      if (ok) c.runsSucceeded += 1;
      if (failed) c.runsFailed += 1;
      if (run.startedAt !== null)
        addLatency(c.latency, Math.max(0, run.finishedAt - run.startedAt));
    });
  }

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
    const tier = Math.max(0, TIERS.indexOf(step.tier));
    const miss = a.durationMs !== null && a.durationMs > step.budgetMs;
    const count = (c: RollupCounts) => {
      c.attempts += 1;
      if (ok) c.successes += 1;
      else c.failures += 1;
      if (a.attempt > 1) c.retries += 1;
      if (a.errorName === "BreakerOpenError") c.breakerTrips += 1;
      if (!ok && policy) c.policyViolations += 1;
      c.tierAttempts[tier]! += 1;
      if (miss) c.tierMisses[tier]! += 1;
    };
    const at = a.finishedAt ?? run.finishedAt;
    const model = models.get(attemptKey(a.runId, a.stepId, a.attempt));
    for (const e of stepEntities(step, model))
      touch(run, e, at, (c) => {
        count(c);
        if (a.durationMs !== null) addLatency(c.latency, a.durationMs);
      });
    touch(run, flowOf(run), at, count);
  }

  const perStep = (
    list: Array<{ runId: string; stepId: string | null }>,
    field: "deadLetters" | "findings",
  ) => {
    for (const d of list) {
      const run = runs.get(d.runId);
      if (!run) continue;
      const step = d.stepId !== null ? stepAt(run.steps, d.stepId) : undefined;
      const bump = (c: RollupCounts) => {
        c[field] += 1;
      };
      if (step?.scored) for (const e of stepEntities(step)) touch(run, e, run.finishedAt, bump);
      touch(run, flowOf(run), run.finishedAt, bump);
    }
  };
  perStep(input.deadLetters, "deadLetters");
  perStep(input.findings, "findings");

  for (const u of input.usage) {
    const run = runs.get(u.runId);
    if (!run) continue;
    const add = (c: RollupCounts) => {
      c.agentCalls += 1;
      c.tokensIn += u.tokensIn;
      c.tokensOut += u.tokensOut;
      c.costUsd += u.costUsd;
    };
    touch(run, { kind: "model", key: u.model, label: u.model }, run.finishedAt, add);
    touch(run, flowOf(run), run.finishedAt, add);
  }
  return [...out.values()];
}
