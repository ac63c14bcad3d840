import { migrationStatus } from "@/server/adapters/prisma/migrator";
import { database } from "@/server/db";
import pkg from "@/package.json";

export const dynamic = "force-dynamic";

/** Liveness and readiness: database reachable, migrations applied, version. */
export async function GET() {
  const started = performance.now();
  try {
    const db = await database();
    await db.driver.query("SELECT 1");
    const migrations = await migrationStatus(db.driver);
    const ok = migrations.pending.length === 0;
    return Response.json(
      {
        status: ok ? "ok" : "degraded",
        version: pkg.version,
        database: { kind: db.kind, ok: true, latencyMs: Math.round(performance.now() - started) },
        migrations,
      },
      { status: ok ? 200 : 503 },
    );
  } catch (err) {
    return Response.json(
      {
        status: "down",
        version: pkg.version,
        database: { ok: false, error: (err as Error).message },
      },
      { status: 503 },
    );
  }
}
