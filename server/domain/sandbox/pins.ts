/**
 * Pinned step outputs (issue 16), per flow, per user and step: "use this output for this step"
 * in draft runs in a sandbox session, so the steps after it can be tried without calling it
 * again. A pin is copied from a recorded run's step (its last succeeded attempt) or typed in as
 * JSON. They are the user's own scratch data (no ledger entry); a run that uses them records a
 * `step.pinned` event per pinned step (`server/engine/pins.ts`), and real runs never use them.
 */
import { z } from "zod";
import type { PinnedOutput } from "@/server/engine/pins";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";

/** Bytes of a pinned output, as JSON. */
export const MAX_PIN_BYTES = 256 * 1024;
/** Pins one user may hold per flow. */
export const MAX_PINS_PER_FLOW = 50;

const ZStepId = z.string().trim().min(1, "Name the step.").max(200, "Use at most 200 characters.");

export const ZListPinsInput = z.object({ workflowId: z.uuid("Not a workflow id.") });

export const ZSetPinInput = z.object({
  workflowId: z.uuid("Not a workflow id."),
  stepId: ZStepId,
  /** The output the step is to have: any JSON value, as JSON text. */
  json: z
    .string()
    .max(MAX_PIN_BYTES, `A pinned output is at most ${MAX_PIN_BYTES / 1024} KB of JSON.`),
});

export const ZPinFromRunInput = z.object({
  workflowId: z.uuid("Not a workflow id."),
  stepId: ZStepId,
  runId: z.uuid("Not a run id."),
});

export const ZRemovePinInput = z.object({
  workflowId: z.uuid("Not a workflow id."),
  stepId: ZStepId,
});

export interface PinView {
  stepId: string;
  output: unknown;
  fromRunId: string | null;
  updatedAt: Date;
}

function requireEditor(actor: Actor) {
  if (!hasRole(actor.role, "editor")) {
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace pin step outputs.",
    });
  }
}

async function requireWorkflow(db: Db, actor: Actor, workflowId: string): Promise<void> {
  const wf = await db.workflow.findFirst({
    where: { id: workflowId, workspaceId: actor.workspaceId, deletedAt: null },
    select: { id: true },
  });
  if (!wf) throw notFound("Workflow");
}

function tooBig(field: string): AppError {
  return new AppError("INVALID_INPUT", {
    message: `A pinned output is at most ${MAX_PIN_BYTES / 1024} KB of JSON.`,
    details: { field },
  });
}

/** JSON text parsed, within {@link MAX_PIN_BYTES}; a clear error otherwise. */
function parseJson(text: string): unknown {
  if (Buffer.byteLength(text, "utf8") > MAX_PIN_BYTES) throw tooBig("json");
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new AppError("INVALID_INPUT", {
      message: `The pinned output is not valid JSON: ${(err as Error).message}`,
      details: { field: "json" },
    });
  }
}

/** A recorded output as plain JSON within {@link MAX_PIN_BYTES}. */
function recordedOutput(output: unknown): unknown {
  const text = JSON.stringify(output ?? null);
  if (Buffer.byteLength(text, "utf8") > MAX_PIN_BYTES) throw tooBig("runId");
  return JSON.parse(text) as unknown;
}

/** The caller's pins of a flow, by step id. */
export async function listPins(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZListPinsInput>,
): Promise<PinView[]> {
  const { workflowId } = ZListPinsInput.parse(raw);
  await requireWorkflow(db, actor, workflowId);
  return db.sandboxPin.findMany({
    where: { workflowId, userId: actor.userId, workspaceId: actor.workspaceId },
    orderBy: { stepId: "asc" },
    select: { stepId: true, output: true, fromRunId: true, updatedAt: true },
    take: MAX_PINS_PER_FLOW,
  });
}

async function upsertPin(
  db: Db,
  actor: Actor,
  workflowId: string,
  stepId: string,
  output: unknown,
  fromRunId: string | null,
): Promise<PinView> {
  const key = { workflowId, userId: actor.userId, stepId };
  const exists = await db.sandboxPin.findUnique({
    where: { workflowId_userId_stepId: key },
    select: { stepId: true },
  });
  if (!exists) {
    const count = await db.sandboxPin.count({ where: { workflowId, userId: actor.userId } });
    if (count >= MAX_PINS_PER_FLOW) {
      throw new AppError("PRECONDITION_FAILED", {
        message: `At most ${MAX_PINS_PER_FLOW} pinned outputs per flow: remove one first.`,
      });
    }
  }
  const data = { output: output as never, fromRunId, updatedAt: new Date() };
  return db.sandboxPin.upsert({
    where: { workflowId_userId_stepId: key },
    create: { ...key, workspaceId: actor.workspaceId, ...data },
    update: data,
    select: { stepId: true, output: true, fromRunId: true, updatedAt: true },
  });
}

/** Pins a typed-in output to a step (editor). */
export async function setPin(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZSetPinInput>,
): Promise<PinView> {
  requireEditor(actor);
  const input = ZSetPinInput.parse(raw);
  const output = parseJson(input.json);
  await requireWorkflow(db, actor, input.workflowId);
  return upsertPin(db, actor, input.workflowId, input.stepId, output, null);
}

/** Pins the output a recorded run of the flow got for the step (its last succeeded attempt). */
export async function pinFromRun(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZPinFromRunInput>,
): Promise<PinView> {
  requireEditor(actor);
  const input = ZPinFromRunInput.parse(raw);
  await requireWorkflow(db, actor, input.workflowId);
  const run = await db.run.findFirst({
    where: { id: input.runId, workspaceId: actor.workspaceId, workflowId: input.workflowId },
    select: { id: true },
  });
  if (!run) throw notFound("Run of this workflow");
  const attempt = await db.stepAttempt.findFirst({
    where: { runId: run.id, stepId: input.stepId, status: "succeeded" },
    orderBy: { attempt: "desc" },
    select: { output: true },
  });
  if (!attempt) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `Step ${input.stepId} did not succeed in this run: pick a run where it did.`,
      details: { field: "runId" },
    });
  }
  const output = recordedOutput(attempt.output);
  return upsertPin(db, actor, input.workflowId, input.stepId, output, run.id);
}

/** Removes the caller's pin of a step (nothing when there is none). */
export async function removePin(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZRemovePinInput>,
): Promise<{ removed: boolean }> {
  requireEditor(actor);
  const input = ZRemovePinInput.parse(raw);
  const { count } = await db.sandboxPin.deleteMany({
    where: {
      workflowId: input.workflowId,
      userId: actor.userId,
      workspaceId: actor.workspaceId,
      stepId: input.stepId,
    },
  });
  return { removed: count > 0 };
}

/** The caller's pins of a flow, as a sandbox draft run records them. */
export async function pinnedOutputs(
  db: Db,
  actor: Actor,
  workflowId: string,
): Promise<PinnedOutput[]> {
  const rows = await db.sandboxPin.findMany({
    where: { workflowId, userId: actor.userId, workspaceId: actor.workspaceId },
    select: { stepId: true, output: true, fromRunId: true },
    take: MAX_PINS_PER_FLOW,
  });
  return rows.map((r) => ({ stepId: r.stepId, output: r.output, fromRunId: r.fromRunId }));
}
