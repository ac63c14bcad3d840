/**
 * Datasets of sandbox sessions (issue 16): named per workspace, in immutable, content-hashed
 * versions (1, 2, ...). A version's hash is the SHA-256 of its rows' canonical JSON (`@/dsl`), so
 * the same rows given again return the version that holds them instead of a new one.
 *
 * Rows come from an upload (CSV or JSON Lines: `datasets-parse.ts`), are generated from a block's
 * input or output JSON Schema (seeded: the same seed gives the same rows), or are recorded from a
 * flow's runs (their inputs and output, or one step's), redacted of the workspace's secrets and
 * of URL credentials by the engine's one redactor before they are stored. Every version meets
 * {@link DATASET_LIMITS}; bad input is refused with the line or row named and nothing is stored.
 *
 * Editors create, add versions and archive; viewers list, browse and diff. Create, each new
 * version and archive are ledger entries. An archived dataset takes no new versions; its
 * versions stay readable (sessions and evaluation suites refer to them by id).
 */
import { canonicalJson, sha256Hex } from "@/dsl";
import type { AttemptRecord } from "@/server/engine/types";
import { redactSecrets } from "@/server/engine/redact";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import { serverRegistry } from "../workflow/compile-flow";
import type { DatasetDeps } from "./dataset-ports";
import {
  checkRows,
  DATASET_LIMITS,
  parseCsv,
  parseJsonl,
  type DatasetColumn,
  type DatasetRow,
} from "./datasets-parse";
import {
  ZCreateDatasetInput,
  ZDatasetId,
  ZDatasetRowsInput,
  ZDatasetVersionsInput,
  ZDiffDatasetInput,
  ZGenerateDatasetInput,
  ZListDatasetsInput,
  ZRecordDatasetInput,
  ZUploadDatasetInput,
  type CreateDatasetInput,
  type DiffDatasetInput,
  type GenerateDatasetInput,
  type RecordDatasetInput,
  type UploadDatasetInput,
} from "./datasets-schemas";
import { randomUUID } from "node:crypto";
import type { z } from "zod";

export { DATASET_LIMITS } from "./datasets-parse";

export type DatasetSource = "upload-csv" | "upload-jsonl" | "generated" | "recorded";

/** Datasets one workspace may hold (archived ones included). */
export const DATASETS_PER_WORKSPACE = 500;
/** Versions one dataset may hold. */
export const VERSIONS_PER_DATASET = 1000;

export interface DatasetView {
  id: string;
  name: string;
  description: string;
  createdBy: string;
  createdAt: Date;
  archivedAt: Date | null;
  /** The newest version (number, id, rows), or null before the first. */
  latest: { id: string; version: number; rowCount: number; hash: string } | null;
  versionCount: number;
}

/** A version without its rows. */
export interface DatasetVersionView {
  id: string;
  datasetId: string;
  version: number;
  hash: string;
  rowCount: number;
  columns: DatasetColumn[];
  source: DatasetSource;
  sourceRef: string | null;
  createdBy: string;
  createdAt: Date;
}

/** What adding rows gives: the version that holds them, and whether it is new. */
export interface AddVersionResult {
  version: DatasetVersionView;
  created: boolean;
  /** Recorded runs left out because their row passed the per-row bounds. */
  skipped?: number;
}

function requireEditor(actor: Actor) {
  if (!hasRole(actor.role, "editor")) {
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace may change datasets.",
    });
  }
}

/** The hash of a version's rows: SHA-256 of their canonical JSON. */
export function hashRows(rows: readonly unknown[]): string {
  return sha256Hex(canonicalJson(rows));
}

function columnsOf(raw: unknown): DatasetColumn[] {
  return Array.isArray(raw) ? (raw as DatasetColumn[]) : [];
}

function rowsOf(raw: unknown): DatasetRow[] {
  return Array.isArray(raw) ? (raw as DatasetRow[]) : [];
}

type VersionRow = {
  id: string;
  datasetId: string;
  version: number;
  hash: string;
  rowCount: number;
  columns: unknown;
  source: string;
  sourceRef: string | null;
  createdBy: string;
  createdAt: Date;
};

function versionView(v: VersionRow): DatasetVersionView {
  return {
    id: v.id,
    datasetId: v.datasetId,
    version: v.version,
    hash: v.hash,
    rowCount: v.rowCount,
    columns: columnsOf(v.columns),
    source: v.source as DatasetSource,
    sourceRef: v.sourceRef,
    createdBy: v.createdBy,
    createdAt: v.createdAt,
  };
}

const VERSION_SELECT = {
  id: true,
  datasetId: true,
  version: true,
  hash: true,
  rowCount: true,
  columns: true,
  source: true,
  sourceRef: true,
  createdBy: true,
  createdAt: true,
} as const;

async function datasetOf(db: Db, workspaceId: string, id: string) {
  const row = await db.dataset.findFirst({ where: { id, workspaceId } });
  if (!row) throw notFound("Dataset");
  return row;
}

async function versionOf(db: Db, workspaceId: string, id: string) {
  const row = await db.datasetVersion.findFirst({ where: { id, workspaceId } });
  if (!row) throw notFound("Dataset version");
  return row;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

/** Creates an empty dataset (editor); its rows arrive as versions. */
export async function createDataset(
  db: Db,
  actor: Actor,
  raw: CreateDatasetInput,
): Promise<DatasetView> {
  requireEditor(actor);
  const input = ZCreateDatasetInput.parse(raw);
  const count = await db.dataset.count({ where: { workspaceId: actor.workspaceId } });
  if (count >= DATASETS_PER_WORKSPACE) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `A workspace holds at most ${DATASETS_PER_WORKSPACE} datasets.`,
    });
  }
  try {
    const row = await db.$transaction(async (tx) => {
      const created = await tx.dataset.create({
        data: {
          id: randomUUID(),
          workspaceId: actor.workspaceId,
          name: input.name,
          description: input.description,
          createdBy: actor.userId,
        },
      });
      await appendAudit(tx, actor, {
        action: "dataset.create",
        subjectType: "dataset",
        subjectId: created.id,
        payload: { name: input.name },
      });
      return created;
    });
    return { ...row, latest: null, versionCount: 0 };
  } catch (err) {
    if (isUniqueViolation(err)) {
      throw new AppError("CONFLICT", {
        message: `A dataset named "${input.name}" exists in this workspace: pick another name.`,
        details: { field: "name" },
      });
    }
    throw err;
  }
}

async function withLatest(
  db: Db,
  rows: {
    id: string;
    name: string;
    description: string;
    createdBy: string;
    createdAt: Date;
    archivedAt: Date | null;
  }[],
): Promise<DatasetView[]> {
  if (rows.length === 0) return [];
  const ids = rows.map((r) => r.id);
  const [latest, counts] = await Promise.all([
    db.datasetVersion.findMany({
      where: { datasetId: { in: ids } },
      orderBy: [{ datasetId: "asc" }, { version: "desc" }],
      distinct: ["datasetId"],
      select: { id: true, datasetId: true, version: true, rowCount: true, hash: true },
    }),
    db.datasetVersion.groupBy({
      by: ["datasetId"],
      where: { datasetId: { in: ids } },
      _count: { _all: true },
    }),
  ]);
  const latestOf = new Map(latest.map((l) => [l.datasetId, l]));
  const countOf = new Map(counts.map((c) => [c.datasetId, c._count._all]));
  return rows.map((r) => {
    const l = latestOf.get(r.id);
    return {
      id: r.id,
      name: r.name,
      description: r.description,
      createdBy: r.createdBy,
      createdAt: r.createdAt,
      archivedAt: r.archivedAt,
      latest: l ? { id: l.id, version: l.version, rowCount: l.rowCount, hash: l.hash } : null,
      versionCount: countOf.get(r.id) ?? 0,
    };
  });
}

/** The workspace's datasets, newest first (archived ones on request). */
export async function listDatasets(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZListDatasetsInput> = {},
): Promise<DatasetView[]> {
  const input = ZListDatasetsInput.parse(raw);
  const rows = await db.dataset.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.includeArchived ? {} : { archivedAt: null }),
    },
    orderBy: { createdAt: "desc" },
    take: DATASETS_PER_WORKSPACE,
  });
  return withLatest(db, rows);
}

/** One dataset of the workspace. */
export async function getDataset(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZDatasetId>,
): Promise<DatasetView> {
  const { id } = ZDatasetId.parse(raw);
  const [view] = await withLatest(db, [await datasetOf(db, actor.workspaceId, id)]);
  return view!;
}

/** A dataset's versions, newest first, without their rows. */
export async function listDatasetVersions(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZDatasetVersionsInput>,
): Promise<DatasetVersionView[]> {
  const { datasetId } = ZDatasetVersionsInput.parse(raw);
  await datasetOf(db, actor.workspaceId, datasetId);
  const rows = await db.datasetVersion.findMany({
    where: { datasetId, workspaceId: actor.workspaceId },
    orderBy: { version: "desc" },
    select: VERSION_SELECT,
    take: VERSIONS_PER_DATASET,
  });
  return rows.map(versionView);
}

/** One page of a version's rows, in their stored order. */
export async function datasetRows(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZDatasetRowsInput>,
): Promise<{ version: DatasetVersionView; offset: number; rows: DatasetRow[]; total: number }> {
  const input = ZDatasetRowsInput.parse(raw);
  const v = await versionOf(db, actor.workspaceId, input.versionId);
  const rows = rowsOf(v.rows);
  return {
    version: versionView(v),
    offset: input.offset,
    rows: rows.slice(input.offset, input.offset + input.limit),
    total: rows.length,
  };
}

/**
 * A dataset version's rows, for the eval suites and sessions: null when it is not the
 * workspace's. Versions are immutable, so what this returns for an id never changes.
 */
export async function loadDatasetVersion(
  db: Db,
  workspaceId: string,
  versionId: string,
): Promise<{
  id: string;
  datasetId: string;
  version: number;
  hash: string;
  rows: DatasetRow[];
} | null> {
  if (!/^[0-9a-f-]{36}$/i.test(versionId)) return null;
  const v = await db.datasetVersion.findFirst({
    where: { id: versionId, workspaceId },
    select: { id: true, datasetId: true, version: true, hash: true, rows: true },
  });
  if (!v) return null;
  return {
    id: v.id,
    datasetId: v.datasetId,
    version: v.version,
    hash: v.hash,
    rows: rowsOf(v.rows),
  };
}

/**
 * Stores `rows` as the dataset's next version, or returns the version that already holds the
 * same rows (same hash). Checks every bound first: nothing is stored on bad input.
 */
async function addVersion(
  db: Db,
  actor: Actor,
  datasetId: string,
  rows: DatasetRow[],
  source: DatasetSource,
  sourceRef: string | null,
): Promise<AddVersionResult> {
  const dataset = await datasetOf(db, actor.workspaceId, datasetId);
  if (dataset.archivedAt) {
    throw new AppError("PRECONDITION_FAILED", {
      message: "This dataset is archived: it takes no new versions.",
    });
  }
  const columns = checkRows(rows);
  const hash = hashRows(rows);
  const existing = await db.datasetVersion.findFirst({
    where: { datasetId, hash },
    select: VERSION_SELECT,
  });
  if (existing) return { version: versionView(existing), created: false };
  try {
    const created = await db.$transaction(async (tx) => {
      const last = await tx.datasetVersion.findFirst({
        where: { datasetId },
        orderBy: { version: "desc" },
        select: { version: true },
      });
      const version = (last?.version ?? 0) + 1;
      if (version > VERSIONS_PER_DATASET) {
        throw new AppError("PRECONDITION_FAILED", {
          message: `A dataset holds at most ${VERSIONS_PER_DATASET} versions: create another dataset.`,
        });
      }
      const v = await tx.datasetVersion.create({
        data: {
          id: randomUUID(),
          datasetId,
          workspaceId: actor.workspaceId,
          version,
          hash,
          rows: rows as object[],
          rowCount: rows.length,
          columns: columns as unknown as object[],
          source,
          sourceRef,
          createdBy: actor.userId,
        },
        select: VERSION_SELECT,
      });
      await appendAudit(tx, actor, {
        action: "dataset.upload",
        subjectType: "dataset",
        subjectId: datasetId,
        payload: {
          name: dataset.name,
          versionId: v.id,
          version,
          hash,
          rowCount: rows.length,
          source,
          ...(sourceRef ? { sourceRef } : {}),
        },
      });
      return v;
    });
    return { version: versionView(created), created: true };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
    // Someone stored a version at the same time: the same rows, or another number.
    const same = await db.datasetVersion.findFirst({
      where: { datasetId, hash },
      select: VERSION_SELECT,
    });
    if (same) return { version: versionView(same), created: false };
    throw new AppError("CONFLICT", {
      message: "Another version of this dataset was added at the same time: try again.",
    });
  }
}

/** Adds a version from an uploaded CSV or JSON Lines text (editor). */
export async function uploadDataset(
  db: Db,
  actor: Actor,
  raw: UploadDatasetInput,
): Promise<AddVersionResult> {
  requireEditor(actor);
  const input = ZUploadDatasetInput.parse(raw);
  if (input.format === "jsonl" && Object.keys(input.columnTypes).length > 0) {
    throw new AppError("INVALID_INPUT", {
      message: "Column types are for CSV; JSON Lines carry their own types.",
      details: { field: "columnTypes" },
    });
  }
  await datasetOf(db, actor.workspaceId, input.datasetId);
  const rows =
    input.format === "csv" ? parseCsv(input.text, input.columnTypes) : parseJsonl(input.text);
  return addVersion(
    db,
    actor,
    input.datasetId,
    rows,
    input.format === "csv" ? "upload-csv" : "upload-jsonl",
    null,
  );
}

/**
 * Adds a version of `count` rows valid against a block's input or output schema (editor). Row
 * `i` is generated with the seed `dataset:<seed>:<block>@<major>:<side>:<i>`, so the same seed
 * gives the same rows. A value that is not an object (an output that is a string) becomes
 * `{ "value": ... }`.
 */
export async function generateDataset(
  db: Db,
  deps: DatasetDeps,
  actor: Actor,
  raw: GenerateDatasetInput,
): Promise<AddVersionResult> {
  requireEditor(actor);
  const input = ZGenerateDatasetInput.parse(raw);
  await datasetOf(db, actor.workspaceId, input.datasetId);
  const registry = deps.registry?.() ?? serverRegistry();
  const block = registry.get(input.block, input.major);
  if (!block) {
    throw new AppError("INVALID_INPUT", {
      message: `No block ${input.block}${input.major !== undefined ? `@${input.major}` : ""} in the registry.`,
      details: { field: "block" },
    });
  }
  const major = Number(block.version.split(".")[0]);
  const schema = input.side === "input" ? block.inputSchema : block.outputSchema;
  const rows: DatasetRow[] = [];
  for (let i = 0; i < input.count; i++) {
    const answer = deps.valueForSchema(
      schema as object,
      `dataset:${input.seed}:${block.id}@${major}:${input.side}:${i}`,
    );
    if (!answer.valid) {
      throw new AppError("INVALID_INPUT", {
        message: `The ${input.side} schema of ${block.id}@${major} is beyond the generator: ${answer.errors.slice(0, 3).join("; ")}`,
        details: { field: "block" },
      });
    }
    const v = answer.value;
    rows.push(
      typeof v === "object" && v !== null && !Array.isArray(v) ? (v as DatasetRow) : { value: v },
    );
  }
  return addVersion(
    db,
    actor,
    input.datasetId,
    rows,
    "generated",
    `${block.id}@${major}#${input.side}?seed=${input.seed}&count=${input.count}`,
  );
}

const FINISHED = ["succeeded", "failed", "cancelled", "compensated"] as const;
/** Runs whose attempts are read at once when recording a step. */
const RECORD_BATCH = 8;

/**
 * Adds a version recorded from a flow's runs, newest first (editor): per run
 * `{ runId, status, inputs, output }`, or with `stepId` the step's last attempt
 * `{ runId, stepId, attempt, status, inputs, output }`. Every row is redacted of the workspace's
 * secrets and of URL credentials (the engine's redactor) before it is stored; rows past the
 * per-row bounds are left out and counted in `skipped`.
 */
export async function recordDataset(
  db: Db,
  deps: DatasetDeps,
  actor: Actor,
  raw: RecordDatasetInput,
): Promise<AddVersionResult> {
  requireEditor(actor);
  const input = ZRecordDatasetInput.parse(raw);
  await datasetOf(db, actor.workspaceId, input.datasetId);
  const flow = await db.workflow.findFirst({
    where: { id: input.workflowId, workspaceId: actor.workspaceId },
    select: { id: true, name: true },
  });
  if (!flow) throw notFound("Flow");
  const runs = await db.run.findMany({
    where: {
      workspaceId: actor.workspaceId,
      workflowId: flow.id,
      status: input.status === "succeeded" ? "succeeded" : { in: [...FINISHED] },
    },
    orderBy: { createdAt: "desc" },
    take: input.limit,
    select: { id: true, status: true, inputs: true, output: true },
  });
  let rows: DatasetRow[];
  if (input.stepId) {
    // The step's last attempt per run, through the engine's store (attempts live in rows and
    // in logged batches); a few runs at a time.
    const byRun = new Map<string, AttemptRecord>();
    for (let i = 0; i < runs.length; i += RECORD_BATCH) {
      const batch = runs.slice(i, i + RECORD_BATCH);
      const lists = await Promise.all(batch.map((r) => deps.runs.listAttempts(r.id)));
      lists.forEach((attempts, k) => {
        let last: AttemptRecord | undefined;
        for (const a of attempts) {
          if (a.stepId === input.stepId && (!last || a.attempt > last.attempt)) last = a;
        }
        if (last) byRun.set(batch[k]!.id, last);
      });
    }
    rows = runs.flatMap((r) => {
      const a = byRun.get(r.id);
      if (!a) return [];
      return [
        {
          runId: r.id,
          stepId: input.stepId,
          attempt: a.attempt,
          status: a.status,
          inputs: a.inputs ?? null,
          output: a.output ?? null,
        },
      ];
    });
  } else {
    rows = runs.map((r) => ({
      runId: r.id,
      status: r.status,
      inputs: r.inputs ?? null,
      output: r.output ?? null,
    }));
  }
  if (rows.length === 0) {
    throw new AppError("PRECONDITION_FAILED", {
      message: input.stepId
        ? `No ${input.status} run of "${flow.name}" has a step "${input.stepId}" to record.`
        : `"${flow.name}" has no ${input.status} runs to record.`,
    });
  }
  const secrets = await deps.secretValues(actor.workspaceId);
  const redacted = rows.map((r) => redactSecrets(r, secrets));
  // A row past the per-row bounds (bytes, nesting, columns) is left out, not the whole call.
  const fitting = redacted.filter((r) => {
    try {
      checkRows([r]);
      return true;
    } catch {
      return false;
    }
  });
  if (fitting.length === 0) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `Every recorded row exceeds the per-row bounds (${DATASET_LIMITS.rowBytes} bytes, ${DATASET_LIMITS.depth} levels of nesting, ${DATASET_LIMITS.columns} columns): nothing to store.`,
    });
  }
  const result = await addVersion(
    db,
    actor,
    input.datasetId,
    fitting,
    "recorded",
    `${flow.id}${input.stepId ? `#${input.stepId}` : ""}`,
  );
  return { ...result, skipped: redacted.length - fitting.length };
}

/** Archives a dataset (editor): it takes no new versions; its versions stay readable. */
export async function archiveDataset(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZDatasetId>,
): Promise<DatasetView> {
  requireEditor(actor);
  const { id } = ZDatasetId.parse(raw);
  const row = await datasetOf(db, actor.workspaceId, id);
  if (!row.archivedAt) {
    await db.$transaction(async (tx) => {
      await tx.dataset.update({ where: { id }, data: { archivedAt: new Date() } });
      await appendAudit(tx, actor, {
        action: "dataset.archive",
        subjectType: "dataset",
        subjectId: id,
        payload: { name: row.name },
      });
    });
  }
  return getDataset(db, actor, { id });
}

export interface DiffItem {
  kind: "added" | "removed" | "changed";
  /** The key column's value (key mode). */
  key?: string;
  before?: DatasetRow;
  after?: DatasetRow;
  /** Columns whose values differ (changed rows). */
  columns?: string[];
}

export interface DatasetDiff {
  mode: "key" | "hash";
  key: string | null;
  from: { id: string; version: number; hash: string };
  to: { id: string; version: number; hash: string };
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
  /** One page of the differences: removed, then changed (both in `from`'s order), then added. */
  items: DiffItem[];
  offset: number;
  total: number;
}

function keyOf(row: DatasetRow, key: string, version: number, index: number): string {
  const v = Object.hasOwn(row, key) ? row[key] : undefined;
  if (v === undefined || v === null || typeof v === "object") {
    throw new AppError("INVALID_INPUT", {
      message: `Row ${index + 1} of version ${version} has no "${key}" value to match rows by.`,
      details: { field: "key" },
    });
  }
  return String(v);
}

function keyed(rows: DatasetRow[], key: string, version: number): Map<string, DatasetRow> {
  const out = new Map<string, DatasetRow>();
  rows.forEach((row, i) => {
    const k = keyOf(row, key, version, i);
    if (out.has(k)) {
      throw new AppError("INVALID_INPUT", {
        message: `"${key}" is not unique in version ${version} (row ${i + 1} repeats "${k}"): diff by row hash instead.`,
        details: { field: "key" },
      });
    }
    out.set(k, row);
  });
  return out;
}

function changedColumns(a: DatasetRow, b: DatasetRow): string[] {
  const names = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...names].filter(
    (n) =>
      canonicalJson(Object.hasOwn(a, n) ? a[n] : undefined) !==
      canonicalJson(Object.hasOwn(b, n) ? b[n] : undefined),
  );
}

/**
 * Compares two versions of the workspace (of any datasets): rows added, removed and, with a
 * `key` column, changed (same key, other values); without a key rows are matched by their hash
 * (a changed row shows as removed plus added), duplicates counted.
 */
export async function diffDatasetVersions(
  db: Db,
  actor: Actor,
  raw: DiffDatasetInput,
): Promise<DatasetDiff> {
  const input = ZDiffDatasetInput.parse(raw);
  const [a, b] = await Promise.all([
    versionOf(db, actor.workspaceId, input.fromVersionId),
    versionOf(db, actor.workspaceId, input.toVersionId),
  ]);
  const from = rowsOf(a.rows);
  const to = rowsOf(b.rows);
  const removed: DiffItem[] = [];
  const changed: DiffItem[] = [];
  const added: DiffItem[] = [];
  let unchanged = 0;
  if (input.key) {
    const before = keyed(from, input.key, a.version);
    const after = keyed(to, input.key, b.version);
    for (const [k, row] of before) {
      const next = after.get(k);
      if (!next) removed.push({ kind: "removed", key: k, before: row });
      else if (canonicalJson(row) === canonicalJson(next)) unchanged++;
      else {
        changed.push({
          kind: "changed",
          key: k,
          before: row,
          after: next,
          columns: changedColumns(row, next),
        });
      }
    }
    for (const [k, row] of after)
      if (!before.has(k)) added.push({ kind: "added", key: k, after: row });
  } else {
    // Multisets of row hashes: each row of `to` consumes one equal row of `from`.
    const pool = new Map<string, number>();
    const toHashes = to.map((row) => hashRows([row]));
    for (const h of toHashes) pool.set(h, (pool.get(h) ?? 0) + 1);
    const fromCounts = new Map<string, number>();
    for (const row of from) {
      const h = hashRows([row]);
      const left = pool.get(h) ?? 0;
      if (left > 0) {
        pool.set(h, left - 1);
        unchanged++;
        fromCounts.set(h, (fromCounts.get(h) ?? 0) + 1);
      } else removed.push({ kind: "removed", before: row });
    }
    for (const [i, row] of to.entries()) {
      const h = toHashes[i]!;
      const matched = fromCounts.get(h) ?? 0;
      if (matched > 0) fromCounts.set(h, matched - 1);
      else added.push({ kind: "added", after: row });
    }
  }
  const all = [...removed, ...changed, ...added];
  return {
    mode: input.key ? "key" : "hash",
    key: input.key ?? null,
    from: { id: a.id, version: a.version, hash: a.hash },
    to: { id: b.id, version: b.version, hash: b.hash },
    added: added.length,
    removed: removed.length,
    changed: changed.length,
    unchanged,
    items: all.slice(input.offset, input.offset + input.limit),
    offset: input.offset,
    total: all.length,
  };
}
