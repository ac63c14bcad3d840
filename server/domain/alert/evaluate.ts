/**
 * Alert evaluation (issue 17 item 6), every minute in a background loop: each enabled rule is
 * checked against what the consumers maintain (never a scan of history):
 *
 * - `error_rate` / `p95`: the last 15 minutes of the anomaly buckets of its entity (or of every
 *   flow): fires when the error rate (n ≥ 10) or the p95 latency in ms (n ≥ 20) reaches the
 *   threshold;
 * - `trust_floor`: an earned score (n ≥ 20) below the threshold;
 * - `anomaly`: each anomaly detected since the last check (of its entity, if named) whose
 *   |z| reaches the threshold (0: every anomaly, rule-based ones included);
 * - `prediction`: flows whose failure risk (`highRiskFlows`) reaches the threshold.
 *
 * A rule fires at most once per subject per cooldown, and at most {@link MAX_FIRES} alerts per
 * check (an alert storm becomes one line saying how many more matched). A fired alert is an
 * `AlertEvent`, in-app notifications to the workspace's members (when `inApp`) and a webhook
 * delivery to the rule's own endpoint and to every endpoint subscribed to `alert.fired`,
 * written in one transaction; the webhook sender signs and sends them.
 */
import { randomUUID } from "node:crypto";
import { startBackgroundLoop, type BackgroundLoop } from "../background-loop";
import {
  metricValue,
  addStats,
  emptyStats,
  bucketOf,
  BUCKET_MS,
  WINDOW_BUCKETS,
  type EntityKind,
  type BucketStats,
} from "../anomaly/metrics";
import { webhookBody } from "../notification/notify";
import { highRiskFlows } from "../prediction";
import { listTrust } from "../trust/list-trust";
import type { Db } from "../types";
import type { AlertKind } from "./schemas";

/** Alerts one rule fires per check at most. */
export const MAX_FIRES = 20;
/** Rules checked per pass at most (the least recently checked first). */
const RULES_PER_PASS = 200;
/** Members notified in-app at most. */
const MEMBER_SCAN = 2000;

interface Rule {
  id: string;
  workspaceId: string;
  name: string;
  kind: string;
  entityKind: string | null;
  entityKey: string | null;
  threshold: number;
  cooldownMs: number;
  inApp: boolean;
  webhookEndpointId: string | null;
  checkedAt: Date | null;
}

/** Something that crossed a rule. */
export interface Candidate {
  subject: string;
  title: string;
  body: string;
  observed: number | null;
  link: string;
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/** What crosses `rule` at `now`. */
export async function candidates(db: Db, rule: Rule, now: number): Promise<Candidate[]> {
  const kind = rule.kind as AlertKind;
  switch (kind) {
    case "error_rate":
    case "p95": {
      const entityKind = (rule.entityKind ?? "flow") as EntityKind;
      const since = new Date(bucketOf(now) - (WINDOW_BUCKETS - 1) * BUCKET_MS);
      const rows = await db.anomalyBucket.findMany({
        where: {
          workspaceId: rule.workspaceId,
          kind: entityKind,
          ...(rule.entityKey ? { key: rule.entityKey } : {}),
          bucket: { gte: since },
        },
        take: 5000,
      });
      const windows = new Map<string, BucketStats>();
      for (const r of rows) {
        const s = windows.get(r.key) ?? emptyStats();
        const b = emptyStats();
        Object.assign(b, {
          runs: r.runs,
          calls: r.calls,
          failures: r.failures,
          writes: r.writes,
          tokens: r.tokens,
          cost: r.cost,
          outBytes: r.outBytes,
        });
        r.latency.forEach((c, i) => (b.latency[i] = c));
        windows.set(r.key, addStats(s, b));
      }
      const out: Candidate[] = [];
      for (const [key, s] of windows) {
        const v = metricValue(entityKind, s, kind === "p95" ? "p95_latency" : "error_rate");
        if (!v || v.value < rule.threshold) continue;
        out.push({
          subject: `${entityKind}:${key}`,
          title:
            kind === "p95"
              ? `p95 latency of ${key} is ${Math.round(v.value)} ms (rule: ≥ ${rule.threshold} ms)`
              : `Error rate of ${key} is ${pct(v.value)} (rule: ≥ ${pct(rule.threshold)})`,
          body: `Over the last 15 minutes, n = ${v.n}.`,
          observed: v.value,
          link: "/trust",
        });
      }
      return out;
    }
    case "trust_floor": {
      const entityKind = (rule.entityKind ?? "flow") as "flow" | "block" | "endpoint" | "model";
      const entries = await listTrust(db, rule.workspaceId, entityKind, now);
      return entries
        .filter(
          (e) =>
            e.enoughData &&
            e.score < rule.threshold &&
            (!rule.entityKey || e.key === rule.entityKey),
        )
        .map((e) => ({
          subject: `${entityKind}:${e.key}`,
          title: `Trust of ${e.label} is ${e.score.toFixed(2)} (floor ${rule.threshold})`,
          body: `Interval ${e.interval.low.toFixed(2)}–${e.interval.high.toFixed(2)}, n = ${e.n.toFixed(0)}.`,
          observed: e.score,
          link: "/trust",
        }));
    }
    case "anomaly": {
      const since = rule.checkedAt ?? new Date(now - 15 * 60_000);
      const rows = await db.anomaly.findMany({
        where: {
          workspaceId: rule.workspaceId,
          detectedAt: { gt: since },
          ...(rule.entityKind ? { kind: rule.entityKind } : {}),
          ...(rule.entityKey ? { key: rule.entityKey } : {}),
        },
        orderBy: { detectedAt: "desc" },
        take: 200,
      });
      return rows
        .filter(
          (a) => rule.threshold <= 0 || a.score === null || Math.abs(a.score) >= rule.threshold,
        )
        .map((a) => ({
          subject: `anomaly:${a.id}`,
          title: `Anomaly: ${a.metric.replace(/_/g, " ")} of ${a.label || a.key} (${a.rule})`,
          body: a.explanation,
          observed: a.observed,
          link: "/trust",
        }));
    }
    case "prediction": {
      const flows = await highRiskFlows(db, rule.workspaceId, rule.threshold, now);
      return flows
        .filter((f) => !rule.entityKey || f.workflowId === rule.entityKey)
        .map((f) => ({
          subject: `flow:${f.workflowId}`,
          title: `Failure risk of ${f.workflowName} ${f.version} is ${pct(f.risk)} (rule: ≥ ${pct(rule.threshold)})`,
          body: f.reasons.join(" "),
          observed: f.risk,
          link: "/trust",
        }));
    }
  }
}

/** Checks every enabled rule due; returns how many alerts fired. */
export async function evaluateAlerts(db: Db, now: number): Promise<number> {
  const rules = await db.alertRule.findMany({
    where: { enabled: true },
    orderBy: [{ checkedAt: { sort: "asc", nulls: "first" } }],
    take: RULES_PER_PASS,
  });
  let fired = 0;
  for (const rule of rules) {
    const found = await candidates(db, rule, now);
    const recent = found.length
      ? await db.alertEvent.findMany({
          where: {
            ruleId: rule.id,
            subject: { in: found.map((c) => c.subject) },
            firedAt: { gte: new Date(now - rule.cooldownMs) },
          },
          select: { subject: true },
        })
      : [];
    const cooling = new Set(recent.map((r) => r.subject));
    const due = found.filter((c) => !cooling.has(c.subject));
    const fire = due.slice(0, MAX_FIRES);
    if (due.length > MAX_FIRES) {
      const last = fire[fire.length - 1]!;
      last.body = `${last.body} And ${due.length - MAX_FIRES} more matched this rule now.`;
    }
    for (const c of fire) await fireAlert(db, rule, c, now);
    fired += fire.length;
    await db.alertRule.update({ where: { id: rule.id }, data: { checkedAt: new Date(now) } });
  }
  return fired;
}

/** Records one alert: the event, in-app notifications, webhook deliveries (one transaction). */
async function fireAlert(db: Db, rule: Rule, c: Candidate, now: number): Promise<void> {
  const at = new Date(now);
  const id = randomUUID();
  const title = `${rule.name}: ${c.title}`.slice(0, 200);
  await db.$transaction(async (tx) => {
    await tx.alertEvent.create({
      data: {
        id,
        workspaceId: rule.workspaceId,
        ruleId: rule.id,
        subject: c.subject.slice(0, 700),
        title,
        body: c.body.slice(0, 1000),
        observed: c.observed,
        threshold: rule.threshold,
        firedAt: at,
      },
    });
    if (rule.inApp) {
      const members = await tx.membership.findMany({
        where: { workspaceId: rule.workspaceId },
        orderBy: { createdAt: "asc" },
        take: MEMBER_SCAN,
        select: { userId: true },
      });
      if (members.length)
        await tx.notification.createMany({
          data: members.map((m) => ({
            id: randomUUID(),
            workspaceId: rule.workspaceId,
            userId: m.userId,
            kind: "alert.fired",
            title,
            body: c.body.slice(0, 1000),
            link: c.link,
            createdAt: at,
          })),
        });
    }
    const subscribed = await tx.webhookEndpoint.findMany({
      where: { workspaceId: rule.workspaceId, enabled: true, events: { has: "alert.fired" } },
      select: { id: true },
      take: 20,
    });
    const endpoints = new Set(subscribed.map((e) => e.id));
    if (rule.webhookEndpointId) endpoints.add(rule.webhookEndpointId);
    if (!endpoints.size) return;
    const eventId = randomUUID();
    const body = webhookBody({
      id: eventId,
      type: "alert.fired",
      createdAt: now,
      workspaceId: rule.workspaceId,
      data: {
        alert: {
          id,
          title,
          body: c.body,
          subject: c.subject,
          observed: c.observed,
          firedAt: at.toISOString(),
        },
        rule: { id: rule.id, name: rule.name, kind: rule.kind, threshold: rule.threshold },
        link: c.link,
      },
    });
    await tx.webhookEndpointDelivery.createMany({
      data: [...endpoints].map((endpointId) => ({
        id: randomUUID(),
        endpointId,
        workspaceId: rule.workspaceId,
        eventId,
        eventType: "alert.fired",
        body,
        nextAttemptAt: at,
        createdAt: at,
      })),
      skipDuplicates: true,
    });
  });
}

/** Starts the alert loop: a pass every `everyMs` (default a minute). */
export function startAlertEvaluator(
  db: Db,
  logger: { error(obj: object, msg: string): void },
  opts: { everyMs?: number } = {},
): BackgroundLoop {
  const every = opts.everyMs ?? 60_000;
  return startBackgroundLoop(() =>
    evaluateAlerts(db, Date.now()).then(
      () => every,
      (err: unknown) => {
        logger.error({ err: String(err) }, "alert evaluation failed");
        return every;
      },
    ),
  );
}
