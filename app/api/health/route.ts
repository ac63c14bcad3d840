import { database } from "@/server/composition";
import { healthReport } from "@/server/health";
import pkg from "@/package.json";

export const dynamic = "force-dynamic";

/**
 * Liveness and readiness: database reachable, migrations applied, version. Never queues behind
 * run work: see server/health.ts.
 */
export async function GET() {
  try {
    const db = await database();
    const { status, body } = await healthReport(db, pkg.version);
    return Response.json(body, { status });
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
