/**
 * The stored suites, eval runs and samples of the evaluation suites read back: suites and eval
 * runs as the API shows them (their JSON columns through their schemas), session names, variant
 * labels, and an eval run's samples as the metrics (`evals-metrics.ts`) read them.
 */
import { AppError } from "../errors";
import type { Db } from "../types";
import type { EvalSummary, Sample } from "./evals-metrics";
import {
  ZAssertion,
  ZEvalTarget,
  ZEvalVariant,
  ZInputMap,
  type Assertion,
  type EvalTarget,
  type EvalVariant,
} from "./evals-schemas";

interface SuiteRow {
  id: string;
  name: string;
  description: string;
  datasetVersionId: string;
  datasetHash: string;
  target: unknown;
  inputMap: unknown;
  assertions: unknown;
  repetitions: number;
  steersRouter: boolean;
  createdBy: string;
  createdAt: Date;
  archivedAt: Date | null;
}

/** A suite as the API shows it. */
export interface EvalSuiteView {
  id: string;
  name: string;
  description: string;
  datasetVersionId: string;
  datasetHash: string;
  target: EvalTarget;
  inputMap: Record<string, string> | null;
  assertions: Assertion[];
  repetitions: number;
  steersRouter: boolean;
  createdBy: string;
  createdAt: Date;
  archivedAt: Date | null;
}

/** Stored JSON read back through its schema (rows written by this module always pass). */
export function suiteView(row: SuiteRow): EvalSuiteView {
  const target = ZEvalTarget.safeParse(row.target);
  const assertions = ZAssertion.array().safeParse(row.assertions);
  const inputMap = ZInputMap.safeParse(row.inputMap);
  if (!target.success || !assertions.success) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `The stored suite ${row.name} is unreadable; create it again.`,
    });
  }
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    datasetVersionId: row.datasetVersionId,
    datasetHash: row.datasetHash,
    target: target.data,
    inputMap: row.inputMap && inputMap.success ? inputMap.data : null,
    assertions: assertions.data,
    repetitions: row.repetitions,
    steersRouter: row.steersRouter,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    archivedAt: row.archivedAt,
  };
}

export interface EvalRunRow {
  id: string;
  suiteId: string;
  sessionId: string;
  variant: unknown;
  label: string;
  datasetHash: string;
  status: string;
  total: number;
  done: number;
  error: string | null;
  summary: unknown;
  startedBy: string;
  heartbeatAt: Date;
  createdAt: Date;
  finishedAt: Date | null;
}

/** An eval run as the API shows it. */
export interface EvalRunView {
  id: string;
  suiteId: string;
  sessionId: string;
  /** The session's name (null once the session is gone). */
  sessionName: string | null;
  variant: EvalVariant;
  label: string;
  datasetHash: string;
  status: "running" | "completed" | "failed" | "interrupted";
  total: number;
  done: number;
  error: string | null;
  summary: EvalSummary | null;
  startedBy: string;
  createdAt: Date;
  finishedAt: Date | null;
}

/** The names of sessions, by id. */
export async function sessionNames(db: Db, ids: string[]): Promise<Map<string, string>> {
  const rows = await db.sandboxSession.findMany({
    where: { id: { in: [...new Set(ids)] } },
    select: { id: true, name: true },
  });
  return new Map(rows.map((r) => [r.id, r.name]));
}

export function evalRunView(r: EvalRunRow, names: Map<string, string> = new Map()): EvalRunView {
  const variant = ZEvalVariant.safeParse(r.variant);
  return {
    id: r.id,
    suiteId: r.suiteId,
    sessionId: r.sessionId,
    sessionName: names.get(r.sessionId) ?? null,
    variant: variant.success ? variant.data : {},
    label: r.label,
    datasetHash: r.datasetHash,
    status: r.status as EvalRunView["status"],
    total: r.total,
    done: r.done,
    error: r.error,
    summary: (r.summary as EvalSummary | null) ?? null,
    startedBy: r.startedBy,
    createdAt: r.createdAt,
    finishedAt: r.finishedAt,
  };
}

/** How a variant is named in charts and comparisons. */
export function variantLabel(target: EvalTarget, v: EvalVariant): string {
  if (target.kind === "block") return v.route ? `route ${v.route}` : "default route";
  if (v.version) return `version ${v.version}`;
  return v.draft ? "draft" : "latest version";
}

/** The samples recorded for an eval run, as the metrics read them. */
export async function samplesOf(db: Db, evalRunId: string): Promise<Sample[]> {
  const rows = await db.evalResult.findMany({
    where: { evalRunId },
    select: {
      rowIndex: true,
      repetition: true,
      passed: true,
      route: true,
      costUsd: true,
      latencyMs: true,
      tokensIn: true,
      tokensOut: true,
    },
    orderBy: [{ rowIndex: "asc" }, { repetition: "asc" }],
  });
  return rows.map((r) => ({ ...r, costUsd: Number(r.costUsd) }));
}
