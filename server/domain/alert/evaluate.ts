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
 *
 * The cooldown is a claim in the database, not a read: the firing's transaction first upserts
 * the rule and subject's `AlertCooldown` row, setting `lastFiredAt` only where the last firing
 * is older than the cooldown (`INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING`). Two
 * evaluators racing (the embedded worker and `npm run worker`, or two servers) both try; the
 * row lock lets one claim it, the other finds it claimed and fires nothing. The read of cooling
 * subjects before is only a shortcut.
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
/** A subject's length at most (the event's and the claim's). */
const MAX_SUBJECT = 700;

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
    const found = (await candidates(db, rule, now)).map((c) => ({
      ...c,
      subject: c.subject.slice(0, MAX_SUBJECT),
    }));
    const since = new Date(now - rule.cooldownMs);
    const recent = found.length
      ? await db.$queryRawUnsafe<Array<{ subject: string }>>(
          `SELECT subject FROM "AlertCooldown"
            WHERE "ruleId" = $1::uuid AND subject = ANY($2::text[]) AND "lastFiredAt" >= $3`,
          rule.id,
          found.map((c) => c.subject),
          since,
        )
      : [];
    const cooling = new Set(recent.map((r) => r.subject));
    const due = found.filter((c) => !cooling.has(c.subject));
    const fire = due.slice(0, MAX_FIRES);
    if (due.length > MAX_FIRES) {
      const last = fire[fire.length - 1]!;
      last.body = `${last.body} And ${due.length - MAX_FIRES} more matched this rule now.`;
    }
    for (const c of fire) if (await fireAlert(db, rule, c, now)) fired++;
    await db.alertRule.update({ where: { id: rule.id }, data: { checkedAt: new Date(now) } });
    // Claims past their cooldown block nothing any more.
    await db.$executeRawUnsafe(
      `DELETE FROM "AlertCooldown" WHERE "ruleId" = $1::uuid AND "lastFiredAt" < $2`,
      rule.id,
      since,
    );
  }
  return fired;
}

/**
 * Claims the firing of `rule` for `subject` at `now` (in the firing's transaction): true when
 * no firing of it lies within the cooldown, and then `now` is its last firing. A concurrent
 * claim of the same row waits for this transaction and then finds it claimed.
 */
export async function claimFiring(
  tx: Pick<Db, "$queryRawUnsafe">,
  rule: Pick<Rule, "id" | "cooldownMs">,
  subject: string,
  now: number,
): Promise<boolean> {
  const won = await tx.$queryRawUnsafe<unknown[]>(
    `INSERT INTO "AlertCooldown" AS c ("ruleId", subject, "lastFiredAt") VALUES ($1::uuid, $2, $3)
     ON CONFLICT ("ruleId", subject) DO UPDATE SET "lastFiredAt" = EXCLUDED."lastFiredAt"
      WHERE c."lastFiredAt" < $4
     RETURNING 1 AS won`,
    rule.id,
    subject,
    new Date(now),
    new Date(now - rule.cooldownMs),
  );
  return won.length > 0;
}

/**
 * Records one alert once its firing is claimed: the event, in-app notifications, webhook
 * deliveries (one transaction). False when another evaluator fired it within the cooldown.
 */
async function fireAlert(db: Db, rule: Rule, c: Candidate, now: number): Promise<boolean> {
  const at = new Date(now);
  const id = randomUUID();
  const title = `${rule.name}: ${c.title}`.slice(0, 200);
  return db.$transaction(async (tx) => {
    if (!(await claimFiring(tx, rule, c.subject, now))) return false;
    await tx.alertEvent.create({
      data: {
        id,
        workspaceId: rule.workspaceId,
        ruleId: rule.id,
        subject: c.subject,
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
    if (!endpoints.size) return true;
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
    return true;
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
