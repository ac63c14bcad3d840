/**
 * The in-memory database of one `trustflow run`: PGlite in memory, migrated with the project's
 * migrator. Migrating from nothing takes seconds, so the migrated data directory is kept as a
 * template in the temp dir (a gzipped tar, like the integration tests' template), named after a
 * hash of the migrations: each call loads a copy in memory, and the migrator runs on it still
 * (it finds nothing to apply unless the template is stale). Nothing a run writes is kept.
 */
import { createHash } from "node:crypto";
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import os from "node:os";
import path from "node:path";
import { gunzipSync } from "node:zlib";
import { PGlite } from "@electric-sql/pglite";
import {
  loadMigrations,
  migrate,
  openDatabase,
  type Database,
  type Migration,
} from "@/server/adapters/prisma";
import { pgliteDriver } from "@/server/adapters/prisma/sql-driver";

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** Where templates are kept: per user, outside the checkout. */
function templateDir(): string {
  const uid = typeof process.getuid === "function" ? process.getuid() : "user";
  return path.join(os.tmpdir(), `trustflow-cli-db-${uid}`);
}

/**
 * Whether `dir` is ours alone (a directory we own, not a link, writable by nobody else): a
 * template another user could have written is never loaded.
 */
function privateDir(dir: string): boolean {
  try {
    const st = lstatSync(dir);
    const uid = typeof process.getuid === "function" ? process.getuid() : st.uid;
    return st.isDirectory() && st.uid === uid && (st.mode & 0o022) === 0;
  } catch {
    return false;
  }
}

/** The template's file for these migrations (their names and checksums). */
function templateFile(migrations: Migration[]): string {
  const h = createHash("sha256");
  for (const m of migrations) h.update(`${m.name}\n${m.checksum}\n`);
  return path.join(templateDir(), `${h.digest("hex").slice(0, 24)}.tar.gz`);
}

/** A migrated in-memory PGlite's data directory, dumped (gzipped tar). */
async function migratedDump(migrations: Migration[]): Promise<Uint8Array> {
  const client = await PGlite.create();
  try {
    await migrate(pgliteDriver(client), migrations);
    await client.exec("CHECKPOINT");
    return new Uint8Array(await (await client.dumpDataDir("gzip")).arrayBuffer());
  } finally {
    await client.close();
  }
}

/**
 * Opens a fresh, migrated in-memory database from the checkout's `prisma/migrations` (`root`),
 * from the cached template when there is one (made here when not).
 */
export async function openRunDatabase(root: string): Promise<Database> {
  const migrations = await loadMigrations(path.join(root, "prisma", "migrations"));
  const file = templateFile(migrations);
  let dump: Uint8Array | undefined;
  try {
    if (!privateDir(path.dirname(file))) throw new Error("no private template directory");
    dump = readFileSync(file);
  } catch {
    dump = await migratedDump(migrations);
    try {
      mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
      if (!privateDir(path.dirname(file))) throw new Error("not a private directory");
      const tmp = `${file}.${process.pid}.tmp`;
      writeFileSync(tmp, dump);
      renameSync(tmp, file);
      // Templates of other migrations unused for a week (another checkout may still use one).
      for (const f of readdirSync(path.dirname(file))) {
        const other = path.join(path.dirname(file), f);
        if (
          f.endsWith(".tar.gz") &&
          other !== file &&
          statSync(other).atimeMs < Date.now() - WEEK_MS
        )
          rmSync(other, { force: true });
      }
    } catch {
      /* a read-only temp dir: the next call migrates again */
    }
  }
  let db: Database;
  try {
    // Unzipped here, at once: PGlite would first try the bytes as a tar, then unzip them
    // through a decompression stream.
    db = await openDatabase({ kind: "pglite", loadDataDir: new Blob([gunzipSync(dump)]) });
  } catch {
    // A damaged template: dropped, and this call migrates from nothing.
    rmSync(file, { force: true });
    db = await openDatabase({ kind: "pglite" });
  }
  try {
    await migrate(db.driver, migrations);
  } catch (err) {
    await db.close();
    throw err;
  }
  return db;
}
