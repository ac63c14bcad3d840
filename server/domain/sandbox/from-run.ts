/**
 * "Try in sandbox" from a run (issue 16, item 11's server half): copies a run into a new sandbox
 * session, so that re-running its flow there answers the recorded calls with the answers the
 * run got. The session (creator = the caller, default lifetime) holds:
 *
 * - the run's **connector answers**: per operation (block id) and request (a hash of the
 *   attempt's stored inputs, `requestHash`), in the order they were recorded; the session's
 *   connector runtime answers the Nth identical call of a run with the Nth answer (past the
 *   last, the last repeats): an output, or the same error (message, classification, whether it
 *   is retryable). A call no answer matches goes to the session's mock services, as usual;
 * - the run's **model answers**, as a new scripted model ("Answers of run …", fallback: the
 *   demo model) attached to the session: agent steps are answered by prompt hash.
 *
 * Answers truncated at the 256 KB cap are not replayed, and those older than the retention
 * period are gone; a run's answers are copied up to 2,000 and 16 MB (the rest, and truncated
 * ones, are counted in `answers.skipped`). Only the run's own steps are copied (not its
 * sub-flows').
 */
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import type { Actor, Db } from "../types";
import type { SandboxDeps } from "./ports";
import type { SharedWith } from "./schemas";
import { listRunAnswers, requestHash, type RecordedAnswerRow } from "./recorded-answers";
import { insertScriptInTx, modelAnswersOf, workspaceRun } from "./scripted-models";
import { createSession } from "./sessions";

export const ZFromRunInput = z.object({ runId: z.uuid("Not a run id.") });

/** Connector answers a session holds, at most. */
export const MAX_CONNECTOR_ANSWERS = 2000;

/** An error as recorded (the engine's ErrorInfo). */
const ZRecordedError = z
  .object({
    name: z.string(),
    message: z.string(),
    retryable: z.boolean(),
    classification: z.object({ severity: z.string(), category: z.string() }).loose(),
    retryAfterMs: z.number().optional(),
    detail: z.record(z.string(), z.unknown()).optional(),
  })
  .loose();

/** One connector answer of a session: what the Nth call of an operation with a request got. */
export const ZConnectorAnswer = z.union([
  z.object({
    blockId: z.string(),
    requestHash: z.string(),
    repetition: z.number().int().min(1),
    ok: z.literal(true),
    output: z.unknown(),
    /** Past the last recorded repetition, the call goes to the session's mocks (not repeated). */
    then: z.literal("mock").optional(),
  }),
  z.object({
    blockId: z.string(),
    requestHash: z.string(),
    repetition: z.number().int().min(1),
    ok: z.literal(false),
    error: ZRecordedError,
    then: z.literal("mock").optional(),
  }),
]);
export type ConnectorAnswer = z.infer<typeof ZConnectorAnswer>;

/** A session's stored connector answers (entries that do not parse are left out). */
export function connectorAnswersOf(raw: unknown): ConnectorAnswer[] {
  if (!Array.isArray(raw)) return [];
  const out: ConnectorAnswer[] = [];
  for (const entry of raw.slice(0, MAX_CONNECTOR_ANSWERS)) {
    const p = ZConnectorAnswer.safeParse(entry);
    if (p.success) out.push(p.data);
  }
  return out;
}

/**
 * The answer to the `repetition`-th call of an operation with a request: that repetition's, or
 * past the last the last one (with `then: "mock"`, none: the call goes to the mocks); undefined
 * when none was recorded for the request.
 */
export function pickConnectorAnswer(
  answers: readonly ConnectorAnswer[],
  blockId: string,
  hash: string,
  repetition: number,
): ConnectorAnswer | undefined {
  let best: ConnectorAnswer | undefined;
  for (const a of answers) {
    if (a.blockId !== blockId || a.requestHash !== hash) continue;
    if (a.repetition === repetition) return a;
    if (a.repetition < repetition && (!best || a.repetition > best.repetition)) best = a;
  }
  return best?.then === "mock" ? undefined : best;
}

/**
 * A run's connector answers as a session holds them. `inputsOf` gives an attempt's stored
 * inputs (the request). Truncated answers are skipped.
 */
export function connectorAnswersOfRun(
  rows: readonly RecordedAnswerRow[],
  inputsOf: (stepId: string, attempt: number) => unknown,
  pastLast: "repeat" | "mock" = "repeat",
): { answers: ConnectorAnswer[]; skipped: number } {
  const answers: ConnectorAnswer[] = [];
  const seen = new Map<string, number>();
  let skipped = 0;
  for (const row of rows) {
    if (row.kind !== "connector") continue;
    const body = row.answer as { ok?: unknown; output?: unknown; error?: unknown } | null;
    if (
      row.truncated ||
      !body ||
      typeof body.ok !== "boolean" ||
      answers.length >= MAX_CONNECTOR_ANSWERS
    ) {
      skipped++;
      continue;
    }
    const hash = requestHash(row.blockId, inputsOf(row.stepId, row.attempt));
    const key = `${row.blockId}\u0000${hash}`;
    const repetition = (seen.get(key) ?? 0) + 1;
    const common = {
      blockId: row.blockId,
      requestHash: hash,
      repetition,
      ...(pastLast === "mock" ? { then: "mock" as const } : {}),
    };
    const entry = body.ok
      ? ZConnectorAnswer.safeParse({ ...common, ok: true, output: body.output ?? null })
      : ZConnectorAnswer.safeParse({ ...common, ok: false, error: body.error });
    if (!entry.success) {
      skipped++;
      continue;
    }
    seen.set(key, repetition);
    answers.push(entry.data);
  }
  return { answers, skipped };
}

/** What {@link sessionFromRun} made. */
export interface FromRunResult {
  sessionId: string;
  workflowId: string | null;
  version: string | null;
  inputs: Record<string, unknown>;
  /** The scripted model holding the run's model answers (null: the run had none). */
  scriptedModelId: string | null;
  answers: { connector: number; model: number; skipped: number };
}

/** How a copy's session is made (the guardian's proofs, `server/domain/guardian/proof.ts`). */
export interface FromRunOptions {
  name?: string;
  sharedWith?: SharedWith;
  ttlMs?: number;
  /**
   * Past a request's last recorded answer: `repeat` it (default), or `mock`: the call goes to
   * the session's mocks (a retry the recording never made meets a service that recovered).
   */
  pastLast?: "repeat" | "mock";
}

/** Copies a run of the workspace into a new sandbox session (editor; see the module's note). */
export async function sessionFromRun(
  db: Db,
  deps: SandboxDeps,
  actor: Actor,
  raw: z.input<typeof ZFromRunInput>,
  opts: FromRunOptions = {},
): Promise<FromRunResult> {
  const { runId } = ZFromRunInput.parse(raw);
  const run = await workspaceRun(db, actor, runId);
  const rows = await listRunAnswers(db, run.id);
  const attempts = await db.stepAttempt.findMany({
    where: { runId: run.id, stepId: { in: [...new Set(rows.map((r) => r.stepId))] } },
    select: { stepId: true, attempt: true, inputs: true },
  });
  const inputs = new Map(attempts.map((a) => [`${a.stepId}#${a.attempt}`, a.inputs]));
  const connector = connectorAnswersOfRun(
    rows,
    (s, a) => inputs.get(`${s}#${a}`) ?? {},
    opts.pastLast,
  );
  const model = modelAnswersOf(rows);
  const short = run.id.slice(0, 8);
  // Checks the role and the workspace's open-session limit.
  const session = await createSession(db, deps, actor, {
    name: opts.name ?? `From run ${short}`,
    ...(opts.sharedWith ? { sharedWith: opts.sharedWith } : {}),
    ...(opts.ttlMs ? { ttlMs: opts.ttlMs } : {}),
  });
  const scriptedModelId = await db.$transaction(async (tx) => {
    const script = model.answers.length
      ? await insertScriptInTx(tx, actor, {
          name: `Answers of run ${short}`,
          recorded: model.answers,
        })
      : null;
    await tx.sandboxSessionScript.create({
      data: {
        sessionId: session.id,
        workspaceId: actor.workspaceId,
        scriptedModelId: script?.id ?? null,
        connectorAnswers: connector.answers as object[],
        fromRunId: run.id,
      },
    });
    await appendAudit(tx, actor, {
      action: "sandbox.from_run",
      subjectType: "sandbox_session",
      subjectId: session.id,
      payload: {
        runId: run.id,
        connectorAnswers: connector.answers.length,
        modelAnswers: model.answers.length,
        scriptedModelId: script?.id ?? null,
      },
    });
    return script?.id ?? null;
  });
  const runInputs =
    run.inputs && typeof run.inputs === "object" && !Array.isArray(run.inputs)
      ? (run.inputs as Record<string, unknown>)
      : {};
  return {
    sessionId: session.id,
    workflowId: run.workflowId,
    version: run.version,
    inputs: runInputs,
    scriptedModelId,
    answers: {
      connector: connector.answers.length,
      model: model.answers.length,
      skipped: connector.skipped + model.skipped + (rows.left ?? 0),
    },
  };
}
