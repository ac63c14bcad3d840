/**
 * The real model routes sandbox sessions are opted in to (`session-models.ts` sets them), read
 * by the sessions' views, the eval runs' checks and the sandbox wiring.
 */
import { DEMO_MODEL_NAME } from "../agent/constants";
import type { Db } from "../types";

/** The task types a step's `model.route` may name instead of a model (never a real route). */
const TASK_ROUTES = new Set([
  "classification",
  "extraction",
  "summarization",
  "drafting",
  "routing",
]);

/** The real model routes of sessions, by session id (sessions without any are absent). */
export async function modelRoutesOf(db: Db, sessionIds: string[]): Promise<Map<string, string[]>> {
  if (sessionIds.length === 0) return new Map();
  const rows = await db.sandboxModelRoutes.findMany({
    where: { sessionId: { in: [...new Set(sessionIds)] } },
    select: { sessionId: true, routes: true },
  });
  return new Map(rows.map((r) => [r.sessionId, routesOf(r.routes)]));
}

/** The real model routes one session of the workspace is opted in to ([] for none). */
export async function sessionModelRoutes(
  db: Db,
  workspaceId: string,
  sessionId: string,
): Promise<string[]> {
  const row = await db.sandboxModelRoutes.findFirst({
    where: { sessionId, workspaceId },
    select: { routes: true },
  });
  return row ? routesOf(row.routes) : [];
}

function routesOf(raw: unknown): string[] {
  return Array.isArray(raw) ? raw.filter((r): r is string => typeof r === "string") : [];
}

/**
 * Whether a step's or variant's `model.route` names a real model the session is not opted in
 * to: a task type and the demo model are always fine (they never leave the process).
 */
export function needsOptIn(route: string | undefined, optedIn: readonly string[]): boolean {
  if (!route || TASK_ROUTES.has(route) || route === DEMO_MODEL_NAME) return false;
  return !optedIn.includes(route);
}
