/**
 * Notifications as plain data, and the stores their use cases write through: in-app
 * notifications and outgoing webhook deliveries are written in the transaction of the event they
 * report (`TxScope.notifications`, `server/adapters/notify/sql-notifications.ts`); the sender
 * claims due deliveries outside of it ({@link WebhookDeliveryStore}). Times are epoch ms.
 * Imports nothing of the run domain, so the run ports can hand the store out without a cycle.
 */
import type { SealedSecret } from "../connector/ports";
import type { Role } from "../types";

/** What a notification (and a webhook event) reports. */
export const NOTIFICATION_KINDS = [
  "approval.requested",
  "approval.escalated",
  "approval.decided",
  "approval.expired",
  "alert.fired",
  /** A new failure group of the guardian (issue 18): `server/domain/guardian/notify-groups.ts`. */
  "guardian.group",
] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** A webhook event type: a notification kind, or the endpoint's test message. */
export type WebhookEventType = NotificationKind | "webhook.test";

/** A member of a workspace as the guard sees a possible decider. */
export interface WorkspaceMember {
  userId: string;
  email: string;
  role: Role;
  groups: string[];
}

/** An in-app notification to create. */
export interface NewNotification {
  id: string;
  workspaceId: string;
  userId: string;
  kind: NotificationKind;
  title: string;
  body: string;
  link: string | null;
  createdAt: number;
}

/** An outgoing webhook endpoint as stored (its sealed secret stays in the store). */
export interface WebhookEndpointRecord {
  id: string;
  workspaceId: string;
  url: string;
  description: string;
  events: NotificationKind[];
  enabled: boolean;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

/** A delivery to create: one event for one endpoint. */
export interface NewDelivery {
  id: string;
  endpointId: string;
  workspaceId: string;
  eventId: string;
  eventType: WebhookEventType;
  /** The exact JSON body signed and sent. */
  body: string;
  createdAt: number;
}

/** A delivery the sender claimed, with what it needs to send it. */
export interface ClaimedDelivery {
  id: string;
  workspaceId: string;
  endpointId: string;
  eventId: string;
  eventType: string;
  body: string;
  attempts: number;
  createdAt: number;
  url: string;
  enabled: boolean;
  secret: SealedSecret;
}

/** What one attempt of a delivery did. */
export interface DeliveryOutcome {
  status: "pending" | "delivered" | "failed";
  attempts: number;
  /** When pending: the next attempt's time. */
  nextAttemptAt: number;
  lastStatus: number | null;
  lastError: string | null;
  at: number;
}

/** The notifications' records inside one transaction (`TxScope.notifications`). */
export interface NotificationStore {
  /** The workspace's members with their groups (the first `limit`, oldest first). */
  members(workspaceId: string, limit: number): Promise<WorkspaceMember[]>;
  insertNotifications(rows: readonly NewNotification[]): Promise<void>;
  /** Ids of the workspace's enabled endpoints subscribed to `eventType`. */
  endpointsFor(workspaceId: string, eventType: NotificationKind): Promise<string[]>;
  /** Inserts deliveries (due now); a second one of an (endpoint, event) is ignored. */
  insertDeliveries(rows: readonly NewDelivery[]): Promise<void>;
  insertEndpoint(
    e: WebhookEndpointRecord & { secret: SealedSecret },
  ): Promise<WebhookEndpointRecord>;
  /** The endpoint, locked for update; null when not in the workspace. */
  lockEndpoint(id: string, workspaceId: string): Promise<WebhookEndpointRecord | null>;
  updateEndpoint(
    id: string,
    patch: Partial<Pick<WebhookEndpointRecord, "url" | "description" | "events" | "enabled">> & {
      secret?: SealedSecret;
      updatedAt: number;
    },
  ): Promise<WebhookEndpointRecord>;
  deleteEndpoint(id: string): Promise<void>;
}

/** The sender's queue of deliveries (outside any event's transaction). */
export interface WebhookDeliveryStore {
  /**
   * Claims up to `limit` due pending deliveries (of any workspace, or of one delivery): their
   * next attempt is pushed `leaseMs` ahead, so another sender skips them meanwhile.
   */
  claimDue(opts: {
    now: number;
    limit: number;
    leaseMs: number;
    deliveryId?: string;
  }): Promise<ClaimedDelivery[]>;
  /** Records an attempt's outcome. */
  record(id: string, outcome: DeliveryOutcome): Promise<void>;
}

/** What a webhook call answered (or why it never reached an answer). */
export type SendResult =
  { ok: true; status: number } | { ok: false; status: number | null; error: string };

/** Sends one signed webhook (through the egress guard of `workspaceId`). */
export interface WebhookSender {
  send(req: {
    workspaceId: string;
    url: string;
    headers: Record<string, string>;
    body: string;
    timeoutMs: number;
  }): Promise<SendResult>;
}
