/**
 * Alert rules (issue 17 item 6): an admin creates, edits and deletes them (ledger entries); a
 * member acknowledges a fired alert (a ledger entry). A rule may have a webhook of its own: a
 * webhook endpoint is created for it (no approval events; its secret generated, sealed by the
 * credential vault under the endpoint's binding, shown once), so its deliveries are signed
 * (Standard Webhooks: HMAC-SHA256 over id, timestamp and body, `webhook-timestamp` header) and
 * sent through the egress guard by the existing webhook sender, with its retries.
 */
import { randomUUID } from "node:crypto";
import type { z } from "zod";
import { appendAudit } from "../audit/ledger";
import type { CredentialVault } from "../connector/ports";
import { AppError, notFound } from "../errors";
import { newWebhookSecret } from "../notification/signing";
import { aad } from "../notification/webhooks";
import type { Actor, Db } from "../types";
import type {
  AlertKind,
  ZAckAlertInput,
  ZAlertRuleId,
  ZCreateAlertRuleInput,
  ZListAlertEventsInput,
  ZUpdateAlertRuleInput,
} from "./schemas";

/** Rules per workspace at most. */
export const MAX_RULES = 50;

export interface AlertRuleView {
  id: string;
  name: string;
  kind: AlertKind;
  entityKind: string | null;
  entityKey: string | null;
  threshold: number;
  cooldownMinutes: number;
  inApp: boolean;
  webhookUrl: string | null;
  enabled: boolean;
  createdBy: string;
  createdAt: string;
  checkedAt: string | null;
}

const ruleSelect = {
  id: true,
  name: true,
  kind: true,
  entityKind: true,
  entityKey: true,
  threshold: true,
  cooldownMs: true,
  inApp: true,
  webhookEndpointId: true,
  enabled: true,
  createdBy: true,
  createdAt: true,
  checkedAt: true,
} as const;

type RuleRow = {
  id: string;
  name: string;
  kind: string;
  entityKind: string | null;
  entityKey: string | null;
  threshold: number;
  cooldownMs: number;
  inApp: boolean;
  webhookEndpointId: string | null;
  enabled: boolean;
  createdBy: string;
  createdAt: Date;
  checkedAt: Date | null;
};

function view(r: RuleRow, urls: Map<string, string>): AlertRuleView {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as AlertKind,
    entityKind: r.entityKind,
    entityKey: r.entityKey,
    threshold: r.threshold,
    cooldownMinutes: Math.round(r.cooldownMs / 60_000),
    inApp: r.inApp,
    webhookUrl: r.webhookEndpointId ? (urls.get(r.webhookEndpointId) ?? null) : null,
    enabled: r.enabled,
    createdBy: r.createdBy,
    createdAt: r.createdAt.toISOString(),
    checkedAt: r.checkedAt?.toISOString() ?? null,
  };
}

async function endpointUrls(db: Pick<Db, "webhookEndpoint">, ids: Array<string | null>) {
  const want = ids.filter((x): x is string => !!x);
  if (!want.length) return new Map<string, string>();
  const rows = await db.webhookEndpoint.findMany({
    where: { id: { in: want } },
    select: { id: true, url: true },
  });
  return new Map(rows.map((r) => [r.id, r.url]));
}

export async function listAlertRules(db: Db, actor: Pick<Actor, "workspaceId">) {
  const rows = await db.alertRule.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { createdAt: "asc" },
    take: MAX_RULES,
    select: ruleSelect,
  });
  const urls = await endpointUrls(
    db,
    rows.map((r) => r.webhookEndpointId),
  );
  return rows.map((r) => view(r, urls));
}

/** Creates a rule; with a webhook, its secret is in the answer, and never again. */
export async function createAlertRule(
  deps: { db: Db; vault: Pick<CredentialVault, "seal"> },
  actor: Actor,
  input: z.infer<typeof ZCreateAlertRuleInput>,
): Promise<{ rule: AlertRuleView; secret: string | null }> {
  const { db } = deps;
  const id = randomUUID();
  const secret = input.webhookUrl ? newWebhookSecret() : null;
  const rule = await db.$transaction(async (tx) => {
    const count = await tx.alertRule.count({ where: { workspaceId: actor.workspaceId } });
    if (count >= MAX_RULES)
      throw new AppError("PRECONDITION_FAILED", {
        message: `A workspace has ${MAX_RULES} alert rules at most; delete one first.`,
      });
    let endpointId: string | null = null;
    const now = new Date();
    if (input.webhookUrl && secret) {
      endpointId = randomUUID();
      await tx.webhookEndpoint.create({
        data: {
          id: endpointId,
          workspaceId: actor.workspaceId,
          url: input.webhookUrl,
          description: `Alert rule: ${input.name}`.slice(0, 200),
          events: [],
          secret: deps.vault.seal(secret, aad(actor.workspaceId, endpointId)) as object,
          enabled: true,
          createdBy: actor.label,
          createdAt: now,
          updatedAt: now,
        },
      });
    }
    const r = await tx.alertRule.create({
      data: {
        id,
        workspaceId: actor.workspaceId,
        name: input.name,
        kind: input.kind,
        entityKind: input.entityKind ?? null,
        entityKey: input.entityKey ?? null,
        threshold: input.threshold,
        cooldownMs: input.cooldownMinutes * 60_000,
        inApp: input.inApp,
        webhookEndpointId: endpointId,
        createdBy: actor.label,
        createdAt: now,
        updatedAt: now,
      },
      select: ruleSelect,
    });
    await appendAudit(tx, actor, {
      action: "alert.rule.create",
      subjectType: "alert_rule",
      subjectId: id,
      payload: {
        name: r.name,
        kind: r.kind,
        entity: r.entityKey ? `${r.entityKind}:${r.entityKey}` : null,
        threshold: r.threshold,
        cooldownMs: r.cooldownMs,
        inApp: r.inApp,
        webhookUrl: input.webhookUrl ?? null,
      },
    });
    return r;
  });
  const urls = await endpointUrls(db, [rule.webhookEndpointId]);
  return { rule: view(rule, urls), secret };
}

export async function updateAlertRule(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZUpdateAlertRuleInput>,
): Promise<AlertRuleView> {
  const rule = await db.$transaction(async (tx) => {
    const r = await tx.alertRule.findFirst({
      where: { id: input.id, workspaceId: actor.workspaceId },
      select: ruleSelect,
    });
    if (!r) throw notFound("Alert rule");
    if (
      input.threshold !== undefined &&
      input.threshold > 1 &&
      ["error_rate", "trust_floor", "prediction"].includes(r.kind)
    )
      throw new AppError("INVALID_INPUT", {
        message: "This kind's threshold is a share between 0 and 1.",
        details: { field: "threshold" },
      });
    const updated = await tx.alertRule.update({
      where: { id: r.id },
      data: {
        ...(input.name !== undefined ? { name: input.name } : {}),
        ...(input.threshold !== undefined ? { threshold: input.threshold } : {}),
        ...(input.cooldownMinutes !== undefined
          ? { cooldownMs: input.cooldownMinutes * 60_000 }
          : {}),
        ...(input.inApp !== undefined ? { inApp: input.inApp } : {}),
        ...(input.enabled !== undefined ? { enabled: input.enabled } : {}),
        updatedAt: new Date(),
      },
      select: ruleSelect,
    });
    await appendAudit(tx, actor, {
      action: "alert.rule.update",
      subjectType: "alert_rule",
      subjectId: r.id,
      payload: {
        name: updated.name,
        threshold: updated.threshold,
        cooldownMs: updated.cooldownMs,
        inApp: updated.inApp,
        enabled: updated.enabled,
      },
    });
    return updated;
  });
  return view(rule, await endpointUrls(db, [rule.webhookEndpointId]));
}

/** Deletes a rule, its fired alerts and its own webhook endpoint. */
export async function deleteAlertRule(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZAlertRuleId>,
): Promise<{ id: string }> {
  await db.$transaction(async (tx) => {
    const r = await tx.alertRule.findFirst({
      where: { id: input.id, workspaceId: actor.workspaceId },
      select: ruleSelect,
    });
    if (!r) throw notFound("Alert rule");
    await tx.alertRule.delete({ where: { id: r.id } });
    if (r.webhookEndpointId)
      await tx.webhookEndpoint.deleteMany({
        where: { id: r.webhookEndpointId, workspaceId: actor.workspaceId },
      });
    await appendAudit(tx, actor, {
      action: "alert.rule.delete",
      subjectType: "alert_rule",
      subjectId: r.id,
      payload: { name: r.name, kind: r.kind },
    });
  });
  return { id: input.id };
}

export interface AlertEventView {
  id: string;
  ruleId: string;
  ruleName: string;
  subject: string;
  title: string;
  body: string;
  observed: number | null;
  threshold: number | null;
  firedAt: string;
  ackBy: string | null;
  ackAt: string | null;
}

/** Fired alerts, newest first. */
export async function listAlertEvents(
  db: Db,
  actor: Pick<Actor, "workspaceId">,
  input: z.infer<typeof ZListAlertEventsInput>,
): Promise<{ items: AlertEventView[]; nextCursor: string | null }> {
  const rows = await db.alertEvent.findMany({
    where: {
      workspaceId: actor.workspaceId,
      ...(input.unacknowledgedOnly ? { ackAt: null } : {}),
    },
    orderBy: [{ firedAt: "desc" }, { id: "desc" }],
    take: input.limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
    include: { rule: { select: { name: true } } },
  });
  const page = rows.slice(0, input.limit);
  return {
    items: page.map((e) => ({
      id: e.id,
      ruleId: e.ruleId,
      ruleName: e.rule.name,
      subject: e.subject,
      title: e.title,
      body: e.body,
      observed: e.observed,
      threshold: e.threshold,
      firedAt: e.firedAt.toISOString(),
      ackBy: e.ackBy,
      ackAt: e.ackAt?.toISOString() ?? null,
    })),
    nextCursor: rows.length > input.limit ? (page.at(-1)?.id ?? null) : null,
  };
}

/** A member acknowledges a fired alert (once; audited). */
export async function acknowledgeAlert(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZAckAlertInput>,
): Promise<{ id: string; ackBy: string; ackAt: string }> {
  return db.$transaction(async (tx) => {
    const e = await tx.alertEvent.findFirst({
      where: { id: input.id, workspaceId: actor.workspaceId },
      select: { id: true, ackAt: true, ackBy: true, title: true, ruleId: true },
    });
    if (!e) throw notFound("Alert");
    if (e.ackAt)
      throw new AppError("CONFLICT", {
        message: `${e.ackBy ?? "Someone"} acknowledged this alert already.`,
      });
    const at = new Date();
    await tx.alertEvent.update({ where: { id: e.id }, data: { ackBy: actor.label, ackAt: at } });
    await appendAudit(tx, actor, {
      action: "alert.acknowledge",
      subjectType: "alert",
      subjectId: e.id,
      payload: { ruleId: e.ruleId, title: e.title },
    });
    return { id: e.id, ackBy: actor.label, ackAt: at.toISOString() };
  });
}
