/**
 * The fold thread on a real PostgreSQL (an embedded server of its own, so it runs once, in the
 * PGlite pass): reconciled runs written by this process are folded by the thread's consumers —
 * trust, rollups, guardian, anomalies each claim every run once —, and it stops when asked; a
 * thread that cannot reach its database is logged and started again until stopped.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  startEmbeddedPostgres,
  type EmbeddedPostgres,
} from "@/server/adapters/embedded-postgres/cluster";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { engineFor, runToEnd } from "@/server/testing/engine";
import { makeUser } from "@/server/testing/fixtures";
import { inPostgresPass } from "@/server/testing/passes";
import { servicesFor } from "@/server/testing/services";
import { startFoldThread } from "./fold-in-thread";

const FLOW = `flow: folded-in-thread
version: 1.0.0
steps:
  - id: total
    uses: data.transform@1
    with: { fields: { sum: "1 + 2" } }
`;

function recorder() {
  const lines: Array<{ level: "info" | "error"; msg: string; obj: object }> = [];
  return {
    lines,
    info: (obj: object, msg: string) => void lines.push({ level: "info", msg, obj }),
    error: (obj: object, msg: string) => void lines.push({ level: "error", msg, obj }),
  };
}

describe.skipIf(inPostgresPass)("consumers of finished runs in a worker thread", () => {
  let dir: string;
  let server: EmbeddedPostgres;
  let db: Database;
  const runIds: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "tf-fold-thread-"));
    server = await startEmbeddedPostgres({ dataDir: dir });
    db = await openDatabase({ kind: "postgres", url: server.adminUrl, poolSize: 4 });
    await migrate(db.driver);
    const { workspace } = await makeUser(db.prisma, "folds");
    const compiled = compileFlow(FLOW);
    if (!compiled.ir) throw new Error("the flow does not compile");
    const engine = engineFor(db);
    for (let i = 0; i < 3; i++) {
      const run = await runToEnd(engine, { workspaceId: workspace.id, ir: compiled.ir });
      expect(run.status).toBe("succeeded");
      runIds.push(run.id);
    }
    await reconcileEndedRuns(servicesFor(db).reconciliation, { limit: 100 });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    await server?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("folds each reconciled run once per consumer, then stops when asked", async () => {
    const log = recorder();
    const thread = startFoldThread(server.adminUrl, log);
    const claimed = async () => {
      const [c] = await db.driver.query<{ t: number; r: number; g: number; a: number }>(
        `SELECT (SELECT count(*) FROM "TrustFoldedRun" WHERE "runId" = ANY($1::uuid[]))::int AS t,
                (SELECT count(*) FROM "RollupFoldedRun" WHERE "runId" = ANY($1::uuid[]))::int AS r,
                (SELECT count(*) FROM "GuardianFoldedRun" WHERE "runId" = ANY($1::uuid[]))::int AS g,
                (SELECT count(*) FROM "AnomalyFoldedRun" WHERE "runId" = ANY($1::uuid[]))::int AS a`,
        [runIds],
      );
      return c;
    };
    await expect
      .poll(claimed, { timeout: 60_000, interval: 100 })
      .toEqual({ t: 3, r: 3, g: 3, a: 3 });
    // What they folded the runs into: the pure step's trust and the flow's rollups.
    const [folded] = await db.driver.query<{ trust: number; rollups: number }>(
      `SELECT (SELECT count(*) FROM "TrustCount")::int AS trust,
              (SELECT count(*) FROM "Rollup")::int AS rollups`,
    );
    expect(folded!.trust).toBeGreaterThan(0);
    expect(folded!.rollups).toBeGreaterThan(0);
    await thread.stop();
    expect(log.lines.filter((l) => l.level === "error")).toEqual([]);
    expect(log.lines.map((l) => l.msg)).toContain("finished runs folded in a worker thread");
  }, 90_000);

  it("logs a thread that cannot reach its database and starts it again until stopped", async () => {
    const log = recorder();
    // Nothing listens on port 1: each thread ends at its start.
    const thread = startFoldThread("postgres://postgres:none@127.0.0.1:1/none", log, {
      restartMs: 100,
    });
    const restarts = () =>
      log.lines.filter((l) => l.msg === "fold thread exited; starting it again").length;
    await expect.poll(restarts, { timeout: 60_000, interval: 100 }).toBeGreaterThanOrEqual(2);
    await thread.stop();
    const after = log.lines.length;
    await new Promise((r) => setTimeout(r, 500));
    expect(log.lines.length).toBe(after);
  }, 90_000);
});
