/**
 * What an approval event tells whom, written in the event's own transaction: in-app
 * notifications and one outgoing webhook delivery per subscribed endpoint.
 *
 * - a new request notifies the people who may decide it: every member the four-eyes guard
 *   (`checkDecider`, the one qualification logic) would let decide it now, never the requester;
 * - an escalation notifies the workspace's admins (not the requester);
 * - a decision and an expiry notify the requester (a person; a webhook or schedule run has none).
 */
import { randomUUID } from "node:crypto";
import { checkDecider } from "../approval/guard";
import type { ApprovalRecord } from "../approval/types";
import type { TxScope } from "../run/ports";
import type { NewNotification, NotificationKind, WorkspaceMember } from "./types";

/** Members read per event at most (the notified are among them). */
const MEMBER_SCAN = 2000;

/** An approval event. */
export interface ApprovalEvent {
  type: Exclude<NotificationKind, "alert.fired" | "guardian.group">;
  approval: ApprovalRecord;
  /** Epoch ms. */
  at: number;
  /** A decision's outcome (`approval.decided`). */
  decision?: {
    status: string;
    by: string[];
    /** Who decided (a requester who filled in their own form is not told of it). */
    byUserIds: string[];
    comment: string | null;
    breakGlass: boolean;
  };
}

const cut = (s: string, n: number) => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** The approval's one-line subject: "Approve step gate of flow Pay" / "Replay of run 1a2b3c4d". */
function subjectOf(a: ApprovalRecord): string {
  const flow = typeof a.subject.flow === "string" ? a.subject.flow : null;
  const run = a.runId ? a.runId.slice(0, 8) : "";
  switch (a.kind) {
    case "form":
      return `Form "${a.stepId}"${flow ? ` of ${flow}` : ""}`;
    case "step":
      return `Step "${a.stepId}"${flow ? ` of ${flow}` : ""}`;
    case "replay":
      return `Replay of run ${run}`;
    case "reprocess":
      return `Reprocessing of dead letters${run ? ` (run ${run})` : ""}`;
    case "fix":
      return `Guardian fix${flow ? ` of ${flow}` : ""}`;
  }
}

function texts(e: ApprovalEvent): { title: string; body: string; link: string } {
  const a = e.approval;
  const subject = subjectOf(a);
  const message = typeof a.subject.message === "string" ? a.subject.message : "";
  const by = a.requesterLabel ? `Requested by ${a.requesterLabel}.` : "Started by a trigger.";
  const inbox = "/approvals";
  const run = a.runId && (a.kind === "step" || a.kind === "form") ? `/runs/${a.runId}` : inbox;
  switch (e.type) {
    case "approval.requested":
      return {
        title: cut(`${subject} awaits your decision`, 200),
        body: cut([message, by].filter(Boolean).join(" "), 1000),
        link: inbox,
      };
    case "approval.escalated":
      return {
        title: cut(`Escalated: ${subject} is still undecided`, 200),
        body: cut(
          `Its time ran out without a decision. ${message ? `${message} ` : ""}${by}`,
          1000,
        ),
        link: inbox,
      };
    case "approval.decided": {
      const d = e.decision;
      const verb = d?.status ?? "decided";
      return {
        title: cut(`${subject} was ${verb}${d?.breakGlass ? " (break-glass)" : ""}`, 200),
        body: cut(
          [d?.by.length ? `By ${d.by.join(", ")}.` : "", d?.comment ? `“${d.comment}”` : ""]
            .filter(Boolean)
            .join(" "),
          1000,
        ),
        link: run,
      };
    }
    case "approval.expired":
      return {
        title: cut(`${subject} expired without a decision`, 200),
        body: message ? cut(message, 1000) : "",
        link: run,
      };
  }
}

/** Who hears of `e` in the app. */
function recipients(e: ApprovalEvent, members: readonly WorkspaceMember[]): string[] {
  const a = e.approval;
  const notRequester = (m: WorkspaceMember) => m.userId !== a.requesterId;
  switch (e.type) {
    case "approval.requested":
      return members
        .filter(
          (m) =>
            notRequester(m) &&
            checkDecider(
              {
                kind: a.kind,
                status: "pending",
                requesterId: a.requesterId,
                approvers: a.approvers,
                decisions: [],
              },
              { ...m, via: "session" },
            ).ok,
        )
        .map((m) => m.userId);
    case "approval.escalated":
      return members.filter((m) => m.role === "admin" && notRequester(m)).map((m) => m.userId);
    case "approval.decided":
    case "approval.expired":
      return a.requesterId &&
        !e.decision?.byUserIds.includes(a.requesterId) &&
        members.some((m) => m.userId === a.requesterId)
        ? [a.requesterId]
        : [];
  }
}

/** The webhook body's `data`: what was decided, never a form's values or a step's inputs. */
export function eventData(e: ApprovalEvent): Record<string, unknown> {
  const a = e.approval;
  const { title, link } = texts(e);
  return {
    approval: {
      id: a.id,
      kind: a.kind,
      status: e.type === "approval.expired" ? "expired" : (e.decision?.status ?? a.status),
      runId: a.runId,
      workflowId: a.workflowId,
      stepId: a.stepId,
      attempt: a.attempt,
      flow: typeof a.subject.flow === "string" ? a.subject.flow : null,
      message: typeof a.subject.message === "string" ? a.subject.message : null,
      requester: a.requesterLabel,
      approvers: a.approvers,
      minApprovals: a.minApprovals,
      planHash: a.planHash,
      expiresAt: a.expiresAt === null ? null : new Date(a.expiresAt).toISOString(),
      escalated: e.type === "approval.escalated" || a.escalatedAt !== null,
      createdAt: new Date(a.createdAt).toISOString(),
    },
    ...(e.decision
      ? {
          decision: {
            status: e.decision.status,
            by: e.decision.by,
            comment: e.decision.comment,
            breakGlass: e.decision.breakGlass,
          },
        }
      : {}),
    summary: title,
    link,
  };
}

/** The JSON body of a webhook event (Standard Webhooks' `{ type, timestamp, data }` shape, with ids). */
export function webhookBody(event: {
  id: string;
  type: string;
  createdAt: number;
  workspaceId: string;
  data: unknown;
}): string {
  return JSON.stringify({
    id: event.id,
    type: event.type,
    createdAt: new Date(event.createdAt).toISOString(),
    workspaceId: event.workspaceId,
    data: event.data,
  });
}

/**
 * Records `e`'s notifications and webhook deliveries in `tx` (the transaction of the event).
 * Returns whether a delivery was queued (the caller may wake the sender after the commit).
 */
export async function notifyApprovalEvent(tx: TxScope, e: ApprovalEvent): Promise<boolean> {
  const a = e.approval;
  const members = await tx.notifications.members(a.workspaceId, MEMBER_SCAN);
  const { title, body, link } = texts(e);
  const rows: NewNotification[] = recipients(e, members).map((userId) => ({
    id: randomUUID(),
    workspaceId: a.workspaceId,
    userId,
    kind: e.type,
    title,
    body,
    link,
    createdAt: e.at,
  }));
  if (rows.length) await tx.notifications.insertNotifications(rows);
  const endpoints = await tx.notifications.endpointsFor(a.workspaceId, e.type);
  if (!endpoints.length) return false;
  const eventId = randomUUID();
  const payload = webhookBody({
    id: eventId,
    type: e.type,
    createdAt: e.at,
    workspaceId: a.workspaceId,
    data: eventData(e),
  });
  await tx.notifications.insertDeliveries(
    endpoints.map((endpointId) => ({
      id: randomUUID(),
      endpointId,
      workspaceId: a.workspaceId,
      eventId,
      eventType: e.type,
      body: payload,
      createdAt: e.at,
    })),
  );
  return true;
}
