/**
 * The services of a test database: the composition root's builder (`createServices`) on a
 * PGlite (or test PostgreSQL) database, built once per database. Every test database shares one
 * run notifier, so `watchRunEnds` (`engine.ts`) sees the ends of runs of any engine of the file,
 * as it did with the process-wide notifier.
 */
import { createRunNotifier } from "@/server/adapters/notify/run-notifier";
import type { Database } from "@/server/adapters/prisma";
import {
  createServices,
  servicesOfClient,
  type Services,
  type ServicesConfig,
} from "@/server/wiring/services";

/** The notifier of every test database's services in this test file. */
export const testNotifier = createRunNotifier();

/**
 * The services on `db` (built at its first use, or by `openTestDatabase`). `config` applies
 * when they are built here (the first call).
 */
export function servicesFor(db: Database, config: ServicesConfig = {}): Services {
  return servicesOfClient(db.prisma) ?? createServices(db, { notifier: testNotifier, ...config });
}
