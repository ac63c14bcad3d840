/**
 * Engine benchmarks (`npm run bench:engine -- [engine] [workers] [webhook] [inproc]`, default all):
 *
 * - engine: per-step overhead, (time[100 steps] − time[1 step]) / 99 per repetition, median;
 *   100-chain and 100-wide fan-out; pure steps (data.transform) and side-effect steps (a write
 *   block, `crm.contact.update`, whose runtime is a local no-op: the figure is the engine's
 *   cost including the durable checkpoint of every side-effect step). Time = claim, load,
 *   advance and final commit of one run in one process. Embedded PGlite (on disk) and PostgreSQL.
 * - workers: throughput of 10-step write chains with 1 and 2 `pg-boss` worker processes on
 *   PostgreSQL (the chaos test's worker entry without delays; its write double inserts one row).
 * - webhook: a 2-step flow behind a webhook answering with the run's output (`?wait=1`), on
 *   `next start` (the existing production build), embedded PGlite and PostgreSQL: open-loop at
 *   17 req/s (1,020/min) for 30 s and closed-loop with 10 connections for 20 s, signed client
 *   in this process (same method as /work/shared/peers/loadgen.mjs, which cannot sign).
 *
 * - inproc: the same webhook path without Next.js and HTTP (`receiveWebhook` and the embedded
 *   worker in this process): what the engine and the domain cost on their own.
 *
 * Env: BENCH_PG_URL (postgres://postgres@127.0.0.1:55432/postgres), REPS (3), PORT (3311).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { loadavg, cpus, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

process.env.LOG_LEVEL ??= "warn";
const { compile } = await import("@/dsl/compile");
const { BlockRegistry } = await import("@/dsl/registry/registry");
const { migrate, openDatabase } = await import("@/server/adapters/prisma");
const { sqlFromDriver, SqlRunStore } = await import("@/server/adapters/store/sql-run-store");
const { createRunEngine } = await import("@/server/domain/run/run-engine");
const { builtinRuntimes } = await import("@/server/engine/runtimes/registry");
const { makeUser } = await import("@/server/testing/fixtures");
const { signWebhook } = await import("@/server/domain/trigger/signature");
const { eventBody, seedWebhook } = await import("./bench-seed");
const { createKeyring } = await import("@/server/adapters/connectors/credentials");
const { keyringVault } = await import("@/server/adapters/connectors/vault");
const { receiveWebhook } = await import("@/server/domain/trigger/webhooks");
const { startEmbeddedWorker } = await import("@/server/adapters/queue/embedded-worker");
const { openBoss, enqueueRun } = await import("@/server/adapters/queue/pgboss-queue");
const { createSideEffectTable } =
  await import("@/server/adapters/queue/testing/recording-write-runtime");

const PG = process.env.BENCH_PG_URL ?? "postgres://postgres@127.0.0.1:55432/postgres";
const REPS = Number(process.env.REPS ?? 3);
const PORT = Number(process.env.PORT ?? 3311);
/** inproc: run synchronous deliveries inline, as the server does in embedded mode (INLINE=0: queue them). */
const INLINE = process.env.INLINE !== "0";
const sections = new Set(process.argv.slice(2).filter((a) => !a.startsWith("-")));
const want = (s: string) => sections.size === 0 || sections.has(s);
const registry = BlockRegistry.withPrimitives();

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
const f = (x: number, d = 3) => x.toFixed(d);
const log = (...a: unknown[]) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

function flow(name: string, trigger: string, steps: string[], outputs = ""): string {
  return `flow: ${name}\nversion: 1.0.0\nsla: T2\ntrigger:\n  ${trigger}\nsteps:\n${steps.join("\n")}\n${outputs}`;
}
const pureStep = (id: string, needs: string[]) =>
  [
    `  - id: ${id}`,
    `    uses: data.transform@1`,
    ...(needs.length ? [`    needs: [${needs.join(", ")}]`] : []),
    `    with:`,
    `      fields: { hop: "'${id}'" }`,
  ].join("\n");
const writeStep = (id: string, needs: string[]) =>
  [
    `  - id: ${id}`,
    `    uses: crm.contact.update@1`,
    ...(needs.length ? [`    needs: [${needs.join(", ")}]`] : []),
    `    with:`,
    `      id: CON-1042`,
    `      lifecycle: customer`,
  ].join("\n");

function ir(text: string) {
  const r = compile(text, { registry });
  if (!r.ok || !r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("; "));
  return r.ir;
}
function chain(kind: "pure" | "write", n: number) {
  const mk = kind === "pure" ? pureStep : writeStep;
  return ir(
    flow(
      `chain-${kind}-${n}`,
      "manual: {}",
      Array.from({ length: n }, (_, i) => mk(`s${i}`, i ? [`s${i - 1}`] : [])),
    ),
  );
}
function fan(kind: "pure" | "write", width: number) {
  const mk = kind === "pure" ? pureStep : writeStep;
  return ir(
    flow(`fan-${kind}-${width}`, "manual: {}", [
      pureStep("root", []),
      ...Array.from({ length: width }, (_, i) => mk(`b${i}`, ["root"])),
    ]),
  );
}

/** A local no-op write runtime standing in for the connector (no network). */
function noopWriteRuntimes() {
  const builtin = builtinRuntimes();
  const write = {
    execute: (req: { inputs: Record<string, unknown> }) => ({
      id: String(req.inputs.id),
      updatedAt: new Date().toISOString(),
    }),
  };
  return { get: (id: string) => (id === "crm.contact.update" ? write : builtin.get(id)) };
}

async function freshPg(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `tf_bench_${randomBytes(5).toString("hex")}`;
  const admin = new pg.Client({ connectionString: PG });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const u = new URL(PG);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    async drop() {
      const c = new pg.Client({ connectionString: PG });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

async function openBackend(kind: "pglite" | "postgres") {
  if (kind === "postgres") {
    const fresh = await freshPg();
    const db = await openDatabase({ kind: "postgres", url: fresh.url, poolSize: 10 });
    await migrate(db.driver);
    return { db, url: fresh.url, close: async () => (await db.close(), await fresh.drop()) };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "tf-bench-"));
  const db = await openDatabase({ kind: "pglite", dataDir: dir });
  await migrate(db.driver);
  return {
    db,
    dir,
    close: async () => (await db.close(), rmSync(dir, { recursive: true, force: true })),
  };
}

// ---------------------------------------------------------------------------------------------
// engine: per-step overhead

async function engineSection(kind: "pglite" | "postgres") {
  const b = await openBackend(kind);
  const { db } = b;
  const owner = await makeUser(db.prisma, "bench");
  // Wired as the server wires its worker's engine (raw driver for checkpoints and the ledger).
  const engine = createRunEngine(db.prisma, {
    sql: sqlFromDriver(db.driver),
    driver: db.driver,
    runtimes: noopWriteRuntimes(),
  });
  const one = async (flowIr: ReturnType<typeof ir>) => {
    await engine.createRun({
      workspaceId: owner.workspace.id,
      workflowId: null,
      version: null,
      ir: flowIr,
      inputs: {},
    });
    const t0 = process.hrtime.bigint();
    const [r] = await engine.tick({ limit: 1 });
    const ms = Number(process.hrtime.bigint() - t0) / 1e6;
    if (r?.status !== "succeeded") throw new Error(`run ended ${r?.status}`);
    return ms;
  };
  const rows: Array<Record<string, unknown>> = [];
  const cases = [
    {
      name: "chain",
      kind: "pure" as const,
      small: chain("pure", 1),
      big: chain("pure", 100),
      n: 40,
    },
    { name: "fan-out", kind: "pure" as const, small: fan("pure", 1), big: fan("pure", 100), n: 40 },
    {
      name: "chain",
      kind: "write" as const,
      small: chain("write", 1),
      big: chain("write", 100),
      n: 12,
    },
    {
      name: "fan-out",
      kind: "write" as const,
      small: fan("write", 1),
      big: fan("write", 100),
      n: 12,
    },
  ];
  for (const c of cases) {
    // Warm-up (JIT, query plans).
    for (let i = 0; i < 5; i++) {
      await one(c.small);
      await one(c.big);
    }
    const per: number[] = [];
    const smalls: number[] = [];
    const bigs: number[] = [];
    for (let i = 0; i < c.n; i++) {
      const s = await one(c.small);
      const g = await one(c.big);
      smalls.push(s);
      bigs.push(g);
      per.push(((g - s) / 99) * 1000);
    }
    const row = {
      backend: kind,
      shape: c.name,
      step: c.kind === "pure" ? "pure (data.transform)" : "side effect (no-op write runtime)",
      reps: c.n,
      smallMs: median(smalls),
      bigMs: median(bigs),
      perStepUs: median(per),
    };
    log(row);
    rows.push(row);
  }
  // The durable checkpoint of a side-effect step on its own: one commit (start and finish
  // together, the usual case), and a long step's late start and its finish.
  const store = new SqlRunStore(sqlFromDriver(db.driver));
  const run = await engine.createRun({
    workspaceId: owner.workspace.id,
    workflowId: null,
    version: null,
    ir: chain("write", 1),
    inputs: {},
  });
  const [claimed] = await store.claimRuns({
    owner: "bench",
    now: Date.now(),
    leaseMs: 60_000,
    limit: 1,
  });
  if (!claimed || claimed.id !== run.id) throw new Error("claim failed");
  const starts: number[] = [];
  const finishes: number[] = [];
  const merged: number[] = [];
  const startOf = (stepId: string, now: number) => ({
    runId: run.id,
    stepId,
    attempt: 1,
    blockId: "crm.contact.update",
    inputs: { id: "CON-1" },
    idempotencyKey: `${run.id}:${stepId}`,
    consentId: null,
    startedAt: now,
    workerId: "bench",
  });
  const finishOf = (stepId: string, now: number) => ({
    runId: run.id,
    stepId,
    attempt: 1,
    status: "succeeded" as const,
    output: { id: "CON-1" },
    finishedAt: now,
    durationMs: 0,
  });
  for (let i = 0; i < 300; i++) {
    const now = Date.now();
    // The engine's one write per side effect: its start and finish in one checkpoint.
    const m0 = process.hrtime.bigint();
    await store.commit(run.id, "bench", {
      start: startOf(`m${i}`, now),
      finish: finishOf(`m${i}`, now),
      events: [
        { type: "step.started", stepId: `m${i}`, at: now },
        { type: "step.succeeded", stepId: `m${i}`, at: now },
      ],
    });
    if (i >= 20) merged.push(Number(process.hrtime.bigint() - m0) / 1e6);
    // A long side effect's two writes: the late start, then the finish.
    const t0 = process.hrtime.bigint();
    await store.commit(run.id, "bench", {
      start: startOf(`x${i}`, now),
      events: [{ type: "step.started", stepId: `x${i}`, at: now }],
    });
    const t1 = process.hrtime.bigint();
    await store.commit(run.id, "bench", {
      finish: finishOf(`x${i}`, now),
      events: [{ type: "step.succeeded", stepId: `x${i}`, at: now }],
    });
    const t2 = process.hrtime.bigint();
    if (i >= 20) {
      starts.push(Number(t1 - t0) / 1e6);
      finishes.push(Number(t2 - t1) / 1e6);
    }
  }
  const checkpoint = {
    backend: kind,
    oneWriteMs: median(merged),
    startMs: median(starts),
    finishMs: median(finishes),
    bothMs: median(starts.map((s, i) => s + finishes[i]!)),
  };
  log(checkpoint);
  await b.close();
  return { rows, checkpoint };
}

// ---------------------------------------------------------------------------------------------
// workers: pg-boss worker processes on PostgreSQL

async function workersSection() {
  const out: Array<Record<string, unknown>> = [];
  for (const n of [1, 2]) {
    const fresh = await freshPg();
    const db = await openDatabase({ kind: "postgres", url: fresh.url, poolSize: 4 });
    await migrate(db.driver);
    await createSideEffectTable(sqlFromDriver(db.driver));
    const owner = await makeUser(db.prisma, "bench");
    const children: ChildProcess[] = [];
    const entry = path.resolve("server/adapters/queue/testing/chaos-worker.ts");
    await Promise.all(
      Array.from(
        { length: n },
        (_, i) =>
          new Promise<void>((resolve, reject) => {
            const c = spawn(process.execPath, ["--import", "tsx", entry], {
              env: {
                ...process.env,
                DATABASE_URL: fresh.url,
                NODE_ENV: "test",
                CHAOS_WORKER_ID: `bench-${i}`,
                CHAOS_DELAY_MS: "0",
                CHAOS_CONCURRENCY: "8",
                CHAOS_LEASE_MS: "30000",
                // One workspace: the default per-workspace limit (4 leased runs) would cap it.
                CHAOS_WORKSPACE_LIMIT: "64",
              },
              stdio: ["ignore", "pipe", "inherit"],
            });
            children.push(c);
            c.stdout!.on("data", (d: Buffer) => d.toString().includes("ready") && resolve());
            c.once("exit", (code) => reject(new Error(`worker exited ${code}`)));
          }),
      ),
    );
    const boss = await openBoss(fresh.url, () => undefined, { supervise: false, max: 2 });
    const store = new SqlRunStore(sqlFromDriver(db.driver));
    const flowIr = chain("write", 10);
    const RUNS = 300;
    const t0 = Date.now(); // creation and enqueueing (one by one) overlap with execution
    // Created and enqueued 10 at a time, so creation does not bound the measured throughput.
    for (let i = 0; i < RUNS; i += 10) {
      await Promise.all(
        Array.from({ length: 10 }, async () => {
          const { run } = await store.createRun({
            id: randomUUID(),
            workspaceId: owner.workspace.id,
            workflowId: null,
            version: null,
            ir: flowIr,
            inputs: {},
            now: Date.now(),
          });
          await enqueueRun(boss, run.id);
        }),
      );
    }
    for (;;) {
      const [r] = await db.driver.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM "Run" WHERE "status" = 'succeeded'`,
      );
      if (Number(r!.n) >= RUNS) break;
      if (Date.now() - t0 > 180_000) throw new Error("workers too slow");
      await new Promise((r) => setTimeout(r, 50));
    }
    const s = (Date.now() - t0) / 1000;
    const row = {
      workers: n,
      runs: RUNS,
      steps: RUNS * 10,
      seconds: s,
      runsPerS: RUNS / s,
      writeStepsPerS: (RUNS * 10) / s,
    };
    log(row);
    out.push(row);
    await boss.stop({ graceful: false, wait: true, timeout: 2_000 });
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>(
            (r) => (c.removeAllListeners("exit"), c.once("exit", () => r()), c.kill("SIGTERM")),
          ),
      ),
    );
    await db.close();
    await fresh.drop();
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// webhook: next start + signed client

function signedRequest(
  agent: http.Agent,
  pathName: string,
  secret: string,
): Promise<{ ok: boolean; ms: number; status: number }> {
  const body = eventBody();
  const headers = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
    "x-trustflow-signature": signWebhook(secret, body, Date.now() / 1000),
    "x-trustflow-delivery": randomUUID(),
  };
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const req = http.request(
      { host: "127.0.0.1", port: PORT, path: `${pathName}?wait=1`, method: "POST", agent, headers },
      (res) => {
        res.on("data", () => {});
        res.on("end", () =>
          resolve({
            ok: res.statusCode === 200,
            ms: Number(process.hrtime.bigint() - t0) / 1e6,
            status: res.statusCode ?? 0,
          }),
        );
      },
    );
    req.on("error", () =>
      resolve({ ok: false, ms: Number(process.hrtime.bigint() - t0) / 1e6, status: 0 }),
    );
    req.end(body);
  });
}

function summarize(results: Array<{ ok: boolean; ms: number }>, seconds: number) {
  const ok = results
    .filter((r) => r.ok)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  return {
    n: results.length,
    errors: results.length - ok.length,
    rps: ok.length / seconds,
    p50: pct(ok, 50),
    p95: pct(ok, 95),
    p99: pct(ok, 99),
  };
}

async function rateLoad(pathName: string, secret: string, rps: number, secs: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  for (let i = 0; i < 10; i++) await signedRequest(agent, pathName, secret);
  const pending: Array<Promise<{ ok: boolean; ms: number }>> = [];
  const t0 = performance.now();
  const total = Math.round(rps * secs);
  for (let i = 0; i < total; i++) {
    const wait = t0 + (i * 1000) / rps - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(signedRequest(agent, pathName, secret));
  }
  const results = await Promise.all(pending);
  agent.destroy();
  return summarize(results, (performance.now() - t0) / 1000);
}

async function maxLoad(pathName: string, secret: string, conns: number, secs: number) {
  const agent = new http.Agent({ keepAlive: true, maxSockets: conns });
  const results: Array<{ ok: boolean; ms: number }> = [];
  const t0 = performance.now();
  const end = t0 + secs * 1000;
  await Promise.all(
    Array.from({ length: conns }, async () => {
      while (performance.now() < end) results.push(await signedRequest(agent, pathName, secret));
    }),
  );
  agent.destroy();
  return summarize(results, (performance.now() - t0) / 1000);
}

/** Starts the server (`scripts/serve.mjs`, as `npm start` does) on the prepared database; resolves when /api/health answers. */
export async function startServer(env: Record<string, string>, port = PORT): Promise<ChildProcess> {
  const child = spawn(
    process.execPath,
    [path.resolve("scripts/serve.mjs"), "-p", String(port), "-H", "127.0.0.1"],
    {
      env: {
        ...process.env,
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        TRUSTFLOW_SEED: "none",
        NEXTAUTH_SECRET: randomBytes(24).toString("hex"),
        NEXTAUTH_URL: `http://127.0.0.1:${port}`,
        ...env,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  // Never leave the server behind, whatever happens to the benchmark.
  process.once("exit", () => child.kill("SIGKILL"));
  for (let i = 0; i < 600; i++) {
    const ok = await new Promise<boolean>((r) => {
      const req = http.get(
        { host: "127.0.0.1", port, path: "/api/health", timeout: 2_000 },
        (res) => {
          res.resume();
          r(res.statusCode === 200);
        },
      );
      req.on("timeout", () => req.destroy());
      req.on("error", () => r(false));
    });
    if (ok) return child;
    if (child.exitCode !== null) throw new Error("the server exited");
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error("server did not start");
}

async function webhookSection(kind: "pglite" | "postgres") {
  const key = randomBytes(32);
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let seeded: Awaited<ReturnType<typeof seedWebhook>>;
  if (kind === "postgres") {
    const fresh = await freshPg();
    const db = await openDatabase({ kind: "postgres", url: fresh.url, poolSize: 2 });
    await migrate(db.driver);
    seeded = await seedWebhook(db, key);
    await db.close();
    env = { DATABASE_URL: fresh.url };
    cleanup = () => fresh.drop();
  } else {
    const dir = mkdtempSync(path.join(tmpdir(), "tf-bench-hook-"));
    const db = await openDatabase({ kind: "pglite", dataDir: path.join(dir, "pglite") });
    await migrate(db.driver);
    seeded = await seedWebhook(db, key);
    await db.close();
    env = { TRUSTFLOW_DATA_DIR: dir };
    cleanup = async () => rmSync(dir, { recursive: true, force: true });
  }
  const server = await startServer({ ...env, TRUSTFLOW_CREDENTIALS_KEY: key.toString("base64") });
  const p = seeded.paths.hook2!;
  const probe = await signedRequest(new http.Agent(), p, seeded.secret);
  if (!probe.ok) throw new Error(`webhook probe answered ${probe.status}`);
  // Warm-up, not measured: JIT, the pool's connections and their prepared statements.
  await maxLoad(p, seeded.secret, 10, 5);
  const rate: Array<ReturnType<typeof summarize>> = [];
  const max: Array<ReturnType<typeof summarize>> = [];
  for (let rep = 1; rep <= REPS; rep++) {
    rate.push(await rateLoad(p, seeded.secret, 17, 30));
    log(kind, "rate", rate.at(-1));
    max.push(await maxLoad(p, seeded.secret, 10, 20));
    log(kind, "max", max.at(-1));
  }
  server.kill("SIGTERM");
  await new Promise((r) => server.once("exit", r));
  await cleanup();
  const med = (xs: Array<ReturnType<typeof summarize>>) => ({
    reps: xs.length,
    errors: xs.reduce((s, x) => s + x.errors, 0),
    rps: median(xs.map((x) => x.rps)),
    p50: median(xs.map((x) => x.p50)),
    p95: median(xs.map((x) => x.p95)),
    p99: median(xs.map((x) => x.p99)),
    perRep: xs.map((x) => `${f(x.rps, 0)} r/s, p50 ${f(x.p50, 2)}`).join("; "),
  });
  return { backend: kind, rate: med(rate), max: med(max) };
}

// ---------------------------------------------------------------------------------------------
// inproc: the webhook domain path without Next.js and HTTP (receiveWebhook + embedded worker)

async function inprocSection(kind: "pglite" | "postgres") {
  const b = await openBackend(kind);
  const { db } = b;
  const key = randomBytes(32);
  // A workspace slug of its own per backend: the webhook secret cache is per process.
  const seeded = await seedWebhook(db, key, undefined, [], `hook-${kind}`);
  const engine = createRunEngine(db.prisma, { sql: sqlFromDriver(db.driver), driver: db.driver });
  const worker = startEmbeddedWorker(db.prisma, { engine });
  const vault = keyringVault(createKeyring(key));
  const [slug, flowName] = seeded.paths.hook2!.split("/").slice(3) as [string, string];
  let seq = 0;
  const failures = new Map<number, string>();
  const call = async () => {
    const body = eventBody();
    const t0 = performance.now();
    const a = await receiveWebhook(
      db.prisma,
      {
        workspaceSlug: slug,
        flowName,
        body,
        signature: signWebhook(seeded.secret, body, Date.now() / 1000),
        deliveryId: `d${seq++}`,
        wait: true,
      },
      { vault, driver: db.driver, inline: INLINE ? { engine, driver: db.driver } : undefined },
    );
    if (a.status !== 200) failures.set(a.status, `${JSON.stringify(a.body).slice(0, 300)}`);
    return { ok: a.status === 200, ms: performance.now() - t0 };
  };
  for (let i = 0; i < 30; i++) await call();
  // Open loop at 17/s for 15 s, then 10 concurrent callers for 10 s.
  const pending: Array<Promise<{ ok: boolean; ms: number }>> = [];
  const t0 = performance.now();
  for (let i = 0; i < 17 * 15; i++) {
    const wait = t0 + (i * 1000) / 17 - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(call());
  }
  const rate = summarize(await Promise.all(pending), (performance.now() - t0) / 1000);
  const results: Array<{ ok: boolean; ms: number }> = [];
  const t1 = performance.now();
  const cpu0 = process.cpuUsage();
  await Promise.all(
    Array.from({ length: 10 }, async () => {
      while (performance.now() < t1 + 10_000) results.push(await call());
    }),
  );
  const cpu = process.cpuUsage(cpu0);
  const max = summarize(results, (performance.now() - t1) / 1000);
  if (failures.size) log(kind, "non-200 answers", Object.fromEntries(failures));
  const row = {
    backend: kind,
    rate,
    max,
    cpuMsPerRun: (cpu.user + cpu.system) / 1000 / results.length,
  };
  log(row);
  await worker.stop();
  await b.close();
  return row;
}

// ---------------------------------------------------------------------------------------------

const started = new Date();
const load0 = loadavg()[0]!;
const result: Record<string, unknown> = {
  machine: `${cpus()[0]?.model ?? "?"} x ${cpus().length}, Node ${process.version}`,
  date: started.toISOString(),
  load1Start: load0,
};
if (want("engine"))
  result.engine = [await engineSection("pglite"), await engineSection("postgres")];
if (want("inproc"))
  result.inproc = process.argv.includes("--pg-only")
    ? [await inprocSection("postgres")]
    : [await inprocSection("pglite"), await inprocSection("postgres")];
if (want("workers")) result.workers = await workersSection();
if (want("webhook"))
  result.webhook = process.argv.includes("--pg-only")
    ? [await webhookSection("postgres")]
    : [await webhookSection("pglite"), await webhookSection("postgres")];
result.load1End = loadavg()[0]!;
console.log(JSON.stringify(result, null, 2));
process.exit(0);
