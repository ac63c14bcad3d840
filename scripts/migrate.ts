// `npm run db:migrate`: applies pending migrations to DATABASE_URL or the embedded PostgreSQL
// (started for the occasion when no app runs, joined when one does).
import { migrate, openDatabase } from "../server/adapters/prisma";
import { openEmbeddedDatabase } from "../server/embedded-database";
import { env } from "../server/env";

const e = env();
const embedded = e.DATABASE_URL
  ? null
  : await openEmbeddedDatabase({
      dataDir: e.TRUSTFLOW_DATA_DIR,
      port: e.TRUSTFLOW_EMBEDDED_PG_PORT,
      log: (msg) => console.log(msg),
    });
const db = await openDatabase({ kind: "postgres", url: e.DATABASE_URL ?? embedded!.url });
const where = embedded?.location ?? db.location;
try {
  const report = await migrate(db.driver);
  console.log(
    report.applied.length
      ? `Applied ${report.applied.join(", ")} to ${where}.`
      : `Up to date (${report.skipped.length} migrations) at ${where}.`,
  );
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await db.close();
  await embedded?.server.stop();
}
