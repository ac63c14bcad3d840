/**
 * Sandbox sessions (issue 16): a place for safe experiments. A session owns its own copy of the
 * mock connector services' state (forked from its seed at first use), a fault profile the mocks
 * apply, an expiry (24 hours by default) and the members it is shared with. Runs started in it
 * reach only its mocks and the demo model (`server/wiring/sandbox-runtimes.ts`), plus the real
 * model routes an admin opted it in to (`session-models.ts`); a changed mock state lost with its
 * process is said, never re-forked silently (`session-state.ts`). Editors create,
 * share and close sessions; a session is seen and used only by its creator and the members it is
 * shared with (or everyone, when shared with the workspace). Create, share and close are ledger
 * entries; closing or expiring drops the session's mock state.
 */
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import { loadDatasetVersion } from "./datasets";
import { assertStateKept } from "./session-state";
import { sessionDetails, type SessionDatasetOrigin, type SessionDetails } from "./session-details";
import type { SandboxDeps } from "./ports";
import {
  OPEN_SESSIONS_PER_WORKSPACE,
  ZCreateSessionInput,
  ZFaultProfile,
  ZListSessionsInput,
  ZSessionId,
  ZShareSessionInput,
  ZSharedWith,
  type CreateSessionInput,
  type FaultProfile,
  type SharedWith,
} from "./schemas";
import { randomUUID } from "node:crypto";
import type { z } from "zod";

/** Sessions an expiry sweep closes at most per call (the rest wait for the next one). */
const SWEEP_BATCH = 100;

interface SessionRow {
  id: string;
  workspaceId: string;
  name: string;
  createdBy: string;
  sharedWith: unknown;
  seed: number;
  datasetRef: string | null;
  faultProfile: unknown;
  expiresAt: Date;
  createdAt: Date;
  closedAt: Date | null;
}

/** A session as the API shows it. */
export interface SandboxSessionView {
  id: string;
  name: string;
  createdBy: string;
  sharedWith: SharedWith;
  seed: number;
  datasetRef: string | null;
  faultProfile: FaultProfile;
  expiresAt: Date;
  createdAt: Date;
  closedAt: Date | null;
  status: "open" | "closed" | "expired";
  /** Real model routes an admin opted the session in to (`session-models.ts`); [] for none. */
  modelRoutes: string[];
  /** The dataset version it was started from (`datasetRef`), named; null for none. */
  dataset: SessionDatasetOrigin | null;
  /** When its changed mock state was lost (a restart): its runs are refused, fork again. */
  stateLostAt: Date | null;
}

function sharedOf(raw: unknown): SharedWith {
  const p = ZSharedWith.safeParse(raw);
  return p.success ? p.data : [];
}

function profileOf(raw: unknown): FaultProfile {
  const p = ZFaultProfile.safeParse(raw);
  return p.success ? p.data : {};
}

function view(row: SessionRow, now: number, details?: SessionDetails): SandboxSessionView {
  return {
    id: row.id,
    name: row.name,
    createdBy: row.createdBy,
    sharedWith: sharedOf(row.sharedWith),
    seed: row.seed,
    datasetRef: row.datasetRef,
    faultProfile: profileOf(row.faultProfile),
    expiresAt: row.expiresAt,
    createdAt: row.createdAt,
    closedAt: row.closedAt,
    status: row.closedAt ? "closed" : row.expiresAt.getTime() <= now ? "expired" : "open",
    modelRoutes: details?.modelRoutes ?? [],
    dataset: details?.dataset ?? null,
    stateLostAt: details?.stateLostAt ?? null,
  };
}

/** A session's view with its details (model routes, dataset origin). */
async function detailed(db: Db, row: SessionRow, now: number): Promise<SandboxSessionView> {
  return view(row, now, (await sessionDetails(db, [row])).get(row.id));
}

/** Whether `actor` may see and use the session: its creator or a member it is shared with. */
export function mayUse(row: Pick<SessionRow, "createdBy" | "sharedWith">, actor: Actor): boolean {
  if (row.createdBy === actor.userId) return true;
  const shared = sharedOf(row.sharedWith);
  return shared === "workspace" || shared.includes(actor.userId);
}

function requireEditor(actor: Actor) {
  if (!hasRole(actor.role, "editor")) {
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace may create, share or close sessions.",
    });
  }
}

/** A session of the workspace `actor` may use; NOT_FOUND otherwise (never says it exists). */
async function usable(db: Db, actor: Actor, id: string): Promise<SessionRow> {
  const row = await db.sandboxSession.findFirst({ where: { id, workspaceId: actor.workspaceId } });
  if (!row || !mayUse(row, actor)) throw notFound("Sandbox session");
  return row;
}

/** Checks that named members belong to the workspace. */
async function checkMembers(db: Db, workspaceId: string, shared: SharedWith): Promise<void> {
  if (shared === "workspace" || shared.length === 0) return;
  const unique = [...new Set(shared)];
  const found = await db.membership.count({ where: { workspaceId, userId: { in: unique } } });
  if (found !== unique.length) {
    throw new AppError("INVALID_INPUT", {
      message: "Share a session with members of this workspace only.",
      details: { field: "sharedWith" },
    });
  }
}

/**
 * The `datasetRef` of a session started from a dataset version: the version's id, once it is
 * known to be the workspace's and its rows to be mock records.
 */
async function checkSessionDataset(
  db: Db,
  deps: SandboxDeps,
  workspaceId: string,
  versionId: string,
): Promise<string> {
  const version = await loadDatasetVersion(db, workspaceId, versionId);
  if (!version) {
    throw new AppError("NOT_FOUND", {
      message: "Dataset version was not found in this workspace.",
      details: { field: "datasetVersionId" },
    });
  }
  const problem = deps.mockState.checkDataset?.(version.rows) ?? null;
  if (problem) {
    throw new AppError("INVALID_INPUT", {
      message: `Version ${version.version} cannot seed the mocks: ${problem} Rows name a "system" (crm, billing, clm), a "type" (its collection) and the record.`,
      details: { field: "datasetVersionId" },
    });
  }
  return version.id;
}

/** Creates a session (editor). */
export async function createSession(
  db: Db,
  deps: SandboxDeps,
  actor: Actor,
  raw: CreateSessionInput,
): Promise<SandboxSessionView> {
  requireEditor(actor);
  const input = ZCreateSessionInput.parse(raw);
  await checkMembers(db, actor.workspaceId, input.sharedWith);
  const datasetRef = input.datasetVersionId
    ? await checkSessionDataset(db, deps, actor.workspaceId, input.datasetVersionId)
    : null;
  const now = deps.now?.() ?? Date.now();
  await sweepExpiredSessions(db, deps);
  const row = await db.$transaction(async (tx) => {
    const open = await tx.sandboxSession.count({
      where: { workspaceId: actor.workspaceId, closedAt: null, expiresAt: { gt: new Date(now) } },
    });
    if (open >= OPEN_SESSIONS_PER_WORKSPACE) {
      throw new AppError("PRECONDITION_FAILED", {
        message: `A workspace holds at most ${OPEN_SESSIONS_PER_WORKSPACE} open sandbox sessions: close one first.`,
      });
    }
    const created = await tx.sandboxSession.create({
      data: {
        id: randomUUID(),
        workspaceId: actor.workspaceId,
        name: input.name,
        createdBy: actor.userId,
        sharedWith: input.sharedWith,
        seed: input.seed,
        faultProfile: input.faultProfile,
        datasetRef,
        expiresAt: new Date(now + input.ttlMs),
        createdAt: new Date(now),
      },
    });
    await appendAudit(tx, actor, {
      action: "sandbox.create",
      subjectType: "sandbox_session",
      subjectId: created.id,
      payload: {
        name: input.name,
        seed: input.seed,
        faultProfile: input.faultProfile,
        sharedWith: input.sharedWith,
        ...(datasetRef ? { datasetRef } : {}),
        expiresAt: created.expiresAt.toISOString(),
      },
    });
    return created;
  });
  return detailed(db, row, now);
}

/** The sessions `actor` may use: their own and those shared with them, newest first. */
export async function listSessions(
  db: Db,
  deps: SandboxDeps,
  actor: Actor,
  raw: z.input<typeof ZListSessionsInput> = {},
): Promise<SandboxSessionView[]> {
  const input = ZListSessionsInput.parse(raw);
  const now = deps.now?.() ?? Date.now();
  // Expired sessions are closed (and their mock state dropped) as they are noticed.
  await sweepExpiredSessions(db, deps);
  const rows = await db.sandboxSession.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.includeClosed ? {} : { closedAt: null, expiresAt: { gt: new Date(now) } }),
    },
    orderBy: { createdAt: "desc" },
    take: 500,
  });
  const usable = rows.filter((r) => mayUse(r, actor));
  const details = await sessionDetails(db, usable);
  return usable.map((r) => view(r, now, details.get(r.id)));
}

/** One session `actor` may use. */
export async function getSession(
  db: Db,
  deps: SandboxDeps,
  actor: Actor,
  raw: z.input<typeof ZSessionId>,
): Promise<SandboxSessionView> {
  const { id } = ZSessionId.parse(raw);
  return detailed(db, await usable(db, actor, id), deps.now?.() ?? Date.now());
}

/** Replaces who a session is shared with (its creator, or an admin). */
export async function shareSession(
  db: Db,
  deps: SandboxDeps,
  actor: Actor,
  raw: z.input<typeof ZShareSessionInput>,
): Promise<SandboxSessionView> {
  requireEditor(actor);
  const input = ZShareSessionInput.parse(raw);
  const row = await usable(db, actor, input.id);
  if (row.createdBy !== actor.userId && !hasRole(actor.role, "admin")) {
    throw new AppError("FORBIDDEN", {
      message: "Only the session's creator or an admin may change who it is shared with.",
    });
  }
  if (row.closedAt) {
    throw new AppError("PRECONDITION_FAILED", { message: "This sandbox session is closed." });
  }
  await checkMembers(db, actor.workspaceId, input.sharedWith);
  const updated = await db.$transaction(async (tx) => {
    const u = await tx.sandboxSession.update({
      where: { id: row.id },
      data: { sharedWith: input.sharedWith },
    });
    await appendAudit(tx, actor, {
      action: "sandbox.share",
      subjectType: "sandbox_session",
      subjectId: row.id,
      payload: { sharedWith: input.sharedWith },
    });
    return u;
  });
  return detailed(db, updated, deps.now?.() ?? Date.now());
}

/** Closes a session (its creator, or an admin) and drops its mock state. Idempotent. */
export async function closeSession(
  db: Db,
  deps: SandboxDeps,
  actor: Actor,
  raw: z.input<typeof ZSessionId>,
): Promise<SandboxSessionView> {
  requireEditor(actor);
  const { id } = ZSessionId.parse(raw);
  const row = await usable(db, actor, id);
  if (row.createdBy !== actor.userId && !hasRole(actor.role, "admin")) {
    throw new AppError("FORBIDDEN", {
      message: "Only the session's creator or an admin may close it.",
    });
  }
  const now = deps.now?.() ?? Date.now();
  if (row.closedAt) return view(row, now);
  const closed = await db.$transaction(async (tx) => {
    const u = await tx.sandboxSession.update({
      where: { id: row.id },
      data: { closedAt: new Date(now) },
    });
    await appendAudit(tx, actor, {
      action: "sandbox.close",
      subjectType: "sandbox_session",
      subjectId: row.id,
      payload: { name: row.name },
    });
    return u;
  });
  deps.mockState.drop(row.id);
  return view(closed, now);
}

/**
 * Closes the sessions whose time is up (at most {@link SWEEP_BATCH} per call) and drops their
 * mock state. Returns the ids it closed.
 */
export async function sweepExpiredSessions(db: Db, deps: SandboxDeps): Promise<string[]> {
  const now = new Date(deps.now?.() ?? Date.now());
  const due = await db.sandboxSession.findMany({
    where: { closedAt: null, expiresAt: { lte: now } },
    select: { id: true },
    orderBy: { expiresAt: "asc" },
    take: SWEEP_BATCH,
  });
  if (due.length === 0) return [];
  const ids = due.map((d) => d.id);
  await db.sandboxSession.updateMany({
    where: { id: { in: ids }, closedAt: null },
    data: { closedAt: now },
  });
  for (const id of ids) deps.mockState.drop(id);
  return ids;
}

/**
 * Checks that `actor` may start a run in the session (editor, shared with them, open); returns
 * its id. Bad ids, closed, expired or unshared sessions are refused with a clear error.
 */
export async function sessionForRun(
  db: Db,
  actor: Actor,
  sessionId: string,
  now = Date.now(),
): Promise<string> {
  const row = await usable(db, actor, sessionId);
  if (row.closedAt || row.expiresAt.getTime() <= now) {
    throw new AppError("PRECONDITION_FAILED", {
      message: "This sandbox session is closed or expired: start the run in an open session.",
      details: { field: "sandboxSessionId" },
    });
  }
  await assertStateKept(db, row.id);
  return row.id;
}

/**
 * The seed, fault profile and dataset version (`datasetRef`) of an open session of the
 * workspace (the run wiring reads it for every sandboxed call), or null when it is closed,
 * expired or not the workspace's.
 */
export async function openSessionProfile(
  db: Db,
  workspaceId: string,
  sessionId: string,
  now = Date.now(),
): Promise<{ seed: number; faultProfile: FaultProfile; datasetRef: string | null } | null> {
  const row = await db.sandboxSession.findFirst({
    where: { id: sessionId, workspaceId },
    select: { seed: true, faultProfile: true, datasetRef: true, closedAt: true, expiresAt: true },
  });
  if (!row || row.closedAt || row.expiresAt.getTime() <= now) return null;
  return { seed: row.seed, faultProfile: profileOf(row.faultProfile), datasetRef: row.datasetRef };
}
