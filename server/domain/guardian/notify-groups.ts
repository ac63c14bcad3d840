/**
 * The guardian in the loop (issue 18, item 6): a new failure group is announced once, when the
 * consumer creates it — never per failure — in the transaction that creates it: an in-app
 * notification (kind `guardian.group`) to the members who can act on it (editors prove and
 * reject fixes, approvers accept them, admins), and a signed webhook delivery to every enabled
 * endpoint subscribed to `guardian.group` (the notification module's sender signs it and sends
 * it through the egress guard, with its retries). Each links to the group on the Guardian page.
 * A batch that opens more than {@link MAX_ANNOUNCED} groups in a workspace announces the first
 * ones and says how many more. A fix proposal that passes its proof is announced by its `fix`
 * approval (`approval.requested`, to those who may decide it).
 */
import { randomUUID } from "node:crypto";
import { webhookBody } from "../notification/notify";
import type { Tx } from "../types";

/** New groups announced one by one per batch and workspace, at most. */
export const MAX_ANNOUNCED = 5;
/** Members notified in-app at most. */
const MEMBER_SCAN = 2000;
/** Endpoints a workspace's event goes to at most. */
const ENDPOINT_SCAN = 20;

/** The kind of notification and webhook event of a new group. */
export const GUARDIAN_GROUP_EVENT = "guardian.group";

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The Guardian page, opened on a group. */
export const groupLink = (groupId: string) => `/guardian?group=${groupId}`;

interface NewGroup {
  id: string;
  workflowId: string | null;
  flowName: string;
  stepId: string;
  blockId: string;
  errorName: string;
  httpStatus: number | null;
  template: string;
  class: string;
  count: number;
  firstSeenAt: Date;
}

/** The notification's title and body of a new group. */
export function groupTexts(g: NewGroup, more: number): { title: string; body: string } {
  const status = g.httpStatus ? ` (HTTP ${g.httpStatus})` : "";
  return {
    title: cut(
      `New failure group: ${g.errorName}${status} at step "${g.stepId}" of ${g.flowName}`,
      200,
    ),
    body: cut(
      [
        `${g.count} failure${g.count === 1 ? "" : "s"} so far, triaged as ${g.class}.`,
        `“${g.template}”`,
        more > 0 ? `And ${more} more new group${more === 1 ? "" : "s"} on the Guardian page.` : "",
      ]
        .filter(Boolean)
        .join(" "),
      1000,
    ),
  };
}

/**
 * Announces the workspace's groups `ids`, just created in `tx` (and triaged), once each.
 * Returns how many were announced.
 */
export async function announceNewGroups(
  tx: Tx,
  workspaceId: string,
  ids: readonly string[],
  now = new Date(),
): Promise<number> {
  if (!ids.length) return 0;
  const groups = await tx.guardianGroup.findMany({
    where: { id: { in: [...ids] }, workspaceId },
    orderBy: [{ firstSeenAt: "asc" }, { id: "asc" }],
    select: {
      id: true,
      workflowId: true,
      flowName: true,
      stepId: true,
      blockId: true,
      errorName: true,
      httpStatus: true,
      template: true,
      class: true,
      count: true,
      firstSeenAt: true,
    },
  });
  const announced = groups.slice(0, MAX_ANNOUNCED);
  const more = groups.length - announced.length;
  const members = await tx.membership.findMany({
    where: { workspaceId, role: { in: ["editor", "approver", "admin"] } },
    orderBy: { createdAt: "asc" },
    take: MEMBER_SCAN,
    select: { userId: true },
  });
  const endpoints = await tx.webhookEndpoint.findMany({
    where: { workspaceId, enabled: true, events: { has: GUARDIAN_GROUP_EVENT } },
    select: { id: true },
    take: ENDPOINT_SCAN,
  });
  for (const [i, g] of announced.entries()) {
    const { title, body } = groupTexts(g, i === announced.length - 1 ? more : 0);
    const link = groupLink(g.id);
    if (members.length)
      await tx.notification.createMany({
        data: members.map((m) => ({
          id: randomUUID(),
          workspaceId,
          userId: m.userId,
          kind: GUARDIAN_GROUP_EVENT,
          title,
          body,
          link,
          createdAt: now,
        })),
      });
    if (!endpoints.length) continue;
    const eventId = randomUUID();
    const payload = webhookBody({
      id: eventId,
      type: GUARDIAN_GROUP_EVENT,
      createdAt: now.getTime(),
      workspaceId,
      data: {
        group: {
          id: g.id,
          workflowId: g.workflowId,
          flow: g.flowName,
          step: g.stepId,
          block: g.blockId,
          error: g.errorName,
          httpStatus: g.httpStatus,
          template: g.template,
          class: g.class,
          count: g.count,
          firstSeenAt: g.firstSeenAt.toISOString(),
        },
        ...(more > 0 && i === announced.length - 1 ? { moreNewGroups: more } : {}),
        summary: title,
        link,
      },
    });
    await tx.webhookEndpointDelivery.createMany({
      data: endpoints.map((e) => ({
        id: randomUUID(),
        endpointId: e.id,
        workspaceId,
        eventId,
        eventType: GUARDIAN_GROUP_EVENT,
        body: payload,
        nextAttemptAt: now,
        createdAt: now,
      })),
      skipDuplicates: true,
    });
  }
  return announced.length;
}
