import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/client";
import { pgliteDriver, postgresDriver, type SqlDriver } from "./sql-driver";

export type { PrismaClient } from "./generated/client";
export { Prisma } from "./generated/client";
export type * from "./generated/models";
export type { Role } from "./generated/enums";

/** A Prisma client and the raw driver under it; closing closes both. */
export interface Database {
  prisma: PrismaClient;
  driver: SqlDriver;
  kind: "pglite" | "postgres";
  /** Where the data lives: a directory, `memory` or the URL without its password. */
  location: string;
  close(): Promise<void>;
}

export type DatabaseOptions =
  | { kind: "postgres"; url: string; poolSize?: number }
  | {
      kind: "pglite";
      dataDir?: string /* omitted: in memory */;
      /** In memory only: start from a data directory dumped by `dumpDataDir` (tests' template). */
      loadDataDir?: Blob;
    };

export async function openDatabase(options: DatabaseOptions): Promise<Database> {
  if (options.kind === "postgres") {
    const pool = new pg.Pool({ connectionString: options.url, max: options.poolSize ?? 10 });
    // An idle client can be cut off by the server (restart, failover, admin command). Without a
    // listener that error would crash the process; the pool replaces the client on next use.
    pool.on("error", () => undefined);
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    const driver = postgresDriver(pool, false);
    return {
      prisma,
      driver,
      kind: "postgres",
      location: redactUrl(options.url),
      async close() {
        await prisma.$disconnect();
        await driver.close(); // its pipelined transactions' pool (not `pool`: not its own)
        await pool.end();
      },
    };
  }
  let client: PGlite;
  if (options.dataDir) {
    if (options.loadDataDir) throw new Error("loadDataDir applies to an in-memory PGlite only.");
    const dir = path.resolve(options.dataDir);
    mkdirSync(dir, { recursive: true });
    client = await PGlite.create(dir);
  } else {
    client = await PGlite.create({ loadDataDir: options.loadDataDir });
  }
  const prisma = new PrismaClient({ adapter: new PrismaPGlite(client) });
  const driver = pgliteDriver(client);
  return {
    prisma,
    driver,
    kind: "pglite",
    location: options.dataDir ? path.resolve(options.dataDir) : "memory",
    async close() {
      await prisma.$disconnect();
      if (!client.closed) await client.close();
    },
  };
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "postgres://(unparseable)";
  }
}
