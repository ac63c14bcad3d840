/**
 * The approvals' {@link ApprovalStore} on the raw SQL driver, inside the transaction the
 * `Transactor` hands out (`TxScope.approvals`). Rows are read back driver-independently (JSON as
 * text, times as epoch milliseconds), like the run store's.
 */
import type {
  ApprovalDecisionRecord,
  ApprovalKind,
  ApprovalRecord,
  ApprovalStatus,
  ApprovalStore,
  ApproverSpec,
  DecisionKind,
  HumanWait,
  NewApproval,
  PendingStepState,
} from "@/server/domain/approval/types";
import { ms, num, parse, ts, type Row } from "./sql-rows";
import type { SqlQuery } from "./sql-run-store";

const APPROVAL_COLS = `"id"::text AS id, "workspaceId"::text AS "workspaceId", "kind", "status",
  "runId"::text AS "runId", "workflowId"::text AS "workflowId", "stepId", "attempt",
  "requesterId"::text AS "requesterId", "requesterLabel", "approvers"::text AS approvers,
  "minApprovals", "subject"::text AS subject, "planHash", ${ms('"expiresAt"')} AS "expiresAt",
  ${ms('"escalatedAt"')} AS "escalatedAt", ${ms('"createdAt"')} AS "createdAt",
  ${ms('"decidedAt"')} AS "decidedAt"`;

const DECISION_COLS = `"id"::text AS id, "approvalId"::text AS "approvalId", "userId"::text AS "userId",
  "label", "decision", "comment", "values"::text AS "values", "breakGlass", "reason",
  ${ms('"createdAt"')} AS "createdAt"`;

function toApproval(r: Row): ApprovalRecord {
  return {
    id: r.id as string,
    workspaceId: r.workspaceId as string,
    kind: r.kind as ApprovalKind,
    status: r.status as ApprovalStatus,
    runId: (r.runId as string | null) ?? null,
    workflowId: (r.workflowId as string | null) ?? null,
    stepId: (r.stepId as string | null) ?? null,
    attempt: num(r.attempt),
    requesterId: (r.requesterId as string | null) ?? null,
    requesterLabel: (r.requesterLabel as string | null) ?? null,
    approvers: (parse(r.approvers) ?? {}) as ApproverSpec,
    minApprovals: Number(r.minApprovals),
    subject: (parse(r.subject) ?? {}) as Record<string, unknown>,
    planHash: (r.planHash as string | null) ?? null,
    expiresAt: num(r.expiresAt),
    escalatedAt: num(r.escalatedAt),
    createdAt: num(r.createdAt)!,
    decidedAt: num(r.decidedAt),
  };
}

function toDecision(r: Row): ApprovalDecisionRecord {
  return {
    id: r.id as string,
    approvalId: r.approvalId as string,
    userId: r.userId as string,
    label: r.label as string,
    decision: r.decision as DecisionKind,
    comment: (r.comment as string | null) ?? null,
    values: (parse(r.values) as Record<string, unknown> | null) ?? null,
    breakGlass: r.breakGlass === true || r.breakGlass === "t",
    reason: (r.reason as string | null) ?? null,
    createdAt: num(r.createdAt)!,
  };
}

const FINAL: ReadonlySet<ApprovalStatus> = new Set([
  "approved",
  "rejected",
  "submitted",
  "expired",
  "voided",
]);

/** The approvals' store on one transaction (or, for reads, the pool). */
export class SqlApprovalStore implements ApprovalStore {
  constructor(private readonly sql: SqlQuery) {}

  async insert(a: NewApproval): Promise<{ approval: ApprovalRecord; created: boolean }> {
    const rows = await this.sql.query<Row>(
      `INSERT INTO "Approval" ("id", "workspaceId", "kind", "status", "runId", "workflowId", "stepId",
         "attempt", "requesterId", "requesterLabel", "approvers", "minApprovals", "subject",
         "planHash", "expiresAt", "createdAt")
       VALUES ($1::uuid, $2::uuid, $3, 'pending', $4::uuid, $5::uuid, $6, $7::int, $8::uuid, $9,
         $10::jsonb, $11::int, $12::jsonb, $13, ${ts("$14")}, ${ts("$15")})
       ON CONFLICT ("runId", "stepId", "attempt") DO NOTHING
       RETURNING ${APPROVAL_COLS}`,
      [
        a.id,
        a.workspaceId,
        a.kind,
        a.runId,
        a.workflowId,
        a.stepId,
        a.attempt,
        a.requesterId,
        a.requesterLabel,
        JSON.stringify(a.approvers),
        a.minApprovals,
        JSON.stringify(a.subject),
        a.planHash,
        a.expiresAt,
        a.now,
      ],
    );
    if (rows[0]) return { approval: toApproval(rows[0]), created: true };
    const existing = await this.sql.query<Row>(
      `SELECT ${APPROVAL_COLS} FROM "Approval"
       WHERE "runId" = $1::uuid AND "stepId" = $2 AND "attempt" = $3::int`,
      [a.runId, a.stepId, a.attempt],
    );
    return { approval: toApproval(existing[0]!), created: false };
  }

  async lock(id: string, workspaceId: string): Promise<ApprovalRecord | null> {
    const rows = await this.sql.query<Row>(
      `SELECT ${APPROVAL_COLS} FROM "Approval"
       WHERE "id" = $1::uuid AND "workspaceId" = $2::uuid FOR UPDATE`,
      [id, workspaceId],
    );
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async lockForAttempt(
    runId: string,
    stepId: string,
    attempt: number,
  ): Promise<ApprovalRecord | null> {
    const rows = await this.sql.query<Row>(
      `SELECT ${APPROVAL_COLS} FROM "Approval"
       WHERE "runId" = $1::uuid AND "stepId" = $2 AND "attempt" = $3::int FOR UPDATE`,
      [runId, stepId, attempt],
    );
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async decisions(approvalId: string): Promise<ApprovalDecisionRecord[]> {
    const rows = await this.sql.query<Row>(
      `SELECT ${DECISION_COLS} FROM "ApprovalDecision" WHERE "approvalId" = $1::uuid
       ORDER BY "createdAt", "id"`,
      [approvalId],
    );
    return rows.map(toDecision);
  }

  async addDecision(d: ApprovalDecisionRecord): Promise<boolean> {
    const rows = await this.sql.query(
      `INSERT INTO "ApprovalDecision" ("id", "approvalId", "userId", "label", "decision", "comment",
         "values", "breakGlass", "reason", "createdAt")
       VALUES ($1::uuid, $2::uuid, $3::uuid, $4, $5, $6, $7::jsonb, $8::boolean, $9, ${ts("$10")})
       ON CONFLICT ("approvalId", "userId") DO NOTHING RETURNING 1 AS ok`,
      [
        d.id,
        d.approvalId,
        d.userId,
        d.label,
        d.decision,
        d.comment,
        d.values === null ? null : JSON.stringify(d.values),
        d.breakGlass,
        d.reason,
        d.createdAt,
      ],
    );
    return rows.length > 0;
  }

  async setStatus(id: string, status: ApprovalStatus, at: number): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE "Approval" SET "status" = $2,
         "decidedAt" = CASE WHEN $3::boolean THEN ${ts("$4")} ELSE "decidedAt" END
       WHERE "id" = $1::uuid
         AND ("status" = 'pending' OR ($2 = 'voided' AND "status" = 'approved'))
       RETURNING 1 AS ok`,
      [id, status, FINAL.has(status), at],
    );
    return rows.length > 0;
  }

  async markEscalated(id: string, at: number): Promise<boolean> {
    const rows = await this.sql.query(
      `UPDATE "Approval" SET "escalatedAt" = ${ts("$2")} WHERE "id" = $1::uuid AND "escalatedAt" IS NULL
       RETURNING 1 AS ok`,
      [id, at],
    );
    return rows.length > 0;
  }

  async expireDue(now: number, limit: number): Promise<ApprovalRecord[]> {
    const ids = await this.sql.query<Row>(
      `WITH due AS (
         SELECT "id" FROM "Approval"
         WHERE "status" = 'pending' AND "kind" IN ('replay', 'reprocess')
           AND "expiresAt" <= ${ts("$1")}
         ORDER BY "expiresAt" LIMIT $2::int FOR UPDATE SKIP LOCKED
       )
       UPDATE "Approval" p SET "status" = 'expired', "decidedAt" = ${ts("$1")}
       FROM due WHERE p."id" = due."id"
       RETURNING p."id"::text AS id`,
      [now, limit],
    );
    if (!ids.length) return [];
    const rows = await this.sql.query<Row>(
      `SELECT ${APPROVAL_COLS} FROM "Approval" WHERE "id" = ANY($1::uuid[]) ORDER BY "expiresAt"`,
      [ids.map((r) => r.id as string)],
    );
    return rows.map(toApproval);
  }

  async humanWaitsWithoutApproval(
    scope: { workspaceId?: string; runId?: string },
    blockIds: readonly string[],
    limit: number,
  ): Promise<HumanWait[]> {
    // Active runs only (the partial index of active runs per workspace), their waiting attempts.
    const rows = await this.sql.query<Row>(
      `SELECT a."runId"::text AS "runId", r."workspaceId"::text AS "workspaceId",
         r."workflowId"::text AS "workflowId", a."stepId", a."attempt", a."blockId",
         a."inputs"::text AS inputs, r."startedByUserId"::text AS "requesterId",
         r."startedBy" AS "requesterLabel",
         (SELECT w."name" FROM "Workflow" w WHERE w."id" = r."workflowId") AS flow,
         (SELECT ${ms('max(t."dueAt")')} FROM "RunTask" t
            WHERE t."runId" = a."runId" AND t."stepId" = a."stepId" AND t."kind" = 'timer'
              AND t."doneAt" IS NULL) AS "timeoutAt"
       FROM "Run" r JOIN "StepAttempt" a ON a."runId" = r."id"
       WHERE ($1::uuid IS NULL OR r."workspaceId" = $1::uuid)
         AND r."status" IN ('queued', 'running', 'waiting')
         AND ($2::uuid IS NULL OR r."id" = $2::uuid)
         AND a."status" = 'waiting' AND a."blockId" = ANY($3::text[])
         AND NOT EXISTS (SELECT 1 FROM "Approval" p
           WHERE p."runId" = a."runId" AND p."stepId" = a."stepId" AND p."attempt" = a."attempt")
       ORDER BY r."createdAt", a."stepId"
       LIMIT $4::int`,
      [scope.workspaceId ?? null, scope.runId ?? null, [...blockIds], limit],
    );
    return rows.map((r) => ({
      runId: r.runId as string,
      workspaceId: r.workspaceId as string,
      workflowId: (r.workflowId as string | null) ?? null,
      stepId: r.stepId as string,
      attempt: Number(r.attempt),
      blockId: r.blockId as string,
      inputs: (parse(r.inputs) ?? {}) as Record<string, unknown>,
      requesterId: (r.requesterId as string | null) ?? null,
      requesterLabel: (r.requesterLabel as string | null) ?? null,
      flow: (r.flow as string | null) ?? null,
      timeoutAt: num(r.timeoutAt),
    }));
  }

  async pendingStepStates(
    scope: { workspaceId?: string; runId?: string; approvalId?: string },
    limit: number,
  ): Promise<PendingStepState[]> {
    const rows = await this.sql.query<Row>(
      `SELECT p."id"::text AS id, p."workspaceId"::text AS "workspaceId",
         r."status"::text AS "runStatus", a."status" AS "attemptStatus",
         coalesce((a."output" ->> 'timedOut') = 'true', false) AS "timedOut",
         EXISTS (SELECT 1 FROM "RunTask" t WHERE t."runId" = p."runId" AND t."stepId" = p."stepId"
           AND t."kind" = 'timer' AND t."doneAt" IS NOT NULL) AS "timerFired",
         a."inputs" ->> 'onTimeout' AS "onTimeout", ${ms('p."escalatedAt"')} AS "escalatedAt"
       FROM "Approval" p
         LEFT JOIN "Run" r ON r."id" = p."runId"
         LEFT JOIN "StepAttempt" a ON a."runId" = p."runId" AND a."stepId" = p."stepId"
           AND a."attempt" = p."attempt"
       WHERE ($1::uuid IS NULL OR p."workspaceId" = $1::uuid) AND p."status" = 'pending'
         AND p."kind" IN ('step', 'form')
         AND ($2::uuid IS NULL OR p."id" = $2::uuid)
         AND ($4::uuid IS NULL OR p."runId" = $4::uuid)
         AND (r."status" IS NULL OR r."status" NOT IN ('queued', 'running', 'waiting')
           OR a."status" IS DISTINCT FROM 'waiting'
           OR (p."escalatedAt" IS NULL AND a."inputs" ->> 'onTimeout' = 'escalate'
             AND EXISTS (SELECT 1 FROM "RunTask" t WHERE t."runId" = p."runId"
               AND t."stepId" = p."stepId" AND t."kind" = 'timer' AND t."doneAt" IS NOT NULL)))
       ORDER BY p."createdAt"
       LIMIT $3::int`,
      [scope.workspaceId ?? null, scope.approvalId ?? null, limit, scope.runId ?? null],
    );
    return rows.map((r) => ({
      id: r.id as string,
      workspaceId: r.workspaceId as string,
      runStatus: (r.runStatus as string | null) ?? null,
      attemptStatus: (r.attemptStatus as string | null) ?? null,
      timedOut: r.timedOut === true || r.timedOut === "t",
      timerFired: r.timerFired === true || r.timerFired === "t",
      onTimeout: (r.onTimeout as string | null) ?? null,
      escalatedAt: num(r.escalatedAt),
    }));
  }
}
