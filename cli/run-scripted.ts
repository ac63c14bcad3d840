/**
 * `trustflow run --scripted <file.json>` (issue 16): the run's agent steps answer from a scripted
 * model instead of the demo model. The file holds what the API's `scriptedModel.create` takes
 * (`{ name?, rules, recorded, fallback }`, `server/domain/sandbox/scripted-schemas.ts`), or what
 * `scriptedModel.get` gives (its `id`, `model`, `createdBy`, `createdAt` and `updatedAt` are
 * ignored). It becomes a scripted model of the call's in-memory workspace, attached to the call's
 * session: the demo model's endpoint answers in scripted mode, in-process, as on the server.
 */
import path from "node:path";
import { AppError } from "@/server/domain/errors";
import { attachScriptedModel, createScriptedModel } from "@/server/domain/sandbox/scripted-models";
import { ZCreateScriptInput } from "@/server/domain/sandbox/scripted-schemas";
import type { Actor, Db } from "@/server/domain/types";

/** Keys of the file: the script's, and those of `scriptedModel.get`'s answer (ignored). */
const SCRIPT_KEYS = new Set(["name", "rules", "recorded", "fallback"]);
const IGNORED_KEYS = new Set(["id", "model", "createdBy", "createdAt", "updatedAt"]);

/** The file's content, or why it is not a scripted model (one line per problem, at most 5). */
export function scriptOfFile(
  file: string,
  value: unknown,
):
  { ok: true; script: ReturnType<typeof ZCreateScriptInput.parse> } | { ok: false; error: string } {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return {
      ok: false,
      error: `${file}: give a scripted model as a JSON object, e.g. {"rules": [{"kind": "contains", "value": "refund", "answer": "{\\"label\\":\\"billing\\"}"}], "fallback": "demo"}`,
    };
  }
  const unknown = Object.keys(value).filter((k) => !SCRIPT_KEYS.has(k) && !IGNORED_KEYS.has(k));
  if (unknown.length) {
    return {
      ok: false,
      error: `${file}: unknown key${unknown.length > 1 ? "s" : ""} ${unknown.map((k) => `"${k}"`).join(", ")} (a scripted model has ${[...SCRIPT_KEYS].map((k) => `"${k}"`).join(", ")})`,
    };
  }
  const v = value as Record<string, unknown>;
  const parsed = ZCreateScriptInput.safeParse({
    name: v.name ?? path.basename(file),
    ...(v.rules !== undefined ? { rules: v.rules } : {}),
    ...(v.recorded !== undefined ? { recorded: v.recorded } : {}),
    ...(v.fallback !== undefined ? { fallback: v.fallback } : {}),
  });
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`);
    return { ok: false, error: `${file} is not a scripted model:\n  ${problems.join("\n  ")}` };
  }
  return { ok: true, script: parsed.data };
}

/**
 * Creates the scripted model in the call's workspace and attaches it to the session. Returns
 * null, or the message of a script the domain refuses (e.g. over its size cap).
 */
export async function attachScriptFile(
  db: Db,
  actor: Actor,
  sessionId: string,
  file: string,
  script: ReturnType<typeof ZCreateScriptInput.parse>,
): Promise<string | null> {
  try {
    const created = await createScriptedModel(db, actor, script);
    await attachScriptedModel(db, actor, { sessionId, scriptedModelId: created.id });
    return null;
  } catch (e) {
    if (e instanceof AppError) return `${file}: ${e.message}`;
    throw e;
  }
}
