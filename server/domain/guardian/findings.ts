/**
 * What the guardian tells the trust score (issue 17 item 1, issue 18 item 6): a workspace's open
 * failure groups that failed within a window, each with its flow, its step and block, the IR it
 * last failed on (with that failure's run, where the IR can be read) and whether it is failing
 * again after its fix was released (a member seen after the release, on the released version:
 * the fix did not hold). One bounded, indexed read; the trust module weighs them (and reads the
 * block version each failed on from its IR: `../trust/adjustments.ts`).
 */
import type { Db, Tx } from "../types";

/** Groups read at most per call (the most recently failing). */
export const MAX_FINDING_GROUPS = 500;

/** An open group as a trust finding. */
export interface GuardianFinding {
  id: string;
  workflowId: string | null;
  flowName: string;
  /** The block id without its version (a group spans the block's versions). */
  blockId: string;
  /** The step that fails, as the engine names its attempts (a fan-out child: `each[3]`). */
  stepId: string;
  /** The hash of the compiled flow IR its newest failure ran (`Run.irHash`). */
  failingIrHash: string;
  /**
   * The run of its newest failure: its IR is `failingIrHash`'s, unless a merge brought in a
   * newer failure of another group (which keeps its own `failingIrHash`).
   */
  lastRunId: string;
  count: number;
  firstSeenAt: Date;
  lastSeenAt: Date;
  /** Failing again on the released version after its fix was released. */
  regressed: boolean;
}

/**
 * The workspace's open groups with at least `minFailures` failures, last failing at or after
 * `since` and first seen by `until`, newest failure first (at most `limit`).
 *
 * @example
 * await guardianFindings(db, ws, { since: new Date(now - 7 * DAY), until: new Date(now), minFailures: 3 });
 * // [{ id, workflowId, flowName: "Billing", blockId: "billing.account.upsert", stepId: "account",
 * //    failingIrHash: "9f2c…", lastRunId, count: 12, regressed: false, … }]
 */
export async function guardianFindings(
  db: Pick<Db | Tx, "$queryRawUnsafe">,
  workspaceId: string,
  opts: { since: Date; until: Date; minFailures: number; limit?: number },
): Promise<GuardianFinding[]> {
  const limit = Math.max(
    1,
    Math.min(MAX_FINDING_GROUPS, Math.trunc(opts.limit ?? MAX_FINDING_GROUPS)),
  );
  const rows = await db.$queryRawUnsafe<Array<GuardianFinding & { count: number | bigint }>>(
    `WITH rel AS (
       SELECT "groupId", version, "releasedAt" FROM "GuardianRelease"
        WHERE "workspaceId" = $1::uuid ORDER BY "releasedAt" DESC LIMIT ${MAX_FINDING_GROUPS})
     SELECT g.id::text AS id, g."workflowId"::text AS "workflowId", g."flowName", g."blockId",
            g."stepId", g."failingIrHash", g."lastRunId"::text AS "lastRunId",
            g.count, g."firstSeenAt", g."lastSeenAt",
            EXISTS (SELECT 1 FROM rel JOIN "GuardianMember" m
                      ON m."groupId" = rel."groupId" AND m."seenAt" > rel."releasedAt"
                     AND m.version = rel.version
                    WHERE rel."groupId" = g.id) AS regressed
       FROM "GuardianGroup" g
      WHERE g."workspaceId" = $1::uuid AND g.status = 'open' AND g."lastSeenAt" >= $2
        AND g."firstSeenAt" <= $3 AND g.count >= $4
      ORDER BY g."lastSeenAt" DESC
      LIMIT ${limit}`,
    workspaceId,
    opts.since,
    opts.until,
    opts.minFailures,
  );
  return rows.map((r) => ({ ...r, count: Number(r.count) }));
}
