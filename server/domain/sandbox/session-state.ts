/**
 * A sandbox session's mock state lives in the memory of the process that forked it (the mock
 * services). A restart, or the mocks' eviction of their least recently used tenants, loses it;
 * forking it again from the seed and dataset would quietly undo what the session's runs wrote.
 * So the state a session's runs changed is recorded (`dirtyAt`, at its first successful write),
 * and a process asked for a changed state it no longer holds marks the session `lostAt` and
 * refuses its runs with "fork again" — clearly, in the run's error, the API (`stateLost`) and
 * the Sandbox page. A session whose runs only read loses nothing: its state forks again
 * identically.
 */
import { AppError } from "../errors";
import type { Db } from "../types";

/** What a run of a session whose state was lost is told (and the API and the page say). */
export const STATE_LOST_MESSAGE =
  "This sandbox session's mock data was lost: the server restarted (or dropped it to make room) after its runs had changed it. Fork again: start a fresh session from the same seed and dataset (Sandbox → Sessions → Start a fresh copy).";

/** Records that the session's mock state was changed (once; later calls change nothing). */
export async function markSessionStateChanged(
  db: Db,
  workspaceId: string,
  sessionId: string,
  now = Date.now(),
): Promise<void> {
  await db.sandboxSessionState.upsert({
    where: { sessionId },
    create: { sessionId, workspaceId, dirtyAt: new Date(now) },
    update: {},
  });
  await db.sandboxSessionState.updateMany({
    where: { sessionId, dirtyAt: null },
    data: { dirtyAt: new Date(now) },
  });
}

/**
 * Called when this process does not hold the session's mock state: null when forking it again
 * loses nothing; else the session is marked lost (once) and the message is returned.
 */
export async function lostStateOf(
  db: Db,
  workspaceId: string,
  sessionId: string,
  now = Date.now(),
): Promise<string | null> {
  const row = await db.sandboxSessionState.findFirst({
    where: { sessionId, workspaceId },
    select: { dirtyAt: true, lostAt: true },
  });
  if (!row?.dirtyAt) return null;
  if (!row.lostAt) {
    await db.sandboxSessionState.updateMany({
      where: { sessionId, lostAt: null },
      data: { lostAt: new Date(now) },
    });
  }
  return STATE_LOST_MESSAGE;
}

/** Refuses to start a run in a session whose mock state was lost. */
export async function assertStateKept(db: Db, sessionId: string): Promise<void> {
  const row = await db.sandboxSessionState.findUnique({
    where: { sessionId },
    select: { lostAt: true },
  });
  if (row?.lostAt) {
    throw new AppError("PRECONDITION_FAILED", {
      message: STATE_LOST_MESSAGE,
      details: { field: "sandboxSessionId" },
    });
  }
}
