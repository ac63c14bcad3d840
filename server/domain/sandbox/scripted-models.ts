/**
 * Scripted models (issue 16, item 3): per workspace, scripts that answer a sandbox session's
 * model calls (rules by prompt pattern, answers recorded from earlier runs; see
 * `scripted-schemas.ts` for the order and bounds). Editors create, change, delete and attach
 * them to sessions; viewers read them. A session with a script attached has its agent steps
 * answered by the demo model's endpoint in scripted mode (`server/wiring/sandbox-runtimes.ts`).
 * Create, change, delete and attach are ledger entries.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db, type Tx } from "../types";
import { listRunAnswers, type RecordedAnswerRow } from "./recorded-answers";
import {
  MAX_RECORDED_MODEL_ANSWERS,
  MAX_SCRIPT_ANSWER_CHARS,
  MAX_SCRIPT_BYTES,
  MAX_SCRIPTS_PER_WORKSPACE,
  MAX_REPETITION,
  ZAttachScriptInput,
  ZCreateScriptInput,
  ZRecordFromRunInput,
  ZScriptId,
  ZUpdateScriptInput,
  scriptContentOf,
  type CreateScriptInput,
  type RecordedModelAnswer,
  type ScriptContent,
  type ScriptFallback,
} from "./scripted-schemas";
import { sessionForRun } from "./sessions";

interface ScriptRow {
  id: string;
  workspaceId: string;
  name: string;
  createdBy: string;
  rules: unknown;
  recorded: unknown;
  fallback: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A scripted model as the list shows it. */
export interface ScriptedModelSummary {
  id: string;
  name: string;
  /** The `model` a request names to be answered by it. */
  model: string;
  fallback: ScriptFallback;
  rules: number;
  recorded: number;
  createdBy: string;
  createdAt: Date;
  updatedAt: Date;
}

/** A scripted model with its rules and recorded answers. */
export type ScriptedModelView = Omit<ScriptedModelSummary, "rules" | "recorded"> & ScriptContent;

function summary(row: ScriptRow): ScriptedModelSummary {
  const c = scriptContentOf(row);
  return {
    id: row.id,
    name: row.name,
    model: `scripted/${row.id}`,
    fallback: c.fallback,
    rules: c.rules.length,
    recorded: c.recorded.length,
    createdBy: row.createdBy,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}

function view(row: ScriptRow): ScriptedModelView {
  const { rules: _r, recorded: _n, ...rest } = summary(row);
  return { ...rest, ...scriptContentOf(row) };
}

function requireEditor(actor: Actor) {
  if (!hasRole(actor.role, "editor")) {
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace may change scripted models.",
    });
  }
}

/** Refuses a script whose JSON is over {@link MAX_SCRIPT_BYTES}. */
function checkSize(content: Pick<ScriptContent, "rules" | "recorded">) {
  const bytes = Buffer.byteLength(JSON.stringify(content));
  if (bytes > MAX_SCRIPT_BYTES) {
    throw new AppError("INVALID_INPUT", {
      message: `A scripted model holds at most ${MAX_SCRIPT_BYTES / 1024 / 1024} MB of rules and answers (this one: ${(bytes / 1024 / 1024).toFixed(1)} MB).`,
      details: { field: "rules" },
    });
  }
}

async function owned(db: Db | Tx, actor: Actor, id: string): Promise<ScriptRow> {
  const row = await db.scriptedModel.findFirst({ where: { id, workspaceId: actor.workspaceId } });
  if (!row) throw notFound("Scripted model");
  return row;
}

/** Creates a scripted model (editor). */
export async function createScriptedModel(
  db: Db,
  actor: Actor,
  raw: CreateScriptInput,
): Promise<ScriptedModelView> {
  requireEditor(actor);
  const input = ZCreateScriptInput.parse(raw);
  checkSize(input);
  const row = await db.$transaction((tx) => insertScript(tx, actor, input));
  return view(row);
}

async function insertScript(
  tx: Tx,
  actor: Actor,
  input: { name: string; rules: unknown[]; recorded: unknown[]; fallback: ScriptFallback },
): Promise<ScriptRow> {
  const count = await tx.scriptedModel.count({ where: { workspaceId: actor.workspaceId } });
  if (count >= MAX_SCRIPTS_PER_WORKSPACE) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `A workspace holds at most ${MAX_SCRIPTS_PER_WORKSPACE} scripted models: delete one first.`,
    });
  }
  const now = new Date();
  const row = await tx.scriptedModel.create({
    data: {
      id: randomUUID(),
      workspaceId: actor.workspaceId,
      name: input.name,
      createdBy: actor.userId,
      rules: input.rules as object[],
      recorded: input.recorded as object[],
      fallback: input.fallback,
      createdAt: now,
      updatedAt: now,
    },
  });
  await appendAudit(tx, actor, {
    action: "scripted_model.create",
    subjectType: "scripted_model",
    subjectId: row.id,
    payload: {
      name: input.name,
      rules: input.rules.length,
      recorded: input.recorded.length,
      fallback: input.fallback,
    },
  });
  return row;
}

/** The workspace's scripted models, newest first. */
export async function listScriptedModels(db: Db, actor: Actor): Promise<ScriptedModelSummary[]> {
  const rows = await db.scriptedModel.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { createdAt: "desc" },
    take: MAX_SCRIPTS_PER_WORKSPACE,
  });
  return rows.map(summary);
}

/** One scripted model with its rules, recorded answers and the sessions it is attached to. */
export async function getScriptedModel(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZScriptId>,
): Promise<ScriptedModelView & { sessionIds: string[] }> {
  const { id } = ZScriptId.parse(raw);
  const row = await owned(db, actor, id);
  const attached = await db.sandboxSessionScript.findMany({
    where: { scriptedModelId: row.id, workspaceId: actor.workspaceId },
    select: { sessionId: true },
    take: 500,
  });
  return { ...view(row), sessionIds: attached.map((a) => a.sessionId) };
}

/** Replaces a scripted model's name, rules, recorded answers or fallback (editor). */
export async function updateScriptedModel(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZUpdateScriptInput>,
): Promise<ScriptedModelView> {
  requireEditor(actor);
  const input = ZUpdateScriptInput.parse(raw);
  const row = await owned(db, actor, input.id);
  const current = scriptContentOf(row);
  checkSize({
    rules: input.rules ?? current.rules,
    recorded: input.recorded ?? current.recorded,
  });
  const updated = await db.$transaction(async (tx) => {
    const u = await tx.scriptedModel.update({
      where: { id: row.id },
      data: {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.rules !== undefined ? { rules: input.rules } : {}),
        ...(input.recorded !== undefined ? { recorded: input.recorded } : {}),
        ...(input.fallback !== undefined ? { fallback: input.fallback } : {}),
        updatedAt: new Date(),
      },
    });
    await appendAudit(tx, actor, {
      action: "scripted_model.update",
      subjectType: "scripted_model",
      subjectId: row.id,
      payload: {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.rules !== undefined ? { rules: input.rules.length } : {}),
        ...(input.recorded !== undefined ? { recorded: input.recorded.length } : {}),
        ...(input.fallback !== undefined ? { fallback: input.fallback } : {}),
      },
    });
    return u;
  });
  return view(updated);
}

/** Deletes a scripted model (editor); sessions it was attached to get the demo model again. */
export async function deleteScriptedModel(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZScriptId>,
): Promise<{ id: string }> {
  requireEditor(actor);
  const { id } = ZScriptId.parse(raw);
  const row = await owned(db, actor, id);
  await db.$transaction(async (tx) => {
    await tx.scriptedModel.delete({ where: { id: row.id } });
    await appendAudit(tx, actor, {
      action: "scripted_model.delete",
      subjectType: "scripted_model",
      subjectId: row.id,
      payload: { name: row.name },
    });
  });
  return { id: row.id };
}

/**
 * Attaches a scripted model to a session the actor may use (open), or detaches it (null): the
 * session's agent steps are then answered by the script (editor).
 */
export async function attachScriptedModel(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZAttachScriptInput>,
): Promise<{ sessionId: string; scriptedModelId: string | null }> {
  requireEditor(actor);
  const input = ZAttachScriptInput.parse(raw);
  const sessionId = await sessionForRun(db, actor, input.sessionId);
  if (input.scriptedModelId) await owned(db, actor, input.scriptedModelId);
  await db.$transaction(async (tx) => {
    await tx.sandboxSessionScript.upsert({
      where: { sessionId },
      create: {
        sessionId,
        workspaceId: actor.workspaceId,
        scriptedModelId: input.scriptedModelId,
      },
      update: { scriptedModelId: input.scriptedModelId, updatedAt: new Date() },
    });
    await appendAudit(tx, actor, {
      action: input.scriptedModelId ? "sandbox.script.attach" : "sandbox.script.detach",
      subjectType: "sandbox_session",
      subjectId: sessionId,
      payload: { scriptedModelId: input.scriptedModelId },
    });
  });
  return { sessionId, scriptedModelId: input.scriptedModelId };
}

/** What {@link modelAnswersOf} found in a run's recorded answers. */
export interface ModelAnswersOfRun {
  answers: RecordedModelAnswer[];
  /** Calls that could not become script answers (truncated answers, calls without content). */
  skipped: number;
}

/**
 * The model calls recorded for a run's agent steps as script answers: per (prompt hash, model),
 * repetitions numbered in the order the calls were recorded.
 */
export function modelAnswersOf(rows: readonly RecordedAnswerRow[]): ModelAnswersOfRun {
  const answers: RecordedModelAnswer[] = [];
  const seen = new Map<string, number>();
  let skipped = 0;
  for (const row of rows) {
    if (row.kind !== "model") continue;
    const body = row.answer as { calls?: unknown; truncated?: unknown } | null;
    if (row.truncated || !body || !Array.isArray(body.calls)) {
      skipped++;
      continue;
    }
    for (const call of body.calls as Array<Record<string, unknown>>) {
      const { promptHash, model, content } = call ?? {};
      if (
        typeof promptHash !== "string" ||
        !/^sha256:[0-9a-f]{64}$/.test(promptHash) ||
        typeof model !== "string" ||
        !model ||
        model.length > 200 ||
        typeof content !== "string" ||
        content.length > MAX_SCRIPT_ANSWER_CHARS
      ) {
        skipped++;
        continue;
      }
      const key = `${promptHash}\u0000${model}`;
      const repetition = (seen.get(key) ?? 0) + 1;
      if (repetition > MAX_REPETITION) {
        skipped++;
        continue;
      }
      seen.set(key, repetition);
      answers.push({
        promptHash,
        model,
        repetition,
        content,
        source: `run:${row.runId}/${row.stepId}#${row.attempt}`,
      });
    }
  }
  return { answers, skipped };
}

/** Merges answers into a script's: same (prompt hash, model, repetition) replaced, bounded. */
export function mergeRecorded(
  current: readonly RecordedModelAnswer[],
  added: readonly RecordedModelAnswer[],
): RecordedModelAnswer[] {
  const key = (a: RecordedModelAnswer) => `${a.promptHash}\u0000${a.model}\u0000${a.repetition}`;
  const replaced = new Set(added.map(key));
  const merged = [...current.filter((a) => !replaced.has(key(a))), ...added];
  if (merged.length > MAX_RECORDED_MODEL_ANSWERS) {
    throw new AppError("INVALID_INPUT", {
      message: `A scripted model keeps at most ${MAX_RECORDED_MODEL_ANSWERS} recorded answers (this would hold ${merged.length}): delete some first.`,
      details: { field: "recorded" },
    });
  }
  return merged;
}

/** The run (of the actor's workspace) or NOT_FOUND. */
export async function workspaceRun(db: Db, actor: Actor, runId: string) {
  const run = await db.run.findFirst({
    where: { id: runId, workspaceId: actor.workspaceId },
    select: { id: true, workflowId: true, version: true, inputs: true },
  });
  if (!run) throw notFound("Run");
  return run;
}

/**
 * Adds the model answers a run's agent steps got (its recorded answers) to a script (editor).
 * Returns the script and how many answers were added and skipped.
 */
export async function recordScriptFromRun(
  db: Db,
  actor: Actor,
  raw: z.input<typeof ZRecordFromRunInput>,
): Promise<{ script: ScriptedModelView; added: number; skipped: number }> {
  requireEditor(actor);
  const input = ZRecordFromRunInput.parse(raw);
  const row = await owned(db, actor, input.id);
  const run = await workspaceRun(db, actor, input.runId);
  const { answers, skipped } = modelAnswersOf(await listRunAnswers(db, run.id));
  if (answers.length === 0) {
    throw new AppError("PRECONDITION_FAILED", {
      message:
        skipped > 0
          ? `This run's model answers cannot be replayed (${skipped} truncated or without content).`
          : "This run has no recorded model answers (no agent step ran, or they are older than the retention period).",
    });
  }
  const current = scriptContentOf(row);
  const recorded = mergeRecorded(current.recorded, answers);
  checkSize({ rules: current.rules, recorded });
  const updated = await db.$transaction(async (tx) => {
    const u = await tx.scriptedModel.update({
      where: { id: row.id },
      data: { recorded, updatedAt: new Date() },
    });
    await appendAudit(tx, actor, {
      action: "scripted_model.record",
      subjectType: "scripted_model",
      subjectId: row.id,
      payload: { runId: run.id, added: answers.length, skipped },
    });
    return u;
  });
  return { script: view(updated), added: answers.length, skipped };
}

/** Creates a script in a transaction (used by `sandbox.fromRun`). */
export function insertScriptInTx(
  tx: Tx,
  actor: Actor,
  input: { name: string; recorded: RecordedModelAnswer[] },
): Promise<ScriptRow> {
  checkSize({ rules: [], recorded: input.recorded });
  return insertScript(tx, actor, { ...input, rules: [], fallback: "demo" });
}

/**
 * What a session answers from (the run wiring reads it for every sandboxed call): its script's
 * id and its connector answers, or null when it has neither.
 */
export async function sessionAnswers(
  db: Db,
  workspaceId: string,
  sessionId: string,
): Promise<{ scriptedModelId: string | null; connectorAnswers: unknown } | null> {
  return db.sandboxSessionScript.findFirst({
    where: { sessionId, workspaceId },
    select: { scriptedModelId: true, connectorAnswers: true },
  });
}

/** A script's content by id, within a workspace (the model server's script source). */
export async function loadScriptContent(
  db: Db,
  workspaceId: string,
  id: string,
): Promise<ScriptContent | null> {
  const row = await db.scriptedModel.findFirst({
    where: { id, workspaceId },
    select: { rules: true, recorded: true, fallback: true },
  });
  return row ? scriptContentOf(row) : null;
}
