/**
 * The notifications' stores on the raw SQL driver: {@link SqlNotificationStore} inside an event's
 * transaction (`TxScope.notifications`: notifications, deliveries, endpoints) and
 * {@link SqlWebhookDeliveryStore} on the pool for the sender's queue (claim with SKIP LOCKED and
 * a lease pushed into `nextAttemptAt`, then the attempt's outcome).
 */
import type { SealedSecret } from "@/server/domain/connector/ports";
import type {
  ClaimedDelivery,
  DeliveryOutcome,
  NewDelivery,
  NewNotification,
  NotificationKind,
  NotificationStore,
  WebhookDeliveryStore,
  WebhookEndpointRecord,
  WorkspaceMember,
} from "@/server/domain/notification/types";
import type { Role } from "@/server/domain/types";
import { ms, num, parse, ts, type Row } from "../store/sql-rows";
import type { SqlQuery } from "../store/sql-run-store";

const ENDPOINT_COLS = `"id"::text AS id, "workspaceId"::text AS "workspaceId", "url", "description",
  array_to_json("events")::text AS events, "enabled", "createdBy",
  ${ms('"createdAt"')} AS "createdAt", ${ms('"updatedAt"')} AS "updatedAt"`;

const bool = (v: unknown) => v === true || v === "t" || v === "true";

function toEndpoint(r: Row): WebhookEndpointRecord {
  return {
    id: r.id as string,
    workspaceId: r.workspaceId as string,
    url: r.url as string,
    description: (r.description as string) ?? "",
    events: (parse(r.events) ?? []) as NotificationKind[],
    enabled: bool(r.enabled),
    createdBy: r.createdBy as string,
    createdAt: num(r.createdAt)!,
    updatedAt: num(r.updatedAt)!,
  };
}

/** Notifications, deliveries and endpoints in one transaction. */
export class SqlNotificationStore implements NotificationStore {
  constructor(private readonly sql: SqlQuery) {}

  async members(workspaceId: string, limit: number): Promise<WorkspaceMember[]> {
    const rows = await this.sql.query<Row>(
      `SELECT m."userId"::text AS "userId", u."email", m."role"::text AS role,
         (SELECT coalesce(json_agg(g."name"), '[]'::json)::text FROM "WorkspaceGroupMember" gm
            JOIN "WorkspaceGroup" g ON g."id" = gm."groupId"
          WHERE gm."userId" = m."userId" AND g."workspaceId" = m."workspaceId") AS groups
       FROM "Membership" m JOIN "User" u ON u."id" = m."userId"
       WHERE m."workspaceId" = $1::uuid
       ORDER BY m."createdAt", m."id"
       LIMIT $2::int`,
      [workspaceId, limit],
    );
    return rows.map((r) => ({
      userId: r.userId as string,
      email: r.email as string,
      role: r.role as Role,
      groups: (parse(r.groups) ?? []) as string[],
    }));
  }

  async insertNotifications(rows: readonly NewNotification[]): Promise<void> {
    if (!rows.length) return;
    await this.sql.query(
      `INSERT INTO "Notification" ("id", "workspaceId", "userId", "kind", "title", "body", "link", "createdAt")
       SELECT x."id"::uuid, x."workspaceId"::uuid, x."userId"::uuid, x."kind", x."title", x."body",
         x."link", ${ts('x."createdAt"')}
       FROM json_to_recordset($1::json) AS x("id" text, "workspaceId" text, "userId" text,
         "kind" text, "title" text, "body" text, "link" text, "createdAt" float8)`,
      [JSON.stringify(rows)],
    );
  }

  async endpointsFor(workspaceId: string, eventType: NotificationKind): Promise<string[]> {
    const rows = await this.sql.query<Row>(
      `SELECT "id"::text AS id FROM "WebhookEndpoint"
       WHERE "workspaceId" = $1::uuid AND "enabled" AND $2 = ANY("events")
       ORDER BY "createdAt" LIMIT 50`,
      [workspaceId, eventType],
    );
    return rows.map((r) => r.id as string);
  }

  async insertDeliveries(rows: readonly NewDelivery[]): Promise<void> {
    if (!rows.length) return;
    await this.sql.query(
      `INSERT INTO "WebhookEndpointDelivery" ("id", "endpointId", "workspaceId", "eventId",
         "eventType", "body", "status", "attempts", "nextAttemptAt", "createdAt")
       SELECT x."id"::uuid, x."endpointId"::uuid, x."workspaceId"::uuid, x."eventId"::uuid,
         x."eventType", x."body", 'pending', 0, ${ts('x."createdAt"')}, ${ts('x."createdAt"')}
       FROM json_to_recordset($1::json) AS x("id" text, "endpointId" text, "workspaceId" text,
         "eventId" text, "eventType" text, "body" text, "createdAt" float8)
       ON CONFLICT ("endpointId", "eventId") DO NOTHING`,
      [JSON.stringify(rows)],
    );
  }

  async insertEndpoint(
    e: WebhookEndpointRecord & { secret: SealedSecret },
  ): Promise<WebhookEndpointRecord> {
    const rows = await this.sql.query<Row>(
      `INSERT INTO "WebhookEndpoint" ("id", "workspaceId", "url", "description", "events", "secret",
         "enabled", "createdBy", "createdAt", "updatedAt")
       VALUES ($1::uuid, $2::uuid, $3, $4, $5::text[], $6::jsonb, $7::boolean, $8, ${ts("$9")},
         ${ts("$10")})
       RETURNING ${ENDPOINT_COLS}`,
      [
        e.id,
        e.workspaceId,
        e.url,
        e.description,
        e.events,
        JSON.stringify(e.secret),
        e.enabled,
        e.createdBy,
        e.createdAt,
        e.updatedAt,
      ],
    );
    return toEndpoint(rows[0]!);
  }

  async lockEndpoint(id: string, workspaceId: string): Promise<WebhookEndpointRecord | null> {
    const rows = await this.sql.query<Row>(
      `SELECT ${ENDPOINT_COLS} FROM "WebhookEndpoint"
       WHERE "id" = $1::uuid AND "workspaceId" = $2::uuid FOR UPDATE`,
      [id, workspaceId],
    );
    return rows[0] ? toEndpoint(rows[0]) : null;
  }

  async updateEndpoint(
    id: string,
    patch: Partial<Pick<WebhookEndpointRecord, "url" | "description" | "events" | "enabled">> & {
      secret?: SealedSecret;
      updatedAt: number;
    },
  ): Promise<WebhookEndpointRecord> {
    const rows = await this.sql.query<Row>(
      `UPDATE "WebhookEndpoint" SET
         "url" = coalesce($2, "url"),
         "description" = coalesce($3, "description"),
         "events" = coalesce($4::text[], "events"),
         "enabled" = coalesce($5::boolean, "enabled"),
         "secret" = coalesce($6::jsonb, "secret"),
         "updatedAt" = ${ts("$7")}
       WHERE "id" = $1::uuid
       RETURNING ${ENDPOINT_COLS}`,
      [
        id,
        patch.url ?? null,
        patch.description ?? null,
        patch.events ?? null,
        patch.enabled ?? null,
        patch.secret ? JSON.stringify(patch.secret) : null,
        patch.updatedAt,
      ],
    );
    return toEndpoint(rows[0]!);
  }

  async deleteEndpoint(id: string): Promise<void> {
    await this.sql.query(`DELETE FROM "WebhookEndpoint" WHERE "id" = $1::uuid`, [id]);
  }
}

/** The sender's queue on the pool. */
export class SqlWebhookDeliveryStore implements WebhookDeliveryStore {
  constructor(private readonly sql: SqlQuery) {}

  async claimDue(opts: {
    now: number;
    limit: number;
    leaseMs: number;
    deliveryId?: string;
  }): Promise<ClaimedDelivery[]> {
    const rows = await this.sql.query<Row>(
      `WITH due AS (
         SELECT d."id" FROM "WebhookEndpointDelivery" d
         WHERE d."status" = 'pending' AND d."nextAttemptAt" <= ${ts("$1")}
           AND ($4::uuid IS NULL OR d."id" = $4::uuid)
         ORDER BY d."nextAttemptAt"
         LIMIT $2::int
         FOR UPDATE SKIP LOCKED
       )
       UPDATE "WebhookEndpointDelivery" d SET "nextAttemptAt" = ${ts("$1::float8 + $3::float8")}
       FROM due, "WebhookEndpoint" e
       WHERE d."id" = due."id" AND e."id" = d."endpointId"
       RETURNING d."id"::text AS id, d."workspaceId"::text AS "workspaceId",
         d."endpointId"::text AS "endpointId", d."eventId"::text AS "eventId", d."eventType",
         d."body", d."attempts", ${ms('d."createdAt"')} AS "createdAt", e."url", e."enabled",
         e."secret"::text AS secret`,
      [opts.now, opts.limit, opts.leaseMs, opts.deliveryId ?? null],
    );
    return rows.map((r) => ({
      id: r.id as string,
      workspaceId: r.workspaceId as string,
      endpointId: r.endpointId as string,
      eventId: r.eventId as string,
      eventType: r.eventType as string,
      body: r.body as string,
      attempts: Number(r.attempts),
      createdAt: num(r.createdAt)!,
      url: r.url as string,
      enabled: bool(r.enabled),
      secret: parse(r.secret) as SealedSecret,
    }));
  }

  async record(id: string, o: DeliveryOutcome): Promise<void> {
    await this.sql.query(
      `UPDATE "WebhookEndpointDelivery" SET "status" = $2, "attempts" = $3::int,
         "nextAttemptAt" = ${ts("$4")}, "lastStatus" = $5::int, "lastError" = $6,
         "deliveredAt" = CASE WHEN $2 = 'delivered' THEN ${ts("$7")} ELSE "deliveredAt" END
       WHERE "id" = $1::uuid AND "status" = 'pending'`,
      [id, o.status, o.attempts, o.nextAttemptAt, o.lastStatus, o.lastError, o.at],
    );
  }
}
