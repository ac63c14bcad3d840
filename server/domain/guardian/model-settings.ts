/**
 * The guardian's model (issue 18, item 3): per workspace, the model asked for fix proposals the
 * rules cannot write — one of the router's configured models, or a scripted sandbox model
 * (`scripted/<id>`, for tests and the demo). Default none: rule proposals only. Everyone reads
 * it; only admins change it, and each change is a ledger entry (`guardian.model.set`).
 */
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import type { GuardianModelChoice, GuardianModelDeps } from "./model-ports";

const SCRIPTED = /^scripted\/([0-9a-f-]{36})$/i;

export const ZSetGuardianModelInput = z.object({
  /** A configured model's name, `scripted/<id>`, or null: no model (rule proposals only). */
  model: z.string().trim().min(1, "Pick a model.").max(200).nullable(),
});
export type SetGuardianModelInput = z.input<typeof ZSetGuardianModelInput>;

/** The workspace's guardian model as the page shows it. */
export interface GuardianModelView {
  model: string | null;
  label: string | null;
  setBy: string | null;
  setAt: Date | null;
  /** What an admin may pick: the configured models, then the workspace's scripted models. */
  choices: GuardianModelChoice[];
}

async function choicesOf(
  deps: GuardianModelDeps & { db: Db },
  workspaceId: string,
): Promise<GuardianModelChoice[]> {
  const scripted = await deps.db.scriptedModel.findMany({
    where: { workspaceId },
    orderBy: { createdAt: "desc" },
    select: { id: true, name: true },
    take: 200,
  });
  return [
    ...deps.guardianModel.configured(),
    ...scripted.map((s) => ({
      value: `scripted/${s.id}`,
      label: `scripted model ${s.name}`,
      kind: "scripted" as const,
    })),
  ];
}

/** The stored model of a workspace (null: none). */
export async function guardianModelOf(db: Db, workspaceId: string): Promise<string | null> {
  const row = await db.guardianModelSetting.findUnique({ where: { workspaceId } });
  return row?.model ?? null;
}

/** The label of a stored model value (its choice's label, else the value itself). */
export function modelLabel(value: string, choices: readonly GuardianModelChoice[]): string {
  return choices.find((c) => c.value === value)?.label ?? value;
}

/**
 * The workspace's guardian model and the choices (viewers).
 *
 * @example
 * await getGuardianModel(deps, actor); // { model: "gpt-4o-mini", label: "gpt-4o-mini", choices: [...] }
 */
export async function getGuardianModel(
  deps: GuardianModelDeps & { db: Db },
  actor: Actor,
): Promise<GuardianModelView> {
  const [row, choices] = await Promise.all([
    deps.db.guardianModelSetting.findUnique({ where: { workspaceId: actor.workspaceId } }),
    choicesOf(deps, actor.workspaceId),
  ]);
  if (!row) return { model: null, label: null, setBy: null, setAt: null, choices };
  const setBy = await deps.db.user.findUnique({
    where: { id: row.setBy },
    select: { email: true },
  });
  return {
    model: row.model,
    label: modelLabel(row.model, choices),
    setBy: setBy?.email ?? null,
    setAt: row.setAt,
    choices,
  };
}

/**
 * Sets (or, with null, clears) the workspace's guardian model (admins), audited.
 *
 * @example
 * await setGuardianModel(deps, admin, { model: "gpt-4o-mini" });
 */
export async function setGuardianModel(
  deps: GuardianModelDeps & { db: Db },
  actor: Actor,
  raw: SetGuardianModelInput,
): Promise<GuardianModelView> {
  if (!hasRole(actor.role, "admin"))
    throw new AppError("FORBIDDEN", {
      message: "Only admins of this workspace choose the guardian's model.",
    });
  const { model } = ZSetGuardianModelInput.parse(raw);
  if (model !== null) {
    const choices = await choicesOf(deps, actor.workspaceId);
    if (!choices.some((c) => c.value === model)) {
      const scripted = SCRIPTED.test(model);
      throw new AppError("INVALID_INPUT", {
        message: scripted
          ? "No scripted model of this workspace has that id."
          : `"${model}" is not a configured model (TRUSTFLOW_MODELS) nor a scripted model of this workspace.`,
        details: { field: "model" },
      });
    }
  }
  await deps.db.$transaction(async (tx) => {
    const before = await tx.guardianModelSetting.findUnique({
      where: { workspaceId: actor.workspaceId },
    });
    if (model === null) {
      await tx.guardianModelSetting.deleteMany({ where: { workspaceId: actor.workspaceId } });
    } else {
      await tx.guardianModelSetting.upsert({
        where: { workspaceId: actor.workspaceId },
        create: { workspaceId: actor.workspaceId, model, setBy: actor.userId },
        update: { model, setBy: actor.userId, setAt: new Date() },
      });
    }
    await appendAudit(tx, actor, {
      action: "guardian.model.set",
      subjectType: "workspace",
      subjectId: actor.workspaceId,
      payload: { model, was: before?.model ?? null },
    });
  });
  return getGuardianModel(deps, actor);
}
