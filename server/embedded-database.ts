/**
 * Opens the embedded database for a process without `DATABASE_URL`: starts (or joins, or adopts)
 * the embedded PostgreSQL under the data directory, makes sure the application database exists
 * (importing an old PGlite data directory into it on first start, verified by row counts and
 * every workspace's audit chain) and returns its URL. Used by the server (server/composition.ts) and
 * `npm run db:migrate`; `npm run worker` only joins a running server (joinEmbeddedPostgres).
 */
import { existsSync, writeFileSync } from "node:fs";
import path from "node:path";
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from "@/server/adapters/embedded-postgres/cluster";
import {
  prepareEmbeddedDatabase,
  type ImportReport,
} from "@/server/adapters/embedded-postgres/import-pglite";
import { openDatabase } from "@/server/adapters/prisma";
import { verifyAudit } from "@/server/domain/audit/ledger";

/** The application database's name on the embedded server. */
export const EMBEDDED_DATABASE = "trustflow";

export interface EmbeddedDatabase {
  server: EmbeddedPostgres;
  url: string;
  /** Where the data lives, for logs and the start banner. */
  location: string;
  /** The PGlite import done by this start, if any. */
  imported: ImportReport | null;
}

/** Where the report of a PGlite import is kept (the old directory itself is left as it was). */
export function importReportFile(dataDir: string): string {
  return path.join(path.resolve(dataDir), "postgres.imported.json");
}

export async function openEmbeddedDatabase(opts: {
  dataDir: string;
  port?: number;
  log: (msg: string, fields?: Record<string, unknown>) => void;
}): Promise<EmbeddedDatabase> {
  const server = await startEmbeddedPostgres({
    dataDir: opts.dataDir,
    port: opts.port,
    log: opts.log,
  });
  try {
    const pgliteDir = path.join(path.resolve(opts.dataDir), "pglite");
    const { imported } = await prepareEmbeddedDatabase({
      adminUrl: server.adminUrl,
      database: EMBEDDED_DATABASE,
      pgliteDir,
      verifyAudit: verifyChains,
      log: opts.log,
    });
    if (imported) {
      writeFileSync(
        importReportFile(opts.dataDir),
        JSON.stringify({ at: new Date().toISOString(), ...imported }, null, 2) + "\n",
      );
      opts.log(
        `the PGlite database in ${pgliteDir} was copied into the embedded PostgreSQL; the old directory is kept (remove it when you are satisfied)`,
        { rows: imported.rows, workspacesVerified: imported.workspacesVerified },
      );
    } else if (
      existsSync(path.join(pgliteDir, "PG_VERSION")) &&
      !existsSync(importReportFile(opts.dataDir))
    ) {
      opts.log(
        `an old PGlite directory ${pgliteDir} is left untouched (the embedded PostgreSQL already had its database)`,
      );
    }
    return {
      server,
      url: server.urlFor(EMBEDDED_DATABASE),
      location: `embedded PostgreSQL ${server.version} in ${server.clusterDir} (127.0.0.1:${server.port})`,
      imported,
    };
  } catch (err) {
    await server.stop();
    throw err;
  }
}

/** Every workspace's audit chain on the database at `url`, verified from its genesis. */
async function verifyChains(url: string, workspaceIds: string[]) {
  const db = await openDatabase({ kind: "postgres", url, poolSize: 2 });
  try {
    const out: { workspaceId: string; ok: boolean; message?: string }[] = [];
    for (const workspaceId of workspaceIds) {
      const r = await verifyAudit(db.prisma, workspaceId);
      out.push(r.ok ? { workspaceId, ok: true } : { workspaceId, ok: false, message: r.message });
    }
    return out;
  } finally {
    await db.close();
  }
}
