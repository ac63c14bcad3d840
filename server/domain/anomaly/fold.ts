/**
 * A batch of finished runs as bucket deltas per entity (pure): what the anomaly consumer adds to
 * `AnomalyBucket`, and what it learns of each entity (its peer group, whether it writes, the
 * output fields it was seen with, the flow it ran in). See `metrics.ts` for what each count
 * means per kind. Human and trigger steps are not measured (a person's pace says nothing of a
 * block).
 */
import type { FlowIR } from "@/dsl";
import { bucketOf, emptyStats, latencyBin, type BucketStats, type EntityKind } from "./metrics";
import { fanOutChildren, stepAt } from "../fan-out-steps";

/** What the fold needs of a step of the run's compiled flow. */
export interface AnomalyStep {
  blockKey: string;
  blockKind: string;
  write: boolean;
  endpoint: string | null;
  measured: boolean;
}

/** The steps of a compiled flow by step id (cache it per IR). */
export function anomalySteps(ir: FlowIR): Map<string, AnomalyStep> {
  const out = new Map<string, AnomalyStep>();
  for (const s of ir.steps) {
    const b = s.block;
    out.set(s.id, {
      blockKey: `${b.id}@${b.version}`,
      blockKind: b.kind,
      write: b.sideEffect === "write",
      endpoint: b.system ? `${b.system}:${b.id}` : null,
      measured: b.kind !== "human" && b.kind !== "trigger",
    });
  }
  // Fan-out children (`contacts[1]`, `each[*]`): their own block.
  for (const { id, block: b } of fanOutChildren(ir))
    out.set(id, {
      blockKey: `${b.id}@${b.version}`,
      blockKind: b.kind,
      write: b.sideEffect === "write",
      endpoint: b.system ? `${b.system}:${b.id}` : null,
      measured: b.kind !== "human" && b.kind !== "trigger",
    });
  return out;
}

export interface FoldRunIn {
  id: string;
  workspaceId: string;
  workflowId: string | null;
  flowName: string;
  status: string;
  startedAt: number | null;
  finishedAt: number;
  steps: Map<string, AnomalyStep>;
}

export interface FoldAttemptIn {
  runId: string;
  stepId: string;
  attempt: number;
  status: string;
  durationMs: number | null;
  finishedAt: number | null;
}

/** A succeeded attempt's output: its JSON size and top-level fields. */
export interface OutputIn {
  runId: string;
  stepId: string;
  attempt: number;
  bytes: number;
  keys: string[] | null;
}

export interface UsageIn {
  runId: string;
  stepId: string;
  attempt: number;
  model: string;
  tokens: number;
  cost: number;
}

/** One entity's delta in one bucket. */
export interface BucketDelta {
  workspaceId: string;
  kind: EntityKind;
  key: string;
  label: string;
  peer: string;
  write: boolean;
  bucket: number;
  stats: BucketStats;
  /** Latest data time folded (epoch ms). */
  lastAt: number;
  /** Output fields seen (blocks). */
  fields: Set<string>;
  /** The flow (workflow id) it ran in, for endpoints and blocks. */
  flow: string | null;
}

/** The deltas of a batch, one per entity and bucket. */
export function foldBuckets(input: {
  runs: FoldRunIn[];
  attempts: FoldAttemptIn[];
  outputs: OutputIn[];
  usage: UsageIn[];
}): BucketDelta[] {
  const out = new Map<string, BucketDelta>();
  const runs = new Map(input.runs.map((r) => [r.id, r]));
  const id = (runId: string, stepId: string, attempt: number) =>
    `${runId}\u0000${stepId}\u0000${attempt}`;
  const outputs = new Map(input.outputs.map((o) => [id(o.runId, o.stepId, o.attempt), o]));
  const usage = new Map(input.usage.map((u) => [id(u.runId, u.stepId, u.attempt), u]));
  // Entities a run took part in (its `runs` count is one per run, not per attempt).
  const inRun = new Set<string>();
  const get = (
    run: FoldRunIn,
    kind: EntityKind,
    key: string,
    at: number,
    extra: { label?: string; peer?: string; write?: boolean },
  ): BucketDelta => {
    const bucket = bucketOf(at);
    const k = `${run.workspaceId}\u0000${kind}\u0000${key}\u0000${bucket}`;
    let d = out.get(k);
    if (!d) {
      d = {
        workspaceId: run.workspaceId,
        kind,
        key,
        label: extra.label ?? key,
        peer: extra.peer ?? "",
        write: extra.write ?? false,
        bucket,
        stats: emptyStats(),
        lastAt: at,
        fields: new Set(),
        flow: run.workflowId,
      };
      out.set(k, d);
    }
    d.lastAt = Math.max(d.lastAt, at);
    const r = `${run.id}\u0000${k}`;
    if (!inRun.has(r)) {
      inRun.add(r);
      d.stats.runs++;
    }
    return d;
  };

  for (const a of input.attempts) {
    const run = runs.get(a.runId);
    const step = run && stepAt(run.steps, a.stepId);
    if (!run || !step?.measured) continue;
    if (a.status !== "succeeded" && a.status !== "failed") continue;
    const at = a.finishedAt ?? run.finishedAt;
    const o = outputs.get(id(a.runId, a.stepId, a.attempt));
    const u = usage.get(id(a.runId, a.stepId, a.attempt));
    const targets: BucketDelta[] = [
      get(run, "block", step.blockKey, at, { peer: step.blockKind, write: step.write }),
    ];
    if (step.endpoint) targets.push(get(run, "endpoint", step.endpoint, at, { write: step.write }));
    if (u) targets.push(get(run, "model", u.model, at, { peer: "model" }));
    for (const d of targets) {
      const s = d.stats;
      s.calls++;
      if (a.status === "failed") s.failures++;
      if (a.durationMs !== null) s.latency[latencyBin(a.durationMs)]!++;
      if (step.write) s.writes++;
      if (u) {
        s.tokens += u.tokens;
        s.cost += u.cost;
      }
      if (o) {
        s.outBytes += o.bytes;
        if (d.kind === "block") for (const f of o.keys ?? []) d.fields.add(f);
      }
    }
    // The flow counts its step attempts (calls per run), tokens, cost and output volume.
    if (run.workflowId) {
      const f = get(run, "flow", run.workflowId, run.finishedAt, { label: run.flowName });
      f.stats.calls++;
      if (step.write) f.stats.writes++;
      if (u) {
        f.stats.tokens += u.tokens;
        f.stats.cost += u.cost;
      }
      if (o) f.stats.outBytes += o.bytes;
    }
  }
  for (const run of input.runs) {
    if (!run.workflowId) continue;
    const f = get(run, "flow", run.workflowId, run.finishedAt, { label: run.flowName });
    if (run.status === "failed" || run.status === "compensated") f.stats.failures++;
    if (run.startedAt !== null) f.stats.latency[latencyBin(run.finishedAt - run.startedAt)]!++;
  }
  return [...out.values()];
}
