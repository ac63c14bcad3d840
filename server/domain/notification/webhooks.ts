/**
 * Outgoing webhooks of approval events: the endpoints a workspace's admins configure (URL,
 * events, a generated secret shown once, enable/disable, test-send, the delivery log) and the
 * sender's work, {@link deliverDueWebhooks}: each due delivery is signed (Standard Webhooks,
 * `signing.ts`) with its endpoint's secret and sent through the egress guard (the
 * {@link WebhookSender} port); a failure is retried with exponential back-off up to
 * `maxAttempts`, then the delivery is marked failed. Creating, deleting an endpoint and rotating
 * its secret are ledger entries; the secret itself is sealed by the credential vault and never
 * logged nor returned after creation (or rotation).
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import type { CredentialVault } from "../connector/ports";
import { AppError, notFound } from "../errors";
import type { Transactor } from "../run/ports";
import type { Actor, Db } from "../types";
import { webhookBody } from "./notify";
import type {
  ZCreateWebhookInput,
  ZListDeliveriesInput,
  ZUpdateWebhookInput,
  ZWebhookId,
} from "./schemas";
import { newWebhookSecret, webhookHeaders } from "./signing";
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  NotificationKind,
  WebhookDeliveryStore,
  WebhookEndpointRecord,
  WebhookSender,
} from "./types";

/** Retries of a delivery. */
export interface RetryPolicy {
  /** Attempts at most, the first included. Default 6. */
  maxAttempts: number;
  /** Delay before the second attempt; doubled for each next one. Default 30 s. */
  baseMs: number;
  /** Longest delay. Default 1 h. */
  maxMs: number;
  /** One call's time limit. Default 10 s. */
  timeoutMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = {
  maxAttempts: 6,
  baseMs: 30_000,
  maxMs: 3_600_000,
  timeoutMs: 10_000,
};

/** Endpoints per workspace at most. */
const MAX_ENDPOINTS = 20;
/** A claimed delivery's lease: another sender skips it this long. */
const LEASE_MS = 60_000;

/** What the webhook use cases need. */
export interface WebhookDeps {
  db: Db;
  transactor: Transactor;
  deliveries: WebhookDeliveryStore;
  sender: WebhookSender;
  vault: Pick<CredentialVault, "seal" | "open">;
  clock: { now(): number };
  retry?: Partial<RetryPolicy>;
}

/** The vault's binding of an endpoint's secret: it opens for that endpoint only. */
export const aad = (workspaceId: string, endpointId: string) =>
  `webhook:${workspaceId}:${endpointId}`;

/** Delay before attempt `attempts + 1` (after `attempts` failed ones). */
export function backoffMs(attempts: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempts - 1));
}

// ---------------------------------------------------------------------------------------------
// Endpoints

/** An endpoint as Settings shows it: never its secret. Dates are ISO strings. */
export interface WebhookEndpointView {
  id: string;
  url: string;
  description: string;
  events: NotificationKind[];
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  /** Deliveries of the last ones: pending and failed among the latest 100. */
  recent: { pending: number; failed: number; delivered: number };
}

function view(
  e: WebhookEndpointRecord,
  recent = { pending: 0, failed: 0, delivered: 0 },
): WebhookEndpointView {
  return {
    id: e.id,
    url: e.url,
    description: e.description,
    events: e.events,
    enabled: e.enabled,
    createdBy: e.createdBy,
    createdAt: new Date(e.createdAt).toISOString(),
    recent,
  };
}

/** The workspace's endpoints with their recent deliveries' statuses. */
export async function listWebhookEndpoints(
  deps: Pick<WebhookDeps, "db">,
  actor: Actor,
): Promise<WebhookEndpointView[]> {
  const rows = await deps.db.webhookEndpoint.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { createdAt: "asc" },
    take: MAX_ENDPOINTS,
    select: {
      id: true,
      workspaceId: true,
      url: true,
      description: true,
      events: true,
      enabled: true,
      createdBy: true,
      createdAt: true,
      updatedAt: true,
      deliveries: { orderBy: { createdAt: "desc" }, take: 100, select: { status: true } },
    },
  });
  return rows.map((r) => {
    const recent = { pending: 0, failed: 0, delivered: 0 };
    for (const d of r.deliveries) if (d.status in recent) recent[d.status as keyof typeof recent]++;
    return view(
      {
        ...r,
        events: r.events as NotificationKind[],
        createdAt: r.createdAt.getTime(),
        updatedAt: r.updatedAt.getTime(),
      },
      recent,
    );
  });
}

/** Creates an endpoint; its secret is in the answer, and never again. */
export async function createWebhookEndpoint(
  deps: Pick<WebhookDeps, "db" | "transactor" | "vault" | "clock">,
  actor: Actor,
  input: z.infer<typeof ZCreateWebhookInput>,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const count = await deps.db.webhookEndpoint.count({ where: { workspaceId: actor.workspaceId } });
  if (count >= MAX_ENDPOINTS)
    throw new AppError("PRECONDITION_FAILED", {
      message: `A workspace has ${MAX_ENDPOINTS} webhook endpoints at most; delete one first.`,
    });
  const id = randomUUID();
  const secret = newWebhookSecret();
  const now = deps.clock.now();
  const endpoint = await deps.transactor.transaction(async (tx) => {
    const e = await tx.notifications.insertEndpoint({
      id,
      workspaceId: actor.workspaceId,
      url: input.url,
      description: input.description,
      events: input.events,
      enabled: true,
      createdBy: actor.label,
      createdAt: now,
      updatedAt: now,
      secret: deps.vault.seal(secret, aad(actor.workspaceId, id)),
    });
    await tx.audit.append(actor, {
      action: "webhook.create",
      subjectType: "webhook",
      subjectId: id,
      payload: { url: e.url, events: e.events },
    });
    return e;
  });
  return { endpoint: view(endpoint), secret };
}

/** Changes an endpoint's URL, description, events or enabled state. */
export async function updateWebhookEndpoint(
  deps: Pick<WebhookDeps, "transactor" | "clock">,
  actor: Actor,
  input: z.infer<typeof ZUpdateWebhookInput>,
): Promise<WebhookEndpointView> {
  return deps.transactor.transaction(async (tx) => {
    const e = await tx.notifications.lockEndpoint(input.id, actor.workspaceId);
    if (!e) throw notFound("Webhook endpoint");
    const { id, ...patch } = input;
    const updated = await tx.notifications.updateEndpoint(id, {
      ...patch,
      updatedAt: deps.clock.now(),
    });
    await tx.audit.append(actor, {
      action: "webhook.update",
      subjectType: "webhook",
      subjectId: id,
      payload: { url: updated.url, events: updated.events, enabled: updated.enabled },
    });
    return view(updated);
  });
}

/** Deletes an endpoint and its delivery log. */
export async function deleteWebhookEndpoint(
  deps: Pick<WebhookDeps, "transactor">,
  actor: Actor,
  input: z.infer<typeof ZWebhookId>,
): Promise<{ id: string }> {
  await deps.transactor.transaction(async (tx) => {
    const e = await tx.notifications.lockEndpoint(input.id, actor.workspaceId);
    if (!e) throw notFound("Webhook endpoint");
    await tx.notifications.deleteEndpoint(e.id);
    await tx.audit.append(actor, {
      action: "webhook.delete",
      subjectType: "webhook",
      subjectId: e.id,
      payload: { url: e.url },
    });
  });
  return { id: input.id };
}

/** Replaces an endpoint's secret; the new one is in the answer, and never again. */
export async function rotateWebhookSecret(
  deps: Pick<WebhookDeps, "transactor" | "vault" | "clock">,
  actor: Actor,
  input: z.infer<typeof ZWebhookId>,
): Promise<{ endpoint: WebhookEndpointView; secret: string }> {
  const secret = newWebhookSecret();
  const endpoint = await deps.transactor.transaction(async (tx) => {
    const e = await tx.notifications.lockEndpoint(input.id, actor.workspaceId);
    if (!e) throw notFound("Webhook endpoint");
    const updated = await tx.notifications.updateEndpoint(e.id, {
      secret: deps.vault.seal(secret, aad(actor.workspaceId, e.id)),
      updatedAt: deps.clock.now(),
    });
    await tx.audit.append(actor, {
      action: "webhook.rotate-secret",
      subjectType: "webhook",
      subjectId: e.id,
      payload: { url: e.url },
    });
    return updated;
  });
  return { endpoint: view(endpoint), secret };
}

/** One delivery as the log shows it. */
export interface WebhookDeliveryView {
  id: string;
  eventId: string;
  eventType: string;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatus: number | null;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** An endpoint's deliveries, newest first. */
export async function listWebhookDeliveries(
  deps: Pick<WebhookDeps, "db">,
  actor: Actor,
  input: z.infer<typeof ZListDeliveriesInput>,
): Promise<{ items: WebhookDeliveryView[]; nextCursor: string | null }> {
  const rows = await deps.db.webhookEndpointDelivery.findMany({
    where: { endpointId: input.endpointId, workspaceId: actor.workspaceId },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((r) => ({
      id: r.id,
      eventId: r.eventId,
      eventType: r.eventType,
      status: r.status as WebhookDeliveryView["status"],
      attempts: r.attempts,
      lastStatus: r.lastStatus,
      lastError: r.lastError,
      nextAttemptAt: r.status === "pending" ? r.nextAttemptAt.toISOString() : null,
      createdAt: r.createdAt.toISOString(),
      deliveredAt: r.deliveredAt?.toISOString() ?? null,
    })),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/**
 * Sends a `webhook.test` event to the endpoint now, through the same queue, signature and
 * egress guard as every event; answers the first attempt's delivery (retried like any other).
 */
export async function testWebhookEndpoint(
  deps: WebhookDeps,
  actor: Actor,
  input: z.infer<typeof ZWebhookId>,
): Promise<WebhookDeliveryView> {
  const now = deps.clock.now();
  const deliveryId = randomUUID();
  const eventId = randomUUID();
  await deps.transactor.transaction(async (tx) => {
    const e = await tx.notifications.lockEndpoint(input.id, actor.workspaceId);
    if (!e) throw notFound("Webhook endpoint");
    await tx.notifications.insertDeliveries([
      {
        id: deliveryId,
        endpointId: e.id,
        workspaceId: actor.workspaceId,
        eventId,
        eventType: "webhook.test",
        body: webhookBody({
          id: eventId,
          type: "webhook.test",
          createdAt: now,
          workspaceId: actor.workspaceId,
          data: { message: `A test from Trustflow, sent by ${actor.label}.` },
        }),
        createdAt: now,
      },
    ]);
  });
  await deliverDueWebhooks(deps, { deliveryId, force: true });
  const row = await deps.db.webhookEndpointDelivery.findUniqueOrThrow({
    where: { id: deliveryId },
  });
  return {
    id: row.id,
    eventId: row.eventId,
    eventType: row.eventType,
    status: row.status as WebhookDeliveryView["status"],
    attempts: row.attempts,
    lastStatus: row.lastStatus,
    lastError: row.lastError,
    nextAttemptAt: row.status === "pending" ? row.nextAttemptAt.toISOString() : null,
    createdAt: row.createdAt.toISOString(),
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
  };
}

// ---------------------------------------------------------------------------------------------
// Sending

/** Sends one claimed delivery and returns the outcome to record. */
async function attempt(
  deps: Pick<WebhookDeps, "sender" | "vault" | "clock">,
  d: ClaimedDelivery,
  policy: RetryPolicy,
  force: boolean,
): Promise<DeliveryOutcome> {
  const attempts = d.attempts + 1;
  let result: { ok: boolean; status: number | null; error?: string };
  if (!d.enabled && !force) {
    result = { ok: false, status: null, error: "The endpoint is disabled." };
  } else {
    let secret: string;
    try {
      secret = deps.vault.open(d.secret, aad(d.workspaceId, d.endpointId));
    } catch {
      secret = "";
    }
    if (!secret) {
      result = { ok: false, status: null, error: "The endpoint's secret cannot be opened." };
    } else {
      const timestamp = Math.floor(deps.clock.now() / 1000);
      const r = await deps.sender.send({
        workspaceId: d.workspaceId,
        url: d.url,
        headers: webhookHeaders(secret, d.eventId, timestamp, d.body),
        body: d.body,
        timeoutMs: policy.timeoutMs,
      });
      result = r.ok
        ? { ok: r.status >= 200 && r.status < 300, status: r.status }
        : { ok: false, status: r.status, error: r.error };
      if (!result.error && !result.ok) result.error = `The endpoint answered HTTP ${r.status}.`;
    }
  }
  const at = deps.clock.now();
  if (result.ok)
    return {
      status: "delivered",
      attempts,
      nextAttemptAt: at,
      lastStatus: result.status,
      lastError: null,
      at,
    };
  const last = attempts >= policy.maxAttempts;
  return {
    status: last ? "failed" : "pending",
    attempts,
    nextAttemptAt: last ? at : at + backoffMs(attempts, policy),
    lastStatus: result.status,
    lastError: (result.error ?? "failed").slice(0, 500),
    at,
  };
}

/**
 * Sends the due deliveries (at most `limit`, several at once) and records each attempt.
 * Returns how many were attempted and whether more may be due.
 */
export async function deliverDueWebhooks(
  deps: Pick<WebhookDeps, "deliveries" | "sender" | "vault" | "clock" | "retry">,
  opts: { limit?: number; concurrency?: number; deliveryId?: string; force?: boolean } = {},
): Promise<{ attempted: number; delivered: number; more: boolean }> {
  const policy = { ...DEFAULT_RETRY, ...deps.retry };
  const limit = opts.limit ?? 20;
  const claimed = await deps.deliveries.claimDue({
    now: deps.clock.now(),
    limit,
    leaseMs: Math.max(LEASE_MS, policy.timeoutMs * 2),
    deliveryId: opts.deliveryId,
  });
  let delivered = 0;
  const queue = [...claimed];
  const workers = Array.from(
    { length: Math.min(opts.concurrency ?? 4, queue.length) },
    async () => {
      for (let d = queue.shift(); d; d = queue.shift()) {
        const outcome = await attempt(deps, d, policy, Boolean(opts.force)).catch(
          (err: unknown): DeliveryOutcome => {
            const at = deps.clock.now();
            return {
              status: d!.attempts + 1 >= policy.maxAttempts ? "failed" : "pending",
              attempts: d!.attempts + 1,
              nextAttemptAt: at + backoffMs(d!.attempts + 1, policy),
              lastStatus: null,
              lastError: String((err as Error)?.message ?? err).slice(0, 500),
              at,
            };
          },
        );
        if (outcome.status === "delivered") delivered++;
        await deps.deliveries.record(d.id, outcome);
      }
    },
  );
  await Promise.all(workers);
  return { attempted: claimed.length, delivered, more: claimed.length === limit };
}
