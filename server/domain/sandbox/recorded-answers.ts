/**
 * Recorded answers (issue 16, item 9): the answer each attempt of a connector or model step got,
 * written by the run store with the attempt's finish (`server/engine/recorded-answer.ts`,
 * redacted like run data, capped at 256 KB). Here: reading a run's answers, the request key a
 * connector answer is matched by, and the retention sweep (14 days by default,
 * `RECORDED_ANSWER_RETENTION_DAYS`), which deletes older answers in bounded batches.
 */
import { createHash } from "node:crypto";
import { startBackgroundLoop, type BackgroundLoop } from "../background-loop";
import type { Db } from "../types";

/** Default retention of recorded answers, in days. */
export const DEFAULT_ANSWER_RETENTION_DAYS = 14;
/** Answers one sweep deletes at most (the rest wait for the next one). */
export const ANSWER_SWEEP_BATCH = 1000;
/** Recorded answers read per run, at most. */
export const MAX_ANSWERS_PER_RUN = 2000;
/** Bytes of recorded answers read per run, at most (each answer is at most 256 KB). */
export const MAX_ANSWER_BYTES_PER_RUN = 16 * 1024 * 1024;

/** One attempt's recorded answer, as stored. */
export interface RecordedAnswerRow {
  runId: string;
  stepId: string;
  attempt: number;
  kind: "connector" | "model";
  blockId: string;
  /** `{ ok, output | error, calls? }`, or `{ truncated: true, bytes, text }` past 256 KB. */
  answer: unknown;
  bytes: number;
  truncated: boolean;
  createdAt: Date;
}

/** JSON with object keys sorted, so equal values give equal text whatever their key order. */
export function canonicalJson(value: unknown, depth = 0): string {
  if (depth > 64) return '"[too deep]"';
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v, depth + 1)).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v, depth + 1)}`).join(",")}}`;
}

/** The key a connector answer is matched by: the operation (block id) and its request (inputs). */
export function requestHash(blockId: string, inputs: unknown): string {
  return `sha256:${createHash("sha256")
    .update(blockId)
    .update("\u0000")
    .update(canonicalJson(inputs ?? {}))
    .digest("hex")}`;
}

const ANSWER_ORDER = [
  { createdAt: "asc" as const },
  { stepId: "asc" as const },
  { attempt: "asc" as const },
];

/**
 * A run's recorded answers in the order they were recorded (the caller checked the run's
 * workspace), at most {@link MAX_ANSWERS_PER_RUN} and {@link MAX_ANSWER_BYTES_PER_RUN}: their
 * sizes are read first, then only the answers that fit. `left` counts those left out.
 */
export async function listRunAnswers(
  db: Db,
  runId: string,
  maxBytes = MAX_ANSWER_BYTES_PER_RUN,
): Promise<RecordedAnswerRow[] & { left?: number }> {
  const sizes = await db.recordedAnswer.findMany({
    where: { runId },
    orderBy: ANSWER_ORDER,
    select: { bytes: true },
    take: MAX_ANSWERS_PER_RUN + 1,
  });
  let take = 0;
  let total = 0;
  for (const s of sizes.slice(0, MAX_ANSWERS_PER_RUN)) {
    if (total + s.bytes > maxBytes) break;
    total += s.bytes;
    take++;
  }
  const rows = take
    ? await db.recordedAnswer.findMany({ where: { runId }, orderBy: ANSWER_ORDER, take })
    : [];
  const out: RecordedAnswerRow[] & { left?: number } = rows.map((r) => ({
    ...r,
    kind: r.kind === "model" ? "model" : "connector",
  }));
  out.left = sizes.length - take;
  return out;
}

/**
 * Deletes recorded answers older than `retentionDays` (at most {@link ANSWER_SWEEP_BATCH} per
 * call, oldest first). Returns how many it deleted: a full batch means more may be due.
 */
export async function sweepRecordedAnswers(
  db: Db,
  opts: { retentionDays: number; now?: number; batch?: number },
): Promise<number> {
  const cutoff = new Date((opts.now ?? Date.now()) - opts.retentionDays * 86_400_000);
  const batch = Math.max(1, Math.min(opts.batch ?? ANSWER_SWEEP_BATCH, 10_000));
  return db.$executeRaw`
    DELETE FROM "RecordedAnswer" a USING (
      SELECT "runId", "stepId", "attempt" FROM "RecordedAnswer"
      WHERE "createdAt" < ${cutoff} ORDER BY "createdAt" LIMIT ${batch}
    ) d
    WHERE a."runId" = d."runId" AND a."stepId" = d."stepId" AND a."attempt" = d."attempt"`;
}

/**
 * The retention sweep as a background loop of a process (the web process's embedded worker and
 * `npm run worker` processes both run it; deletes from several processes do not conflict):
 * every 10 minutes, at once again while a batch was full.
 */
export function startAnswerSweep(
  db: Db,
  retentionDays: number,
  log: { warn(obj: Record<string, unknown>, msg?: string): void },
): BackgroundLoop {
  return startBackgroundLoop(() =>
    sweepRecordedAnswers(db, { retentionDays }).then(
      (deleted) => (deleted >= ANSWER_SWEEP_BATCH ? 1_000 : 600_000),
      (err: unknown) => {
        log.warn({ err: String(err) }, "recorded answer sweep failed");
        return 600_000;
      },
    ),
  );
}
