/**
 * The engine's hot path on its own (`node --import tsx bench/engine/hot-path.ts [REPS]`): a
 * chain of pure steps (`data.transform`, "set a field") of 1 and of 100 steps, advanced by the
 * engine on the SQL run store over the embedded PostgreSQL (fsync, synchronous_commit and
 * full_page_writes on), started in a fresh temporary data directory. Per pure step:
 * (median time[100] − median time[1]) / 99 over the repetitions, split into the time spent in the
 * store's commits (SQL, round trip, flush) and the rest (the engine's own work). Then the same
 * for the inline start of a webhook run (`createWithCheckpoint`: the run, its steps and events
 * in one statement). No HTTP and no Next.js: `bench/peer-bench.sh` measures the whole request.
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import path from "node:path";
import { compile, BlockRegistry } from "@/dsl";
import { startEmbeddedPostgres } from "@/server/adapters/embedded-postgres/cluster";
import { migrate, openDatabase } from "@/server/adapters/prisma";
import { SqlRunStore as CurrentStore, sqlFromDriver } from "@/server/adapters/store/sql-run-store";
import { Engine } from "@/server/engine/engine";
import type { Checkpoint, RunStore } from "@/server/engine/ports";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";

const REPS = Number(process.argv[2] ?? 60);
/**
 * HOT_PATH_STORE: a module exporting another `SqlRunStore` to measure instead, for a before and
 * after in one sitting: e.g. `git show 679a823:server/adapters/store/sql-run-store.ts >
 * bench/engine/.baseline-store.ts` (the store before issue 14; inside the checkout, so that its
 * `@/` imports resolve), then `HOT_PATH_STORE=bench/engine/.baseline-store.ts`.
 */
const SqlRunStore: typeof CurrentStore = process.env.HOT_PATH_STORE
  ? (
      (await import(path.resolve(process.env.HOT_PATH_STORE))) as {
        SqlRunStore: typeof CurrentStore;
      }
    ).SqlRunStore
  : CurrentStore;
type SqlRunStore = CurrentStore;
const registry = BlockRegistry.withPrimitives();
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

function chain(n: number) {
  const steps = Array.from({ length: n }, (_, i) =>
    [
      `  - id: s${i}`,
      `    uses: data.transform@1`,
      ...(i ? [`    needs: [s${i - 1}]`] : []),
      `    with:`,
      `      fields: { hop: "'s${i}'" }`,
    ].join("\n"),
  );
  const text = `flow: chain-${n}\nversion: 1.0.0\nsla: T2\ntrigger:\n  manual: {}\nsteps:\n${steps.join("\n")}\noutputs:\n  last: \${{ steps.s${n - 1}.output.hop }}\n`;
  const r = compile(text, { registry });
  if (!r.ok || !r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.ir;
}

/** A store that adds up the time its commits take. */
function timed(store: SqlRunStore) {
  let commitNs = 0n;
  const wrap: RunStore = Object.create(store) as RunStore;
  wrap.commit = async (runId: string, owner: string | null, cp: Checkpoint) => {
    const t0 = process.hrtime.bigint();
    try {
      return await store.commit(runId, owner, cp);
    } finally {
      commitNs += process.hrtime.bigint() - t0;
    }
  };
  return {
    store: wrap,
    take() {
      const v = commitNs;
      commitNs = 0n;
      return Number(v) / 1e6;
    },
  };
}

const dir = mkdtempSync(path.join(tmpdir(), "tf-hot-path-"));
const pgServer = await startEmbeddedPostgres({ dataDir: dir });
const db = await openDatabase({ kind: "postgres", url: pgServer.adminUrl, poolSize: 4 });
try {
  await migrate(db.driver);
  const workspaceId = randomUUID();
  await db.driver.query(
    `INSERT INTO "Workspace" ("id", "slug", "name") VALUES ($1::uuid, $2, $2)`,
    [workspaceId, `bench-${workspaceId.slice(0, 8)}`],
  );
  const base = new SqlRunStore(sqlFromDriver(db.driver));
  const t = timed(base);
  const engine = new Engine({
    store: t.store,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((r) => setTimeout(r, ms)) },
    ids: { next: () => randomUUID() },
    random: { next: () => Math.random() },
    runtimes: builtinRuntimes(),
    workerId: "bench",
  });
  const small = chain(1);
  const big = chain(100);

  /** A queued run claimed and advanced (what a worker does). */
  async function claimed(ir: typeof small) {
    const run = await engine.createRun({
      workspaceId,
      workflowId: null,
      version: null,
      ir,
      inputs: {},
    });
    t.take();
    const t0 = process.hrtime.bigint();
    const [r] = await engine.tick({ limit: 1 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r?.runId !== run.id || r.status !== "succeeded") throw new Error(`run ended ${r?.status}`);
    return { ms, commitMs: t.take() };
  }

  /** A run started inline (a synchronous webhook): recorded by its one checkpoint. */
  async function inline(ir: typeof small) {
    const now = Date.now();
    const id = randomUUID();
    const run = {
      id,
      workspaceId,
      workflowId: null,
      version: null,
      irHash: ir.hash,
      ir,
      status: "running" as const,
      inputs: {},
      output: null,
      error: null,
      parentRunId: null,
      parentStepId: null,
      idempotencyKey: null,
      startedBy: "webhook:bench",
      leaseOwner: "bench",
      leaseExpiresAt: now + 30_000,
      dueAt: null,
      createdAt: now,
      startedAt: null,
      finishedAt: null,
      updatedAt: now,
    };
    let commitNs = 0n;
    let first = true;
    const recorder: RunStore = Object.create(base) as RunStore;
    recorder.commit = async (runId, owner, cp) => {
      const c0 = process.hrtime.bigint();
      try {
        if (!first) return await base.commit(runId, owner, cp);
        first = false;
        return await base.createWithCheckpoint(
          {
            id,
            workspaceId,
            workflowId: null,
            version: null,
            ir,
            inputs: {},
            startedBy: "webhook:bench",
            now,
            lease: { owner: "bench", expiresAt: now + 30_000 },
          },
          cp,
        );
      } finally {
        commitNs += process.hrtime.bigint() - c0;
      }
    };
    const t0 = process.hrtime.bigint();
    const r = await engine.advance(run, { unrecorded: true, store: recorder });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r.status !== "succeeded") throw new Error(`inline run ended ${r.status}`);
    return { ms, commitMs: Number(commitNs) / 1e6 };
  }

  const rows: Array<Record<string, unknown>> = [];
  for (const [name, fn] of [
    ["claimed run (worker)", claimed],
    ["inline run (webhook)", inline],
  ] as const) {
    for (let i = 0; i < 10; i++) {
      await fn(small);
      await fn(big);
    }
    const smalls: number[] = [];
    const bigs: number[] = [];
    const smallSql: number[] = [];
    const bigSql: number[] = [];
    for (let i = 0; i < REPS; i++) {
      const s = await fn(small);
      const b = await fn(big);
      smalls.push(s.ms);
      bigs.push(b.ms);
      smallSql.push(s.commitMs);
      bigSql.push(b.commitMs);
    }
    // Medians first, then the difference: robust to one slow run of a pair on a busy machine.
    const perStep = ((median(bigs) - median(smalls)) / 99) * 1000;
    const perStepSql = ((median(bigSql) - median(smallSql)) / 99) * 1000;
    rows.push({
      path: name,
      reps: REPS,
      "1 step ms": median(smalls).toFixed(2),
      "100 steps ms": median(bigs).toFixed(2),
      "per pure step µs": perStep.toFixed(1),
      "of which commits µs": perStepSql.toFixed(1),
      "engine µs": (perStep - perStepSql).toFixed(1),
    });
  }
  console.log(
    JSON.stringify({
      store: process.env.HOT_PATH_STORE ?? "this checkout",
      date: new Date().toISOString(),
      load: loadavg().map((x) => x.toFixed(2)),
      postgres: pgServer.version,
    }),
  );
  console.table(rows);
} finally {
  await db.close();
  await pgServer.stop();
  rmSync(dir, { recursive: true, force: true });
}
