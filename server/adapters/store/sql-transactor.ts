/**
 * The run and trigger ports of the domain (`server/domain/run/ports.ts`) on the raw SQL driver:
 * the {@link Transactor} that hands out transaction-scoped `{ runs, audit, claim }`, the inline
 * recorder of synchronous webhooks (one statement for the trigger's record, the run, its first
 * checkpoint and its ledger entries), and the webhook lookups. All SQL of run starts lives here.
 */
import type {
  CurrentWorkflowText,
  InlineRecorder,
  SealedWebhookSecret,
  Transactor,
  TriggerClaim,
  WebhookLookups,
} from "@/server/domain/run/ports";
import { ClaimRefused } from "@/server/domain/run/ports";
import type { CommitResult } from "@/server/engine/ports";
import type { SqlDriver } from "../prisma/sql-driver";
import { SqlNotificationStore } from "@/server/adapters/notify/sql-notifications";
import { SqlApprovalStore } from "./sql-approvals";
import { SqlReprocessStore } from "./sql-reprocess";
import { ledgerLockKey, type SqlLedger } from "./sql-audit";
import { sqlVersionReader } from "./sql-flow-versions";
import { SqlRunStore, type SqlQuery } from "./sql-run-store";

/** A claim as the row it inserts: table and columns, typed values, conflict target. */
function claimRow(c: TriggerClaim): {
  into: string;
  values: Array<[unknown, string]>;
  conflict: string;
} {
  if (c.kind === "webhook-delivery")
    return {
      into: `"WebhookDelivery" ("workspaceId", "workflowId", "deliveryId", "signature", "runId")`,
      values: [
        [c.workspaceId, "uuid"],
        [c.workflowId, "uuid"],
        [c.deliveryId, "text"],
        [c.signature, "text"],
        [c.runId, "uuid"],
      ],
      // A clash on ANY unique key claims nothing: the delivery is unique both by its signed
      // content and by its delivery id.
      conflict: "",
    };
  return {
    into: `"ScheduleFire" ("workspaceId", "workflowId", "fireAt", "runId")`,
    values: [
      [c.workspaceId, "uuid"],
      [c.workflowId, "uuid"],
      [new Date(c.fireAt).toISOString(), "timestamptz"],
      [c.runId, "uuid"],
    ],
    conflict: `("workflowId", "fireAt")`,
  };
}

/** Inserts the claim's row in `q`'s transaction: true when it inserted it. */
export async function insertClaim(q: SqlQuery, c: TriggerClaim): Promise<boolean> {
  const row = claimRow(c);
  const rows = await q.query(
    `INSERT INTO ${row.into} VALUES (${row.values.map(([, type], i) => `$${i + 1}::${type}`).join(", ")})
     ON CONFLICT ${row.conflict} DO NOTHING RETURNING 1 AS ok`,
    row.values.map(([v]) => v),
  );
  return rows.length > 0;
}

/** The {@link Transactor} on the raw driver: one driver transaction per call. */
export function sqlTransactor(
  driver: Pick<SqlDriver, "transaction">,
  ledger: SqlLedger,
): Transactor {
  return {
    transaction: (fn) =>
      driver.transaction((tx) =>
        fn({
          runs: new SqlRunStore(tx),
          audit: { append: (actor, record) => ledger.append(tx, actor, record) },
          approvals: new SqlApprovalStore(tx),
          reprocess: new SqlReprocessStore(tx),
          notifications: new SqlNotificationStore(tx),
          versions: sqlVersionReader(tx),
          claim: (c) => insertClaim(tx, c),
        }),
      ),
  };
}

function isUniqueViolation(err: unknown, table: string): boolean {
  const e = err as { code?: string; table?: string; constraint?: string; message?: string };
  return (
    e?.code === "23505" &&
    (e.table === table ||
      Boolean(e.constraint?.startsWith(table)) ||
      Boolean(e.message?.includes(table)))
  );
}

/**
 * Records an inline run at its first checkpoint: the trigger's claim, the run with the
 * checkpoint, `run.start` and (when the checkpoint ends the run) `run.<end>` in the ledger.
 * ONE statement when this process knows the ledger's head (the usual case); otherwise, or when
 * another appender moved the head, one transaction of four statements.
 */
export function sqlInlineRecorder(
  driver: Pick<SqlDriver, "transaction" | "query">,
  ledger: SqlLedger,
): InlineRecorder {
  return {
    async recordInline({ newRun, claim, checkpoint: cp, entries }): Promise<CommitResult> {
      const workspaceId = newRun.workspaceId;
      const audited = (cp.audit?.length ?? 0) > 0;
      const lock = ledgerLockKey(workspaceId);
      const row = claimRow(claim);
      const done = await ledger.inOrder(workspaceId, async () => {
        const fast = ledger.statementParts(workspaceId, entries);
        if (!fast) return undefined;
        try {
          const r = await new SqlRunStore(driver).createWithCheckpoint(newRun, cp, {
            advisoryLock: lock,
            parts: (add) => ({
              guard: fast.guard(add),
              claim: (gate) =>
                `INSERT INTO ${row.into} SELECT ${row.values.map(([v, type]) => `${add(v)}::${type}`).join(", ")}
                 WHERE ${gate} ON CONFLICT ${row.conflict} DO NOTHING RETURNING 1`,
              ctes: (gate) => fast.ctes(add, gate),
            }),
          });
          if (r.guard && !r.claimed) throw new ClaimRefused();
          if (!r.guard) return undefined;
          fast.committed();
          return { ...r, audited };
        } catch (err) {
          // Another appender committed between this statement's snapshot and its lock.
          if (!isUniqueViolation(err, "AuditEntry")) throw err;
          return undefined;
        }
      });
      if (done) return done;
      return driver.transaction(async (tx) => {
        if (!(await insertClaim(tx, claim))) throw new ClaimRefused();
        // The run and its checkpoint in one statement, which also takes the ledger's lock.
        const r = await new SqlRunStore(tx).createWithCheckpoint(newRun, cp, {
          advisoryLock: lock,
        });
        await ledger.appendBatch(tx, workspaceId, entries, { locked: true });
        return { ...r, audited };
      });
    },
  };
}

/** The webhook lookups: one indexed query each. */
export function sqlWebhookLookups(sql: SqlQuery): WebhookLookups {
  return {
    async secretOf(slug, flow): Promise<SealedWebhookSecret | null> {
      const [row] = await sql.query<SealedWebhookSecret>(
        `SELECT s."workspaceId"::text AS "workspaceId", s."workflowId"::text AS "workflowId",
           s."ciphertext", s."iv", s."tag", s."keyId"
         FROM "WebhookSecret" s JOIN "Workspace" w ON w."id" = s."workspaceId"
         WHERE w."slug" = $1 AND s."flowName" = $2`,
        [slug, flow],
      );
      return row ?? null;
    },
    async currentText(workflowId): Promise<CurrentWorkflowText | null> {
      const [r] = await sql.query<{
        vid: string | null;
        version: string | null;
        dsl: string | null;
        draft: string;
        updated: number;
      }>(
        `SELECT v."id"::text AS vid, v."version", v."dsl", w."draft",
           (extract(epoch from w."updatedAt") * 1000)::float8 AS updated
         FROM "Workflow" w LEFT JOIN LATERAL (
           SELECT "id", "version", "dsl" FROM "WorkflowVersion" WHERE "workflowId" = w."id"
           ORDER BY "createdAt" DESC LIMIT 1) v ON TRUE
         WHERE w."id" = $1::uuid AND w."deletedAt" IS NULL`,
        [workflowId],
      );
      if (!r) return null;
      return {
        versionId: r.vid,
        version: r.version,
        dsl: r.dsl,
        draft: r.draft,
        updatedAt: Number(r.updated),
      };
    },
  };
}
