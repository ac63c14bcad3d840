// `npm run db:migrate`: applies pending migrations to DATABASE_URL (or the embedded database).
import path from "node:path";
import { migrate, openDatabase } from "../server/adapters/prisma";
import { env } from "../server/env";

const e = env();
const db = await openDatabase(
  e.DATABASE_URL
    ? { kind: "postgres", url: e.DATABASE_URL }
    : { kind: "pglite", dataDir: path.join(e.TRUSTFLOW_DATA_DIR, "pglite") },
);
try {
  const report = await migrate(db.driver);
  console.log(
    report.applied.length
      ? `Applied ${report.applied.join(", ")} to ${db.location}.`
      : `Up to date (${report.skipped.length} migrations) at ${db.location}.`,
  );
} catch (err) {
  console.error((err as Error).message);
  process.exitCode = 1;
} finally {
  await db.close();
}
