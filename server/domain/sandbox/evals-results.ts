/**
 * Reading what eval runs found (issue 16, item 8): one eval run's results (row × repetition)
 * with its metrics, and two eval runs of the same suite side by side.
 */
import type { z } from "zod";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import { computeMetrics, summarize, type EvalMetrics } from "./evals-metrics";
import { evalRunView, samplesOf, sessionNames, type EvalRunRow } from "./evals-records";
import { isRunningHere } from "./evals-runner";
import { ZCompareInput, ZEvalRunId } from "./evals-schemas";

/** One eval run with its results (row × repetition), its suite and its metrics. */
export async function getEvalRun(db: Db, actor: Actor, raw: z.input<typeof ZEvalRunId>) {
  const { id } = ZEvalRunId.parse(raw);
  const run = await db.evalRun.findFirst({ where: { id, workspaceId: actor.workspaceId } });
  if (!run) throw notFound("Eval run");
  const results = await db.evalResult.findMany({
    where: { evalRunId: id },
    orderBy: [{ rowIndex: "asc" }, { repetition: "asc" }],
    take: 5_000,
  });
  const view = evalRunView(run, await sessionNames(db, [run.sessionId]));
  // A running eval run's metrics so far (the stored summary comes at its end).
  const summary = view.summary ?? (results.length ? summarize(await samplesOf(db, id)) : null);
  return {
    run: { ...view, summary, runningHere: isRunningHere(id) },
    results: results.map((r) => ({
      rowIndex: r.rowIndex,
      repetition: r.repetition,
      runId: r.runId,
      runStatus: r.runStatus,
      passed: r.passed,
      checks: r.checks as Array<{ kind: string; path: string; pass: boolean; message: string }>,
      route: r.route,
      costUsd: Number(r.costUsd),
      tokensIn: r.tokensIn,
      tokensOut: r.tokensOut,
      latencyMs: r.latencyMs,
      output: r.output,
      error: r.error,
    })),
  };
}

/** Per-row outcome of one side of a comparison. */
interface RowSide {
  passed: number;
  runs: number;
  first: boolean | null;
}

/**
 * Two eval runs of the same suite (the same dataset hash) side by side: each one's metrics,
 * per-route metrics, and per row how many repetitions passed on each side, with the rows whose
 * outcome differs.
 */
export async function compareEvalRuns(db: Db, actor: Actor, raw: z.input<typeof ZCompareInput>) {
  const input = ZCompareInput.parse(raw);
  const runs = await db.evalRun.findMany({
    where: { id: { in: [input.a, input.b] }, workspaceId: actor.workspaceId },
  });
  const a = runs.find((r) => r.id === input.a);
  const b = runs.find((r) => r.id === input.b);
  if (!a || !b) throw notFound("Eval run");
  if (a.suiteId !== b.suiteId || a.datasetHash !== b.datasetHash) {
    throw new AppError("INVALID_INPUT", {
      message: "Compare two runs of the same suite (the same dataset version).",
      details: { field: "b" },
    });
  }
  const [sa, sb] = await Promise.all([samplesOf(db, a.id), samplesOf(db, b.id)]);
  const perRow = (samples: typeof sa) => {
    const m = new Map<number, RowSide>();
    for (const s of samples) {
      const r = m.get(s.rowIndex) ?? { passed: 0, runs: 0, first: null };
      r.runs++;
      if (s.passed) r.passed++;
      if (s.repetition === 0) r.first = s.passed;
      m.set(s.rowIndex, r);
    }
    return m;
  };
  const ra = perRow(sa);
  const rb = perRow(sb);
  const indices = [...new Set([...ra.keys(), ...rb.keys()])].sort((x, y) => x - y);
  const rows = indices.map((i) => {
    const x = ra.get(i) ?? null;
    const y = rb.get(i) ?? null;
    const all = (s: RowSide | null) => (s ? s.runs > 0 && s.passed === s.runs : false);
    return { rowIndex: i, a: x, b: y, differs: all(x) !== all(y) };
  });
  const names = await sessionNames(db, [a.sessionId, b.sessionId]);
  const side = (r: EvalRunRow, samples: typeof sa) => {
    const summary = summarize(samples);
    return { run: evalRunView(r, names), metrics: summary.overall, byRoute: summary.byRoute };
  };
  const delta = (x: EvalMetrics, y: EvalMetrics) => ({
    passAt1: y.passAt1 - x.passAt1,
    passHatN: y.passHatN - x.passHatN,
    flakyRate: y.flakyRate - x.flakyRate,
    costUsd: y.costUsd - x.costUsd,
    latencyP50Ms: y.latencyP50Ms - x.latencyP50Ms,
  });
  const ma = computeMetrics(sa);
  const mb = computeMetrics(sb);
  return {
    datasetHash: a.datasetHash,
    a: side(a, sa),
    b: side(b, sb),
    delta: delta(ma, mb),
    rows,
  };
}
