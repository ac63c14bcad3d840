/**
 * Reads the failures of a batch of finished runs as {@link FailureRecord}s: every failed attempt
 * (attempt rows and the pure steps' log alike), whether a later attempt of the step recovered,
 * the dead letter a final attempt left, and for an error that names an upstream step's output
 * (`steps.fetch.output.body.email`) that step's output in this run and in the last run where the
 * failing step succeeded. Bounded: outputs over {@link MAX_OUTPUT_BYTES} are not read, and the
 * last good outputs are read once per (flow, step) per batch.
 */
import { readFinishedAttemptsShared, type FinishedRun } from "../finished-runs";
import { readRunSignals } from "../finished-run-signals";
import type { Db } from "../types";
import { MAX_MESSAGE_CHARS, type FailureRecord } from "./fingerprint";

/** Upstream outputs larger than this are not read (the triage then has no drift evidence). */
export const MAX_OUTPUT_BYTES = 32 * 1024;
/** Failed attempts read per batch, at most (the rest of a huge batch is not grouped). */
export const MAX_FAILURES_PER_BATCH = 5000;

interface AttemptRow {
  runId: string;
  stepId: string;
  attempt: number;
  status: string;
  blockId: string;
  error: {
    name?: string;
    message?: string;
    retryable?: boolean;
    retryAfterMs?: number;
    classification?: { category?: string };
    detail?: Record<string, unknown>;
  } | null;
  finishedAt: number | null;
}

const ATTEMPTS_SQL = `
  SELECT a."runId"::text AS "runId", a."stepId", a."attempt", a."status", a."blockId",
         CASE WHEN a."status" = 'failed' THEN a."error" END AS "error",
         (extract(epoch FROM a."finishedAt") * 1000)::float8 AS "finishedAt"
    FROM "StepAttempt" a
   WHERE a."runId" = ANY($1::uuid[]) AND a."status" IN ('succeeded', 'failed')
  UNION ALL
  SELECT l."runId"::text, x."stepId", x."attempt", x."status", x."blockId",
         CASE WHEN x."status" = 'failed' THEN x."error"::jsonb END, x."finishedAt"
    FROM "RunStepLog" l,
         json_to_recordset(l."attempts") AS x("stepId" text, "attempt" int, "status" text,
           "blockId" text, "error" json, "finishedAt" float8)
   WHERE l."runId" = ANY($1::uuid[]) AND l."attempts" IS NOT NULL
     AND x."status" IN ('succeeded', 'failed')
     AND NOT EXISTS (SELECT 1 FROM "StepAttempt" a
       WHERE a."runId" = l."runId" AND a."stepId" = x."stepId" AND a."attempt" = x."attempt")
   LIMIT ${MAX_FAILURES_PER_BATCH * 4}`;

/** The succeeded output of `stepId` in each run of `$1` (rows and log), when small enough. */
const OUTPUTS_SQL = `
  SELECT a."runId"::text AS "runId", a."output"
    FROM "StepAttempt" a
   WHERE a."runId" = ANY($1::uuid[]) AND a."stepId" = $2 AND a."status" = 'succeeded'
     AND octet_length(a."output"::text) <= ${MAX_OUTPUT_BYTES}
  UNION ALL
  SELECT l."runId"::text, x."output"::jsonb
    FROM "RunStepLog" l,
         json_to_recordset(l."attempts") AS x("stepId" text, "status" text, "output" json)
   WHERE l."runId" = ANY($1::uuid[]) AND l."attempts" IS NOT NULL
     AND x."stepId" = $2 AND x."status" = 'succeeded'
     AND octet_length(x."output"::text) <= ${MAX_OUTPUT_BYTES}`;

/** The last run of a flow (before `$3`) where step `$2` succeeded: its id. */
const LAST_GOOD_SQL = `
  SELECT r.id::text AS id
    FROM "Run" r
   WHERE r."workflowId" = $1::uuid AND r."createdAt" < $3 AND r."sandboxSessionId" IS NULL
     AND (EXISTS (SELECT 1 FROM "StepAttempt" a WHERE a."runId" = r.id AND a."stepId" = $2 AND a."status" = 'succeeded')
       OR EXISTS (SELECT 1 FROM "RunStepLog" l, json_to_recordset(l."attempts") AS x("stepId" text, "status" text)
                   WHERE l."runId" = r.id AND x."stepId" = $2 AND x."status" = 'succeeded'))
   ORDER BY r."createdAt" DESC
   LIMIT 1`;

const UPSTREAM = /steps(?:\.([A-Za-z_][\w-]*)|\[['"]([^'"]+)['"]\])\.output/;

/** The upstream step an error's expression reads, if it names one. */
export function upstreamStepOf(message: string): string | undefined {
  const m = UPSTREAM.exec(message);
  return m ? (m[1] ?? m[2]) : undefined;
}

function str(v: unknown): string | null {
  return typeof v === "string" || typeof v === "number" ? String(v) : null;
}

/**
 * The failure records of `runs`, oldest first.
 *
 * @example
 * const records = await readFailures(db, runs);
 */
export async function readFailures(
  db: Pick<Db, "$queryRawUnsafe">,
  runs: readonly FinishedRun[],
): Promise<FailureRecord[]> {
  if (!runs.length) return [];
  // Most finished runs failed nothing: find the few that did before reading their attempts in
  // full, from the final attempts the other consumers of these runs read too (read once).
  const failing = new Set<string>();
  for (const a of await readFinishedAttemptsShared(db, runs))
    if (a.status === "failed") failing.add(a.runId);
  if (!failing.size) return [];
  const ids = [...failing];
  const [attempts, meta, { deadLetters }] = await Promise.all([
    db.$queryRawUnsafe<AttemptRow[]>(ATTEMPTS_SQL, ids),
    db.$queryRawUnsafe<Array<{ id: string; irHash: string; name: string | null; createdAt: Date }>>(
      `SELECT r.id::text AS id, r."irHash", w.name, r."createdAt" FROM "Run" r
         LEFT JOIN "Workflow" w ON w.id = r."workflowId" WHERE r.id = ANY($1::uuid[])`,
      ids,
    ),
    readRunSignals(db, ids, { deadLetters: true }),
  ]);
  const runById = new Map(runs.map((r) => [r.id, r]));
  const metaById = new Map(meta.map((m) => [m.id, m]));
  const succeeded = new Map<string, number>();
  const lastAttempt = new Map<string, number>();
  for (const a of attempts) {
    const k = `${a.runId}\u0000${a.stepId}`;
    lastAttempt.set(k, Math.max(lastAttempt.get(k) ?? 0, Number(a.attempt)));
    if (a.status === "succeeded") succeeded.set(k, Number(a.attempt));
  }
  const dlByStep = new Map(deadLetters.map((d) => [`${d.runId}\u0000${d.stepId}`, d.id]));
  const out: FailureRecord[] = [];
  for (const a of attempts) {
    if (a.status !== "failed" || out.length >= MAX_FAILURES_PER_BATCH) continue;
    const run = runById.get(a.runId)!;
    const m = metaById.get(a.runId);
    const k = `${a.runId}\u0000${a.stepId}`;
    const e = a.error ?? {};
    const detail = e.detail ?? {};
    const attempt = Number(a.attempt);
    const status = Number(detail.status);
    const isLast = attempt === lastAttempt.get(k);
    out.push({
      workspaceId: run.workspaceId,
      runId: a.runId,
      stepId: a.stepId,
      attempt,
      workflowId: run.workflowId,
      flowName: m?.name ?? "(unsaved flow)",
      version: run.version,
      irHash: m?.irHash ?? "",
      blockId: a.blockId,
      errorName: e.name ?? "Error",
      message: (e.message ?? "").slice(0, MAX_MESSAGE_CHARS),
      code: str(detail.code) ?? str(detail.limit) ?? str(detail.rule),
      httpStatus: Number.isInteger(status) && status >= 100 && status <= 599 ? status : null,
      category: e.classification?.category ?? null,
      retryable: e.retryable ?? false,
      retryAfterMs: typeof e.retryAfterMs === "number" ? e.retryAfterMs : null,
      deadLetterId: isLast ? (dlByStep.get(k) ?? null) : null,
      recovered: (succeeded.get(k) ?? -1) > attempt,
      at: a.finishedAt ?? run.reconciledAt.getTime(),
    });
  }
  out.sort((x, y) => x.at - y.at);
  await attachUpstream(db, out, metaById);
  return out;
}

/** Adds the upstream outputs (this run's and the last good run's) to the records that name one. */
async function attachUpstream(
  db: Pick<Db, "$queryRawUnsafe">,
  records: FailureRecord[],
  meta: Map<string, { createdAt: Date }>,
): Promise<void> {
  const byUpstream = new Map<string, FailureRecord[]>();
  for (const r of records) {
    const up = upstreamStepOf(r.message);
    if (!up || !r.workflowId) continue;
    const key = `${r.workflowId}\u0000${r.stepId}\u0000${up}`;
    byUpstream.set(key, [...(byUpstream.get(key) ?? []), r]);
  }
  for (const [key, rs] of byUpstream) {
    const [workflowId, stepId, up] = key.split("\u0000") as [string, string, string];
    const earliest = Math.min(...rs.map((r) => meta.get(r.runId)?.createdAt.getTime() ?? r.at));
    const good = await db.$queryRawUnsafe<Array<{ id: string }>>(
      LAST_GOOD_SQL,
      workflowId,
      stepId,
      new Date(earliest),
    );
    const runIds = [...new Set(rs.map((r) => r.runId)), ...good.map((g) => g.id)];
    const outputs = await db.$queryRawUnsafe<Array<{ runId: string; output: unknown }>>(
      OUTPUTS_SQL,
      runIds,
      up,
    );
    const byRun = new Map(outputs.map((o) => [o.runId, o.output]));
    const lastGood = good[0] ? byRun.get(good[0].id) : undefined;
    for (const r of rs) {
      if (!byRun.has(r.runId)) continue;
      r.upstream = {
        stepId: up,
        output: byRun.get(r.runId),
        ...(lastGood !== undefined ? { lastGoodOutput: lastGood } : {}),
      };
    }
  }
}
