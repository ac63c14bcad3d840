/**
 * A person's in-app notifications in the current workspace: list (newest first, cursor
 * paging), the unread count (the shell's bell), mark some or all read. Written by
 * `notify.ts` in the transaction of each approval event.
 */
import type { z } from "zod";
import type { Actor, Db } from "../types";
import type { ZListNotificationsInput, ZMarkReadInput } from "./schemas";
import type { NotificationKind } from "./types";

/** A notification as the bell shows it. Dates are ISO strings. */
export interface NotificationView {
  id: string;
  kind: NotificationKind;
  title: string;
  body: string;
  link: string | null;
  read: boolean;
  createdAt: string;
}

const mine = (actor: Actor) => ({ userId: actor.userId, workspaceId: actor.workspaceId });

/** The actor's notifications, newest first. */
export async function listNotifications(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZListNotificationsInput>,
): Promise<{ items: NotificationView[]; nextCursor: string | null }> {
  const rows = await db.notification.findMany({
    where: { ...mine(actor), ...(input.unreadOnly ? { readAt: null } : {}) },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      kind: r.kind as NotificationKind,
      title: r.title,
      body: r.body,
      link: r.link,
      read: r.readAt !== null,
      createdAt: r.createdAt.toISOString(),
    })),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** How many of the actor's notifications are unread (counted up to 100: "99+" above). */
export async function countUnread(db: Db, actor: Actor): Promise<{ unread: number }> {
  const rows = await db.notification.findMany({
    where: { ...mine(actor), readAt: null },
    select: { id: true },
    take: 100,
  });
  return { unread: rows.length };
}

/** Marks the actor's notifications `ids` read (others' ids change nothing). */
export async function markRead(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZMarkReadInput>,
): Promise<{ updated: number }> {
  const r = await db.notification.updateMany({
    where: { ...mine(actor), id: { in: input.ids }, readAt: null },
    data: { readAt: new Date() },
  });
  return { updated: r.count };
}

/** Marks every notification of the actor in this workspace read. */
export async function markAllRead(db: Db, actor: Actor): Promise<{ updated: number }> {
  const r = await db.notification.updateMany({
    where: { ...mine(actor), readAt: null },
    data: { readAt: new Date() },
  });
  return { updated: r.count };
}
