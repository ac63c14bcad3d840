/**
 * Evaluation suites (issue 16, item 8; requirement "Assessor evaluation platform"): a suite is a
 * dataset version (linked by id and content hash) plus assertions checked on every row's
 * output, run against a flow or one agent block inside a sandbox session, n ≥ 3 repetitions per
 * row. Each run of a suite (an "eval run") is one variant: a model route for a block suite, a
 * flow version (or the draft) for a flow suite; two eval runs of a suite compare side by side.
 * Editors create, archive and run suites; viewers read them. Creating, archiving and running a
 * suite are ledger entries.
 *
 * This module: creating, listing, reading and archiving suites. Starting an eval run:
 * `evals-start.ts`; results and comparisons: `evals-results.ts`; execution: `evals-runner.ts`;
 * interrupted eval runs: `evals-sweep.ts`; checks: `evals-assertions.ts`; metrics:
 * `evals-metrics.ts`.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { validatorFor } from "@/dsl";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import { blockInputNames } from "./evals-blocks";
import type { EvalDeps } from "./evals-ports";
import { evalRunView, sessionNames, suiteView, type EvalSuiteView } from "./evals-records";
import {
  MAX_EVAL_SAMPLES,
  ZCreateSuiteInput,
  ZListSuitesInput,
  ZSuiteId,
  type Assertion,
  type CreateSuiteInput,
} from "./evals-schemas";

export function requireEditor(actor: Actor) {
  if (!hasRole(actor.role, "editor")) {
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace may create, archive or run suites.",
    });
  }
}

/** A dataset row as an object; a row that is not one is refused with its number. */
export function rowsOf(rows: unknown[]): Record<string, unknown>[] {
  return rows.map((r, i) => {
    if (!r || typeof r !== "object" || Array.isArray(r)) {
      throw new AppError("PRECONDITION_FAILED", {
        message: `Row ${i + 1} of the dataset version is not an object: a suite reads named columns.`,
      });
    }
    return r as Record<string, unknown>;
  });
}

/** Checks every column the suite reads exists in the dataset's first row. */
function checkColumns(
  rows: Record<string, unknown>[],
  inputMap: Record<string, string> | undefined,
  assertions: Assertion[],
) {
  const first = rows[0];
  if (!first) return;
  const wanted = [
    ...Object.values(inputMap ?? {}),
    ...assertions.flatMap((a) =>
      "expected" in a && "column" in a.expected ? [a.expected.column] : [],
    ),
  ];
  const missing = [...new Set(wanted)].filter((c) => !Object.hasOwn(first, c));
  if (missing.length) {
    throw new AppError("INVALID_INPUT", {
      message: `The dataset has no column ${missing.map((m) => `"${m}"`).join(", ")}: name columns of its rows (${Object.keys(first).slice(0, 20).join(", ")}).`,
      details: { field: "assertions" },
    });
  }
}

/** Creates a suite (editor) on a dataset version of the workspace. */
export async function createSuite(
  deps: Pick<EvalDeps, "db" | "datasets">,
  actor: Actor,
  raw: CreateSuiteInput,
): Promise<EvalSuiteView> {
  requireEditor(actor);
  const input = ZCreateSuiteInput.parse(raw);
  const { db } = deps;
  for (const [i, a] of input.assertions.entries()) {
    if (a.kind !== "json_schema") continue;
    try {
      validatorFor(a.schema as object | boolean);
    } catch (e) {
      throw new AppError("INVALID_INPUT", {
        message: `Assertion ${i + 1}: the JSON Schema does not compile: ${(e as Error).message}`,
        details: { field: "assertions" },
      });
    }
  }
  const dataset = await deps.datasets(db, actor.workspaceId, input.datasetVersionId);
  if (!dataset) {
    throw new AppError("NOT_FOUND", {
      message: "Dataset version not found in this workspace.",
      details: { field: "datasetVersionId" },
    });
  }
  const rows = rowsOf(dataset.rows);
  if (rows.length === 0) {
    throw new AppError("INVALID_INPUT", {
      message: "The dataset version has no rows to evaluate.",
      details: { field: "datasetVersionId" },
    });
  }
  if (rows.length * input.repetitions > MAX_EVAL_SAMPLES) {
    throw new AppError("INVALID_INPUT", {
      message: `${rows.length} rows × ${input.repetitions} repetitions is more than the ${MAX_EVAL_SAMPLES} samples a suite may run: use a smaller dataset version or fewer repetitions.`,
      details: { field: "repetitions" },
    });
  }
  checkColumns(rows, input.inputMap, input.assertions);
  if (input.target.kind === "flow") {
    const wf = await db.workflow.findFirst({
      where: { id: input.target.workflowId, workspaceId: actor.workspaceId, deletedAt: null },
      select: { id: true },
    });
    if (!wf) throw notFound("Workflow");
    if (input.steersRouter) {
      throw new AppError("INVALID_INPUT", {
        message: "Only a suite of one agent block can steer the model router.",
        details: { field: "steersRouter" },
      });
    }
  } else if (input.inputMap) {
    const names = new Set(blockInputNames(input.target.block));
    const unknown = Object.keys(input.inputMap).filter((k) => !names.has(k));
    if (unknown.length) {
      throw new AppError("INVALID_INPUT", {
        message: `${input.target.block} has no input ${unknown.map((u) => `"${u}"`).join(", ")}; its inputs are ${[...names].join(", ")}.`,
        details: { field: "inputMap" },
      });
    }
  }
  const row = await db.$transaction(async (tx) => {
    const created = await tx.evalSuite.create({
      data: {
        id: randomUUID(),
        workspaceId: actor.workspaceId,
        name: input.name,
        description: input.description,
        datasetVersionId: dataset.id,
        datasetHash: dataset.hash,
        target: input.target as object,
        ...(input.inputMap ? { inputMap: input.inputMap } : {}),
        assertions: input.assertions as object[],
        repetitions: input.repetitions,
        steersRouter: input.steersRouter,
        createdBy: actor.userId,
      },
    });
    await appendAudit(tx, actor, {
      action: "eval.suite.create",
      subjectType: "eval_suite",
      subjectId: created.id,
      payload: {
        name: input.name,
        datasetVersionId: dataset.id,
        datasetHash: dataset.hash,
        target:
          input.target.kind === "flow"
            ? input.target
            : { kind: "block", block: input.target.block },
        assertions: input.assertions.map((a) => a.kind),
        repetitions: input.repetitions,
        steersRouter: input.steersRouter,
      },
    });
    return created;
  });
  return suiteView(row);
}

/** The workspace's suites, newest first. */
export async function listSuites(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZListSuitesInput> = {},
): Promise<EvalSuiteView[]> {
  const input = ZListSuitesInput.parse(raw);
  const rows = await db.evalSuite.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.includeArchived ? {} : { archivedAt: null }),
    },
    orderBy: { createdAt: "desc" },
    take: 200,
  });
  return rows.map(suiteView);
}

/** The workspace's suite of this id (NOT_FOUND otherwise). */
export async function suiteOf(db: Db, actor: Actor, id: string) {
  const row = await db.evalSuite.findFirst({ where: { id, workspaceId: actor.workspaceId } });
  if (!row) throw notFound("Evaluation suite");
  return row;
}

/** One suite with its latest eval runs. */
export async function getSuite(db: Db, actor: Actor, raw: z.input<typeof ZSuiteId>) {
  const { id } = ZSuiteId.parse(raw);
  const suite = suiteView(await suiteOf(db, actor, id));
  const runs = await db.evalRun.findMany({
    where: { suiteId: id },
    orderBy: { createdAt: "desc" },
    take: 50,
  });
  const names = await sessionNames(
    db,
    runs.map((r) => r.sessionId),
  );
  return { suite, runs: runs.map((r) => evalRunView(r, names)) };
}

/** Archives a suite (editor): it stays readable, can no longer run, and steers nothing. */
export async function archiveSuite(db: Db, actor: Actor, raw: z.input<typeof ZSuiteId>) {
  requireEditor(actor);
  const { id } = ZSuiteId.parse(raw);
  const row = await suiteOf(db, actor, id);
  if (row.archivedAt) return suiteView(row);
  const updated = await db.$transaction(async (tx) => {
    const u = await tx.evalSuite.update({ where: { id }, data: { archivedAt: new Date() } });
    await appendAudit(tx, actor, {
      action: "eval.suite.archive",
      subjectType: "eval_suite",
      subjectId: id,
      payload: { name: row.name },
    });
    return u;
  });
  return suiteView(updated);
}
