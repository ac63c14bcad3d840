/**
 * Chaos test of the scale-out mode (PostgreSQL only: TEST_DB=postgres): three `pg-boss` worker
 * processes advance 120 runs of a 10-step chain of write steps (a recording test double) while
 * the test SIGKILLs a random worker at seeded random moments and restarts it. Every run must
 * succeed, every step must have exactly one successful attempt, and the side effects, once
 * deduplicated by idempotency key, must be exactly one per (run, step).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import path from "node:path";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { compile, BlockRegistry } from "@/dsl";
import type { FlowIR } from "@/dsl";
import { migrate, openDatabase, type Database } from "@/server/adapters/prisma";
import { SqlRunStore, sqlFromDriver } from "@/server/adapters/store/sql-run-store";
import { makeUser } from "@/server/testing/fixtures";
import { enqueueRun, openBoss } from "./pgboss-queue";
import { createSideEffectTable } from "./testing/recording-write-runtime";

const RUNS = 120;
const STEPS = 10;
const WORKERS = 3;
const SEED = 20261122;

/** mulberry32: the kill schedule is reproducible from the seed. */
function seeded(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function chainFlow(): FlowIR {
  const steps = Array.from({ length: STEPS }, (_, i) =>
    [
      `  - id: w${i}`,
      `    uses: crm.contact.update@1`,
      ...(i > 0 ? [`    needs: [w${i - 1}]`] : []),
      `    with:`,
      `      id: CON-${1000 + i}`,
      `      lifecycle: customer`,
    ].join("\n"),
  );
  const text = `flow: chaos-chain\nversion: 1.0.0\nsla: T2\ntrigger:\n  manual: {}\nsteps:\n${steps.join("\n")}\n`;
  const r = compile(text, { registry: BlockRegistry.withPrimitives() });
  if (!r.ok || !r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.ir;
}

const enabled = process.env.TEST_DB === "postgres" && Boolean(process.env.TEST_DATABASE_URL);

describe.skipIf(!enabled)("chaos: SIGKILLed pg-boss workers", () => {
  let db: Database;
  let url: string;
  let name: string;
  const children = new Map<number, ChildProcess>();
  const entry = path.join(import.meta.dirname, "testing", "chaos-worker.ts");

  beforeAll(async () => {
    const base = process.env.TEST_DATABASE_URL!;
    name = `tf_chaos_${randomBytes(5).toString("hex")}`;
    const admin = new pg.Client({ connectionString: base });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    await admin.end();
    const u = new URL(base);
    u.pathname = `/${name}`;
    url = u.toString();
    db = await openDatabase({ kind: "postgres", url, poolSize: 5 });
    await migrate(db.driver);
    await createSideEffectTable(sqlFromDriver(db.driver));
  });

  afterAll(async () => {
    for (const c of children.values()) c.kill("SIGKILL");
    await db?.close();
    const admin = new pg.Client({ connectionString: process.env.TEST_DATABASE_URL });
    await admin.connect();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  });

  function startWorker(slot: number): Promise<void> {
    const child = spawn(process.execPath, ["--import", "tsx", entry], {
      cwd: process.cwd(),
      env: {
        ...process.env,
        DATABASE_URL: url,
        NODE_ENV: "test",
        CHAOS_WORKER_ID: `chaos-${slot}-${randomUUID().slice(0, 4)}`,
        // Slow enough steps and few runs per worker: kills land while runs are mid-flight.
        CHAOS_DELAY_MS: "40",
        CHAOS_CONCURRENCY: "3",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.set(slot, child);
    let err = "";
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
      child.stdout!.on("data", (d: Buffer) => {
        if (d.toString().includes("ready")) resolve();
      });
      child.once("exit", (code, signal) => {
        if (signal !== "SIGKILL" && signal !== "SIGTERM")
          reject(new Error(`worker ${slot} exited (${code}): ${err.slice(-2000)}`));
      });
    });
  }

  it("finishes every run exactly once per step despite random SIGKILLs", async () => {
    const owner = await makeUser(db.prisma, "chaos");
    const ir = chainFlow();
    const store = new SqlRunStore(sqlFromDriver(db.driver));
    const t0 = Date.now();
    await Promise.all(Array.from({ length: WORKERS }, (_, i) => startWorker(i)));
    const booted = Date.now() - t0;

    const boss = await openBoss(url, () => undefined, { supervise: false, max: 2 });
    const ids: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const { run } = await store.createRun({
        id: randomUUID(),
        workspaceId: owner.workspace.id,
        workflowId: null,
        version: null,
        ir,
        inputs: {},
        startedBy: "chaos",
        now: Date.now(),
      });
      ids.push(run.id);
      await enqueueRun(boss, run.id);
    }

    const random = seeded(SEED);
    const deadline = Date.now() + 75_000;
    let kills = 0;
    let over = false;
    const remaining = async () =>
      Number(
        (
          await db.driver.query<{ n: number }>(
            `SELECT count(*)::int AS n FROM "Run" WHERE "status" NOT IN ('succeeded', 'failed', 'cancelled', 'compensated')`,
          )
        )[0]!.n,
      );
    // Kill a random worker every 0.4–1.6 s (seeded) until 12 kills or all runs are done,
    // restarting it after 0–0.5 s. Then let the restarted workers finish.
    while (kills < 12 && Date.now() < deadline && (await remaining()) > 0) {
      await new Promise((r) => setTimeout(r, 400 + random() * 1200));
      const slot = Math.floor(random() * WORKERS);
      children.get(slot)?.kill("SIGKILL");
      kills++;
      // Restarted in the background: a worker may be killed again while it boots.
      const delay = random() * 500;
      setTimeout(() => {
        if (!over) void startWorker(slot).catch(() => undefined);
      }, delay);
    }
    while (Date.now() < deadline && (await remaining()) > 0)
      await new Promise((r) => setTimeout(r, 250));
    over = true;
    await boss.stop({ graceful: false, wait: true, timeout: 2_000 });
    const stopping = [...children.values()].map(
      (c) => new Promise<void>((resolve) => c.once("exit", () => resolve())),
    );
    for (const c of children.values()) c.kill("SIGTERM");
    await Promise.all(stopping);
    children.clear();

    expect(kills).toBeGreaterThan(0);
    const statuses = await db.driver.query<{ status: string; n: number }>(
      `SELECT "status"::text AS status, count(*)::int AS n FROM "Run" WHERE "id" = ANY($1::uuid[]) GROUP BY 1`,
      [ids],
    );
    expect(statuses).toEqual([{ status: "succeeded", n: RUNS }]);

    // One successful attempt per (run, step); (run, step, attempt) never twice.
    const attempts = await db.driver.query<{ ok: number; dup: number; total: number }>(
      `SELECT count(*) FILTER (WHERE "status" = 'succeeded')::int AS ok,
         (SELECT count(*)::int FROM (SELECT 1 FROM "StepAttempt" GROUP BY "runId", "stepId", "attempt" HAVING count(*) > 1) d) AS dup,
         count(*)::int AS total
       FROM "StepAttempt" WHERE "runId" = ANY($1::uuid[])`,
      [ids],
    );
    expect(attempts[0]!.dup).toBe(0);
    expect(attempts[0]!.ok).toBe(RUNS * STEPS);
    const perStep = await db.driver.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT "runId", "stepId" FROM "StepAttempt"
         WHERE "status" = 'succeeded' GROUP BY 1, 2 HAVING count(*) > 1) x`,
    );
    expect(perStep[0]!.n).toBe(0);

    // Side effects: deduplicated by idempotency key, exactly one per (run, step), and the key
    // is the run's and the step's.
    const effects = await db.driver.query<{
      keys: number;
      rows: number;
      badKeys: number;
      runs: number;
    }>(
      `SELECT count(DISTINCT "idempotencyKey")::int AS keys, count(*)::int AS rows,
         count(*) FILTER (WHERE "idempotencyKey" <> "runId"::text || ':' || "stepId")::int AS "badKeys",
         count(DISTINCT "runId")::int AS runs
       FROM "ChaosSideEffect"`,
    );
    const e = effects[0]!;
    expect(e.badKeys).toBe(0);
    expect(e.runs).toBe(RUNS);
    expect(e.keys).toBe(RUNS * STEPS);
    const perKey = await db.driver.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM (SELECT DISTINCT "runId", "stepId", "idempotencyKey" FROM "ChaosSideEffect") x`,
    );
    expect(perKey[0]!.n).toBe(RUNS * STEPS);
    console.info(
      `chaos: workers booted in ${booted} ms, runs done ${Date.now() - t0 - booted} ms later; ${kills} kills, ${e.rows - e.keys} re-executed side effects (deduplicated by key), ${attempts[0]!.total} attempt rows`,
    );
  }, 240_000); // a bound, not a speed goal: other test files share the 2 cores
});
