import type { Db, Tx } from "../types";

/**
 * Browser sessions. next-auth keeps the session in an encrypted JWT cookie; the cookie carries
 * the id of a `UserSession` row, and every read of the session checks that row, so a session
 * can end before its cookie does: on sign-out, on a password change, from the user's list of
 * sessions, after `idleMinutes` without a request, and `maxHours` after sign-in at the latest.
 */
export interface SessionLimits {
  idleMinutes: number;
  maxHours: number;
}

export const DEFAULT_SESSION_LIMITS: SessionLimits = { idleMinutes: 120, maxHours: 12 };

/** `lastSeenAt` is written at most this often, not on every request. */
const TOUCH_INTERVAL_MS = 60_000;
const MAX_USER_AGENT = 300;

export async function openSession(
  db: Db,
  input: { userId: string; address: string; userAgent: string },
  limits: SessionLimits,
  now = new Date(),
) {
  // Ended sessions of this user are of no further use: keep the table from growing.
  await db.userSession.deleteMany({
    where: {
      userId: input.userId,
      OR: [{ expiresAt: { lt: now } }, { revokedAt: { lt: new Date(now.getTime() - 86_400_000) } }],
    },
  });
  const row = await db.userSession.create({
    data: {
      userId: input.userId,
      address: input.address.slice(0, 64),
      userAgent: input.userAgent.slice(0, MAX_USER_AGENT),
      createdAt: now,
      lastSeenAt: now,
      expiresAt: new Date(now.getTime() + limits.maxHours * 3_600_000),
    },
    select: { id: true, expiresAt: true },
  });
  return row;
}

export type SessionCheck =
  { ok: true; userId: string } | { ok: false; reason: "unknown" | "revoked" | "expired" | "idle" };

/**
 * Whether the session `sessionId` of `userId` is still alive at `now`; marks it seen (at most
 * once a minute). An idle session is revoked on the spot, so it cannot come back.
 */
export async function checkSession(
  db: Db,
  sessionId: string,
  userId: string,
  limits: SessionLimits,
  now = new Date(),
): Promise<SessionCheck> {
  if (!isUuid(sessionId)) return { ok: false, reason: "unknown" };
  const s = await db.userSession.findUnique({ where: { id: sessionId } });
  if (!s || s.userId !== userId) return { ok: false, reason: "unknown" };
  if (s.revokedAt) return { ok: false, reason: "revoked" };
  if (s.expiresAt.getTime() <= now.getTime()) return { ok: false, reason: "expired" };
  if (now.getTime() - s.lastSeenAt.getTime() > limits.idleMinutes * 60_000) {
    await db.userSession.updateMany({
      where: { id: s.id, revokedAt: null },
      data: { revokedAt: now },
    });
    return { ok: false, reason: "idle" };
  }
  if (now.getTime() - s.lastSeenAt.getTime() >= TOUCH_INTERVAL_MS) {
    await db.userSession.updateMany({
      where: { id: s.id, revokedAt: null },
      data: { lastSeenAt: now },
    });
  }
  return { ok: true, userId: s.userId };
}

/** Ends one session (sign-out); a session of another user is left alone. */
export async function revokeSession(db: Db, userId: string, sessionId: string, now = new Date()) {
  if (!isUuid(sessionId)) return 0;
  const { count } = await db.userSession.updateMany({
    where: { id: sessionId, userId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count;
}

/** Ends every session of the user (password change, "sign out everywhere"). */
export async function revokeAllSessions(db: Db | Tx, userId: string, now = new Date()) {
  const { count } = await db.userSession.updateMany({
    where: { userId, revokedAt: null },
    data: { revokedAt: now },
  });
  return count;
}

/** The user's sessions that are still alive, newest first, for "where am I signed in". */
export async function listMySessions(
  db: Db,
  userId: string,
  currentSessionId: string | null,
  limits: SessionLimits,
  now = new Date(),
) {
  const rows = await db.userSession.findMany({
    where: {
      userId,
      revokedAt: null,
      expiresAt: { gt: now },
      lastSeenAt: { gt: new Date(now.getTime() - limits.idleMinutes * 60_000) },
    },
    orderBy: { lastSeenAt: "desc" },
    take: 100,
  });
  return rows.map((s) => ({
    id: s.id,
    createdAt: s.createdAt,
    lastSeenAt: s.lastSeenAt,
    expiresAt: s.expiresAt,
    address: s.address,
    userAgent: s.userAgent,
    current: s.id === currentSessionId,
  }));
}

const isUuid = (s: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
