import type { z } from "zod";
import { astToJs, parseFlow, type Diagnostic, compareSemver } from "@/dsl";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { workspaceDirectory } from "../group/workspace-directory";
import type { Actor, Db, Tx } from "../types";
import { earnedTrustProvider } from "../trust/list-trust";
import { compileFlow } from "./compile-flow";
import type { ZCreateVersionInput, ZSaveDraftInput, ZVersionRef, ZWorkflowId } from "./schemas";

/** What the studio shows after the server compiled a text. */
export interface ServerDiagnostics {
  ok: boolean;
  irHash: string | null;
  diagnostics: Diagnostic[];
}

/** The server's design-time compile: with the workspace's groups and members (TF3060). */
async function diagnose(db: Db | Tx, actor: Actor, text: string): Promise<ServerDiagnostics> {
  // Earned scores (issue 17) as warnings; errors and the IR stay the baseline's.
  const earned = await earnedTrustProvider(db, actor.workspaceId, Date.now());
  const r = compileFlow(text, {
    directory: await workspaceDirectory(db, actor.workspaceId),
    ...(earned.size ? { earnedTrust: earned } : {}),
  });
  return { ok: r.ok, irHash: r.ok && r.ir ? r.ir.hash : null, diagnostics: r.diagnostics };
}

async function findLive(tx: Tx | Db, actor: Actor, id: string) {
  const wf = await tx.workflow.findFirst({
    where: { id, workspaceId: actor.workspaceId, deletedAt: null },
  });
  if (!wf) throw notFound("Workflow");
  return wf;
}

/** Compiles the stored draft (the studio compiles in the browser too; this is the server's word). */
export async function compileDraft(db: Db, actor: Actor, input: z.infer<typeof ZWorkflowId>) {
  const wf = await findLive(db, actor, input.id);
  return diagnose(db, actor, wf.draft);
}

/**
 * Replaces the draft text. Drafts may have errors (nothing is lost while someone types); the
 * server's diagnostics come back with the result. An unchanged text writes nothing.
 */
export async function saveDraft(db: Db, actor: Actor, input: z.infer<typeof ZSaveDraftInput>) {
  const result = await diagnose(db, actor, input.dsl);
  return db.$transaction(async (tx) => {
    const wf = await findLive(tx, actor, input.id);
    if (wf.draft === input.dsl) return { savedAt: wf.updatedAt, changed: false, ...result };
    const updated = await tx.workflow.update({ where: { id: wf.id }, data: { draft: input.dsl } });
    await appendAudit(tx, actor, {
      action: "workflow.draft.save",
      subjectType: "workflow",
      subjectId: wf.id,
      payload: { bytes: input.dsl.length, irHash: result.irHash },
    });
    return { savedAt: updated.updatedAt, changed: true, ...result };
  });
}

/** The `version:` a flow text declares, or undefined. */
function declaredVersion(text: string): string | undefined {
  const { ast } = parseFlow(text);
  const doc = ast ? astToJs(ast) : undefined;
  if (!doc || typeof doc !== "object" || Array.isArray(doc)) return undefined;
  const v = (doc as Record<string, unknown>).version;
  return typeof v === "string" ? v : typeof v === "number" ? String(v) : undefined;
}

/**
 * Publishes an immutable version: SemVer greater than every existing one, the text declaring the
 * same `version:`, and no compile errors (a version is what runs). The draft becomes that text.
 */
export async function createVersion(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZCreateVersionInput>,
) {
  const compiled = await compileVersion(db, actor, input.dsl);
  return db.$transaction((tx) => createVersionIn(tx, actor, input, compiled));
}

/** A text compiled as {@link createVersionIn} saves it (outside the transaction: it is slow). */
export async function compileVersion(db: Db, actor: Actor, dsl: string) {
  return compileFlow(dsl, { directory: await workspaceDirectory(db, actor.workspaceId) });
}

/**
 * {@link createVersion} inside the caller's transaction `tx`, with the text compiled beforehand
 * ({@link compileVersion}): a caller that claims something with the version (the guardian's
 * release) commits both or neither.
 */
export async function createVersionIn(
  tx: Tx,
  actor: Actor,
  input: z.infer<typeof ZCreateVersionInput>,
  compiled: ReturnType<typeof compileFlow>,
) {
  const wf = await findLive(tx, actor, input.id);
  const errors = compiled.diagnostics.filter((d) => d.severity === "error");
  if (!compiled.ok || !compiled.ir || errors.length > 0) {
    const first = errors[0];
    throw new AppError("INVALID_INPUT", {
      message: `Version ${input.version} was not saved: the flow has ${errors.length} error${errors.length === 1 ? "" : "s"}${first ? ` (first: ${first.code} ${first.message})` : ""}. Fix them and save again.`,
      details: { field: "dsl" },
    });
  }
  const declared = declaredVersion(input.dsl);
  if (declared !== input.version) {
    throw new AppError("INVALID_INPUT", {
      message: `The flow declares \`version: ${declared ?? "(none)"}\` but is being saved as ${input.version}: they must match.`,
      details: { field: "version" },
    });
  }
  const existing = await tx.workflowVersion.findMany({
    where: { workflowId: wf.id },
    select: { version: true },
  });
  if (existing.some((v) => v.version === input.version)) {
    throw new AppError("CONFLICT", {
      message: `Version ${input.version} already exists.`,
      details: { field: "version" },
    });
  }
  const latest = existing
    .map((v) => v.version)
    .sort(compareSemver)
    .at(-1);
  if (latest && compareSemver(input.version, latest) <= 0) {
    throw new AppError("INVALID_INPUT", {
      message: `Version ${input.version} must be greater than the latest version, ${latest}.`,
      details: { field: "version" },
    });
  }
  const version = await tx.workflowVersion.create({
    data: {
      workflowId: wf.id,
      version: input.version,
      dsl: input.dsl,
      authorId: actor.userId,
      irHash: compiled.ir.hash,
      message: input.message,
    },
  });
  await tx.workflow.update({ where: { id: wf.id }, data: { draft: input.dsl } });
  await appendAudit(tx, actor, {
    action: "workflow.version.create",
    subjectType: "workflow",
    subjectId: wf.id,
    payload: { version: input.version, irHash: compiled.ir.hash, message: input.message },
  });
  return {
    id: version.id,
    version: version.version,
    irHash: version.irHash,
    createdAt: version.createdAt,
    warnings: compiled.diagnostics.filter((d) => d.severity !== "error").length,
  };
}

const versionSummary = {
  id: true,
  version: true,
  createdAt: true,
  irHash: true,
  authorId: true,
  message: true,
} as const;

/** Versions, newest first (by SemVer). */
export async function listVersions(db: Db, actor: Actor, input: z.infer<typeof ZWorkflowId>) {
  const wf = await findLive(db, actor, input.id);
  const versions = await db.workflowVersion.findMany({
    where: { workflowId: wf.id },
    select: versionSummary,
  });
  return versions.sort((a, b) => compareSemver(b.version, a.version));
}

async function findVersion(tx: Tx | Db, actor: Actor, input: z.infer<typeof ZVersionRef>) {
  const wf = await findLive(tx, actor, input.id);
  const version = await tx.workflowVersion.findFirst({
    where: { id: input.versionId, workflowId: wf.id },
  });
  if (!version) throw notFound("Version");
  return { wf, version };
}

/** One version with its text. */
export async function getVersion(db: Db, actor: Actor, input: z.infer<typeof ZVersionRef>) {
  const { version } = await findVersion(db, actor, input);
  return {
    id: version.id,
    version: version.version,
    dsl: version.dsl,
    createdAt: version.createdAt,
    irHash: version.irHash,
    authorId: version.authorId,
    message: version.message,
  };
}

/** Makes an old version's text the draft again (publishing it is a new version). */
export async function restoreVersion(db: Db, actor: Actor, input: z.infer<typeof ZVersionRef>) {
  return db.$transaction(async (tx) => {
    const { wf, version } = await findVersion(tx, actor, input);
    await tx.workflow.update({ where: { id: wf.id }, data: { draft: version.dsl } });
    await appendAudit(tx, actor, {
      action: "workflow.version.restore",
      subjectType: "workflow",
      subjectId: wf.id,
      payload: { version: version.version, versionId: version.id },
    });
    return { id: wf.id, draft: version.dsl, version: version.version };
  });
}
