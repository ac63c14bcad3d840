/**
 * Verification of the committed copy before it is renamed into place: row count and content
 * digest of every table equal to the source's, and every workspace's audit chain verifying (by the
 * caller's verifier: this adapter knows no domain code).
 */
import pg from "pg";
import type { CopiedTable } from "./copy";
import { PgliteImportError } from "./error";
import { DIGEST_SQL, rowsSql, SESSION } from "./sql";

/** Verifies the audit chains of `workspaceIds` on the database at `url`: one result each. */
export type AuditVerifier = (
  url: string,
  workspaceIds: string[],
) => Promise<{ workspaceId: string; ok: boolean; message?: string }[]>;

/** Row counts and content digests of the committed copy against the source's. */
export async function verifyCopy(url: string, copied: CopiedTable[]): Promise<void> {
  const target = new pg.Client({ connectionString: url });
  target.on("error", () => undefined);
  await target.connect();
  try {
    await target.query(SESSION);
    for (const t of copied) {
      const [got] = (
        await target.query<{ n: string; digest: string }>(
          `SELECT count(*)::text AS n, ${DIGEST_SQL} AS digest FROM (${rowsSql(t.table, t.columns)}) t`,
        )
      ).rows as [{ n: string; digest: string }];
      if (got.n !== String(t.rows)) {
        throw new PgliteImportError(
          `Table "${t.table}" has ${t.rows} rows in the PGlite database but ${got.n} after the copy.`,
        );
      }
      if (got.digest !== t.digest) {
        throw new PgliteImportError(
          `Table "${t.table}" differs after the copy: some value did not arrive unchanged.`,
        );
      }
    }
  } finally {
    await target.end().catch(() => undefined);
  }
}

/** Every workspace's audit chain on the copy; returns how many were verified. */
export async function verifyChains(
  url: string,
  verify: AuditVerifier | undefined,
): Promise<number> {
  if (!verify) return 0;
  const target = new pg.Client({ connectionString: url });
  target.on("error", () => undefined);
  await target.connect();
  let ids: string[] = [];
  try {
    // No workspace table: a database migrated only partly, nothing to verify.
    const { rows } = await target.query<{ present: boolean }>(
      `SELECT to_regclass('public."Workspace"') IS NOT NULL AS present`,
    );
    if (rows[0]?.present) {
      const res = await target.query<{ id: string }>(
        `SELECT id::text AS id FROM "Workspace" ORDER BY id`,
      );
      ids = res.rows.map((r) => r.id);
    }
  } finally {
    await target.end().catch(() => undefined);
  }
  if (ids.length === 0) return 0;
  const results = new Map((await verify(url, ids)).map((r) => [r.workspaceId, r]));
  for (const id of ids) {
    const r = results.get(id);
    if (!r?.ok) {
      throw new PgliteImportError(
        `The audit chain of workspace ${id} does not verify after the copy` +
          (r ? (r.message ? `: ${r.message}` : ".") : " (it was not verified)."),
      );
    }
  }
  return ids.length;
}
