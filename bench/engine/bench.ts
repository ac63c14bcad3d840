/**
 * Engine benchmarks (`npm run bench:engine -- [engine] [workers] [webhook] [inproc] [startup]`,
 * default all):
 *
 * - engine: per-step overhead, (time[100 steps] − time[1 step]) / 99 per repetition, median;
 *   100-chain and 100-wide fan-out; pure steps (data.transform) and side-effect steps (a write
 *   block, `crm.contact.update`, whose runtime is a local no-op: the figure is the engine's
 *   cost including the durable checkpoint of every side-effect step). Time = claim, load,
 *   advance and final commit of one run in one process. On PGlite (on disk, opened by this
 *   process) and on PostgreSQL: the store on either.
 * - workers: throughput of 10-step write chains with 1 and 2 `pg-boss` worker processes on
 *   PostgreSQL (the chaos test's worker entry without delays; its write double inserts one row).
 * - webhook: a 2-step flow behind a webhook answering with the run's output (`?wait=1`), on the
 *   production server (`scripts/serve.mjs` on an existing `next build`, as `npm start` runs it):
 *   open-loop at 17 req/s (1,020/min) for 30 s and closed-loop with 10 connections for 20 s,
 *   signed client in this process (same method as /work/shared/peers/loadgen.mjs, which cannot
 *   sign). Each checkout's server runs on its default database (what it opens without
 *   DATABASE_URL: the embedded PostgreSQL since issue 12, PGlite under `<data dir>/pglite`
 *   before) and on PostgreSQL (BENCH_PG_URL). With BASE_DIR, the base checkout's servers and
 *   this one's take turns, repetition by repetition, so drift hits both. Each repetition starts
 *   on a fresh database; the memory of the server process and of the PostgreSQL serving it is
 *   sampled under the 10-connection load.
 * - inproc: the same webhook path without Next.js and HTTP (`receiveWebhook` and the embedded
 *   worker in this process): what the engine and the domain cost on their own.
 * - startup: the embedded PostgreSQL's first start (initdb + start), later starts and stop; the
 *   production server's time to a healthy `/api/health` on a fresh and on an existing data
 *   directory, as `npm start` starts it (embedded database first, then the server; demo seed);
 *   the disk's cost of one flushed write (8 KiB + fdatasync), which every durable commit pays.
 *
 * Env: BENCH_PG_URL (postgres://postgres@127.0.0.1:55432/postgres), REPS (3), PORT (3311),
 * SERVER_DIR (the checkout whose build the webhook and startup sections start; default this
 * one), BASE_DIR (a second checkout measured alternately with it; unset: none). The webhook
 * section seeds with this checkout's Prisma client and the server's own migrations: the two
 * checkouts' schemas must agree on the seeded tables.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import {
  closeSync,
  existsSync,
  fdatasyncSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeSync,
} from "node:fs";
import http from "node:http";
import { loadavg, cpus, release, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { Database } from "@/server/adapters/prisma";

process.env.LOG_LEVEL ??= "warn";
const { compile } = await import("@/dsl");
const { BlockRegistry } = await import("@/dsl");
const { migrate, openDatabase } = await import("@/server/adapters/prisma");
const { loadMigrations } = await import("@/server/adapters/prisma/migrator");
const { startEmbeddedPostgres } = await import("@/server/adapters/embedded-postgres/cluster");
const { openEmbeddedDatabase } = await import("@/server/embedded-database");
const { sqlFromDriver, SqlRunStore } = await import("@/server/adapters/store/sql-run-store");
const { createServices } = await import("@/server/wiring/services");
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
  const engine = createServices(db).newEngine({ runtimes: noopWriteRuntimes() });
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

// ---------------------------------------------------------------------------------------------
// The servers under test: a checkout's production build on its default database or PostgreSQL

/** The checkout whose production build the webhook and startup sections start. */
const SERVER_DIR = path.resolve(process.env.SERVER_DIR ?? ".");
/** A second checkout (another commit's build), measured alternately with SERVER_DIR. */
const BASE_DIR = process.env.BASE_DIR ? path.resolve(process.env.BASE_DIR) : null;

/** Where a server keeps its data: its checkout's default (no DATABASE_URL) or PostgreSQL. */
type ServerDb = "embedded PostgreSQL" | "embedded PGlite" | "PostgreSQL";

/**
 * What a checkout's server opens without DATABASE_URL: the embedded PostgreSQL server since
 * issue 12 (server/embedded-database.ts), PGlite in `<data dir>/pglite` before it. The label
 * follows the code, so a base checkout is never reported under the new default's name.
 */
function defaultDatabase(dir: string): Exclude<ServerDb, "PostgreSQL"> {
  return existsSync(path.join(dir, "server/embedded-database.ts"))
    ? "embedded PostgreSQL"
    : "embedded PGlite";
}

interface Target {
  /** "base <commit>" or "this <commit>". */
  checkout: string;
  dir: string;
  db: ServerDb;
}

const label = (t: Target) => `${t.checkout}, ${t.db}`;

function checkoutName(role: string, dir: string): string {
  const r = spawnSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  return `${role} ${r.status === 0 ? r.stdout.trim() : path.basename(dir)}`;
}

/**
 * The servers to measure, in the order their repetitions take turns: the base's and this
 * checkout's on their default databases, then both on PostgreSQL.
 */
function serverTargets(opts: { defaults: boolean; postgres: boolean }): Target[] {
  const checkouts = [
    ...(BASE_DIR ? [{ checkout: checkoutName("base", BASE_DIR), dir: BASE_DIR }] : []),
    { checkout: checkoutName("this", SERVER_DIR), dir: SERVER_DIR },
  ];
  return [
    ...(opts.defaults ? checkouts.map((c) => ({ ...c, db: defaultDatabase(c.dir) })) : []),
    ...(opts.postgres ? checkouts.map((c) => ({ ...c, db: "PostgreSQL" as const })) : []),
  ];
}

interface Server {
  child: ChildProcess;
  /** SIGTERM, then waits for the exit (the server stops its worker, then its database); ms. */
  stop(): Promise<number>;
}

/**
 * Starts `scripts/serve.mjs` of the checkout `dir` (as `npm start` does) on a prepared database;
 * resolves when /api/health answers 200 (the database opened and migrated, the worker started).
 */
export async function startServer(
  env: Record<string, string>,
  port = PORT,
  dir = SERVER_DIR,
): Promise<Server> {
  const child = spawn(
    process.execPath,
    [path.join(dir, "scripts/serve.mjs"), "-p", String(port), "-H", "127.0.0.1"],
    {
      cwd: dir,
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
  const kill = () => child.kill("SIGKILL");
  process.once("exit", kill);
  const server: Server = {
    child,
    async stop() {
      const t0 = performance.now();
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once("exit", r));
        child.kill("SIGTERM");
        await exited;
      }
      process.removeListener("exit", kill);
      return performance.now() - t0;
    },
  };
  // A first start on a loaded machine (migrations, demo seed) has taken a minute.
  const deadline = performance.now() + 180_000;
  while (performance.now() < deadline) {
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
    if (ok) return server;
    if (child.exitCode !== null) throw new Error(`the server in ${dir} exited`);
    await new Promise((r) => setTimeout(r, 25));
  }
  await server.stop();
  throw new Error(`the server in ${dir} did not start`);
}

interface Memory {
  procs: number;
  rssMb: number;
  /** Proportional set size: shared pages (PostgreSQL's shared buffers) counted once in all. */
  pssMb: number;
}

/** RSS and PSS summed over a process and its descendants (from /proc; zero without it). */
function treeMemory(root: number): Memory {
  const children = new Map<number, number[]>();
  let entries: string[] = [];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    /* no /proc */
  }
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(e)]);
    } catch {
      /* gone meanwhile */
    }
  }
  const m: Memory = { procs: 0, rssMb: 0, pssMb: 0 };
  const todo = [root];
  while (todo.length) {
    const pid = todo.pop()!;
    try {
      const roll = readFileSync(`/proc/${pid}/smaps_rollup`, "utf8");
      m.rssMb += Number(/^Rss:\s+(\d+)/m.exec(roll)?.[1] ?? 0) / 1024;
      m.pssMb += Number(/^Pss:\s+(\d+)/m.exec(roll)?.[1] ?? 0) / 1024;
      m.procs += 1;
    } catch {
      /* gone meanwhile */
    }
    todo.push(...(children.get(pid) ?? []));
  }
  return m;
}

const maxMemory = (a: Memory, b: Memory): Memory => ({
  procs: Math.max(a.procs, b.procs),
  rssMb: Math.max(a.rssMb, b.rssMb),
  pssMb: Math.max(a.pssMb, b.pssMb),
});

/** The postmaster of the server behind `url`: the parent of a backend serving us. */
async function postmasterOf(url: string): Promise<number | null> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    const { rows } = await c.query<{ pid: number }>("SELECT pg_backend_pid() AS pid");
    const stat = readFileSync(`/proc/${rows[0]!.pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null; // another host, or no /proc
  } finally {
    await c.end();
  }
}

interface Prepared {
  /** What the server needs to open it. */
  env: Record<string, string>;
  seeded: Awaited<ReturnType<typeof seedWebhook>>;
  /** The postmaster serving it; null for PGlite (in the server's own process). */
  postmaster: number | null;
  /** After the server exited: drops the database, or stops the embedded server (its ms). */
  close(): Promise<number | null>;
}

/** A fresh database for the target's server, migrated with that checkout's migrations, seeded. */
async function prepareDatabase(t: Target, key: Buffer): Promise<Prepared> {
  const migrations = await loadMigrations(path.join(t.dir, "prisma/migrations"));
  const seedOn = async (db: Database) => {
    await migrate(db.driver, migrations);
    const seeded = await seedWebhook(db, key);
    await db.close();
    return seeded;
  };
  if (t.db === "PostgreSQL") {
    const fresh = await freshPg();
    const seeded = await seedOn(
      await openDatabase({ kind: "postgres", url: fresh.url, poolSize: 2 }),
    );
    return {
      env: { DATABASE_URL: fresh.url },
      seeded,
      postmaster: await postmasterOf(fresh.url),
      close: async () => (await fresh.drop(), null),
    };
  }
  const dir = mkdtempSync(path.join(tmpdir(), "tf-bench-hook-"));
  const env = { TRUSTFLOW_DATA_DIR: dir };
  if (t.db === "embedded PGlite") {
    // Where a pre-issue-12 server opens its default database.
    const seeded = await seedOn(
      await openDatabase({ kind: "pglite", dataDir: path.join(dir, "pglite") }),
    );
    return {
      env,
      seeded,
      postmaster: null,
      close: async () => (rmSync(dir, { recursive: true, force: true }), null),
    };
  }
  // Started (initdb on this fresh directory) and owned by this process, as `npm start` starts it
  // before the server: the server joins it, and this process stops it after the server's exit.
  const embedded = await openEmbeddedDatabase({ dataDir: dir, log: () => undefined });
  try {
    const seeded = await seedOn(
      await openDatabase({ kind: "postgres", url: embedded.url, poolSize: 2 }),
    );
    return {
      env,
      seeded,
      postmaster: embedded.server.pid,
      async close() {
        const t0 = performance.now();
        await embedded.server.stop();
        const ms = performance.now() - t0;
        rmSync(dir, { recursive: true, force: true });
        return ms;
      },
    };
  } catch (err) {
    await embedded.server.stop();
    throw err;
  }
}

// ---------------------------------------------------------------------------------------------
// webhook: the production server + signed client

interface WebhookRep {
  rate: ReturnType<typeof summarize>;
  max: ReturnType<typeof summarize>;
  /** Peak under the 10-connection load: the server's process, the PostgreSQL serving it. */
  serverMemory: Memory;
  postgresMemory: Memory | null;
  serverStopMs: number;
  postgresStopMs: number | null;
}

async function webhookRep(t: Target): Promise<WebhookRep> {
  const key = randomBytes(32);
  const db = await prepareDatabase(t, key);
  let server: Server | null = null;
  try {
    server = await startServer(
      { ...db.env, TRUSTFLOW_CREDENTIALS_KEY: key.toString("base64") },
      PORT,
      t.dir,
    );
    const { secret } = db.seeded;
    const p = db.seeded.paths.hook2!;
    const probe = await signedRequest(new http.Agent(), p, secret);
    if (!probe.ok) throw new Error(`webhook probe answered ${probe.status}`);
    // Warm-up, not measured: JIT, the pool's connections and their prepared statements.
    await maxLoad(p, secret, 10, 5);
    const rate = await rateLoad(p, secret, 17, 30);
    const pid = server.child.pid!;
    let serverMemory = treeMemory(pid);
    let postgresMemory = db.postmaster ? treeMemory(db.postmaster) : null;
    const sample = () => {
      serverMemory = maxMemory(serverMemory, treeMemory(pid));
      if (db.postmaster) postgresMemory = maxMemory(postgresMemory!, treeMemory(db.postmaster));
    };
    const sampler = setInterval(sample, 5_000);
    const max = await maxLoad(p, secret, 10, 20);
    clearInterval(sampler);
    const serverStopMs = await server.stop();
    server = null;
    const postgresStopMs = await db.close();
    return { rate, max, serverMemory, postgresMemory, serverStopMs, postgresStopMs };
  } catch (err) {
    await server?.stop();
    await db.close();
    throw err;
  }
}

async function webhookSection(list: Target[]) {
  const reps = new Map<Target, WebhookRep[]>(list.map((t) => [t, []]));
  // Repetitions take turns (base, this, base, this, …) so the machine's drift hits every server.
  for (let rep = 1; rep <= REPS; rep++) {
    for (const t of list) {
      const r = await webhookRep(t);
      reps.get(t)!.push(r);
      log(label(t), `rep ${rep}`, {
        rate: `${f(r.rate.rps, 1)} r/s, p50 ${f(r.rate.p50, 2)}, p95 ${f(r.rate.p95, 2)}, errors ${r.rate.errors}`,
        max: `${f(r.max.rps, 0)} r/s, p50 ${f(r.max.p50, 2)}, errors ${r.max.errors}`,
        serverRssMb: f(r.serverMemory.rssMb, 0),
        postgres: r.postgresMemory
          ? `${r.postgresMemory.procs} procs, RSS ${f(r.postgresMemory.rssMb, 0)} MB, PSS ${f(r.postgresMemory.pssMb, 0)} MB`
          : "none (in the server process)",
      });
    }
  }
  const med = (xs: Array<ReturnType<typeof summarize>>) => ({
    reps: xs.length,
    errors: xs.reduce((s, x) => s + x.errors, 0),
    rps: median(xs.map((x) => x.rps)),
    p50: median(xs.map((x) => x.p50)),
    p95: median(xs.map((x) => x.p95)),
    p99: median(xs.map((x) => x.p99)),
    perRep: xs.map((x) => `${f(x.rps, 0)} r/s, p50 ${f(x.p50, 2)}, p95 ${f(x.p95, 2)}`).join("; "),
  });
  const memory = (xs: Memory[]) => ({
    procs: median(xs.map((x) => x.procs)),
    rssMb: +f(median(xs.map((x) => x.rssMb)), 0),
    pssMb: +f(median(xs.map((x) => x.pssMb)), 0),
    perRepRssMb: xs.map((x) => +f(x.rssMb, 0)),
  });
  return list.map((t) => {
    const xs = reps.get(t)!;
    const pgStops = xs.flatMap((x) => (x.postgresStopMs === null ? [] : [x.postgresStopMs]));
    return {
      server: label(t),
      dir: t.dir,
      rate: med(xs.map((x) => x.rate)),
      max: med(xs.map((x) => x.max)),
      serverMemory: memory(xs.map((x) => x.serverMemory)),
      postgresMemory: xs[0]!.postgresMemory
        ? memory(xs.map((x) => x.postgresMemory!))
        : "in the server process",
      serverStopMs: +f(median(xs.map((x) => x.serverStopMs)), 0),
      ...(pgStops.length ? { embeddedStopMs: +f(median(pgStops), 0) } : {}),
    };
  });
}

// ---------------------------------------------------------------------------------------------
// inproc: the webhook domain path without Next.js and HTTP (receiveWebhook + embedded worker)

async function inprocSection(kind: "pglite" | "postgres") {
  const b = await openBackend(kind);
  const { db } = b;
  const key = randomBytes(32);
  // A workspace slug of its own per backend: the webhook secret cache is per process.
  const seeded = await seedWebhook(db, key, undefined, [], `hook-${kind}`);
  const services = createServices(db);
  const engine = services.engine();
  const worker = startEmbeddedWorker(services, { engine });
  const vault = keyringVault(createKeyring(key));
  const [slug, flowName] = seeded.paths.hook2!.split("/").slice(3) as [string, string];
  let seq = 0;
  const failures = new Map<number, string>();
  const call = async () => {
    const body = eventBody();
    const t0 = performance.now();
    const a = await receiveWebhook(
      services,
      {
        workspaceSlug: slug,
        flowName,
        body,
        signature: signWebhook(seeded.secret, body, Date.now() / 1000),
        deliveryId: `d${seq++}`,
        wait: true,
      },
      { vault, inline: INLINE ? { engine } : undefined },
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
// startup: the embedded PostgreSQL's start and stop, the server's time to healthy, the disk

/** The embedded PostgreSQL alone: first start (initdb + start), a later start, their stops. */
async function clusterStartStop() {
  const first: number[] = [];
  const later: number[] = [];
  const stops: number[] = [];
  let version = "";
  for (let i = 0; i < REPS; i++) {
    const dir = mkdtempSync(path.join(tmpdir(), "tf-bench-cluster-"));
    try {
      for (const times of [first, later]) {
        const t0 = performance.now();
        const server = await startEmbeddedPostgres({ dataDir: dir });
        times.push(performance.now() - t0);
        version = server.version;
        if (server.how !== (times === first ? "initialised" : "started"))
          throw new Error(`the embedded PostgreSQL was ${server.how}`);
        const t1 = performance.now();
        await server.stop();
        stops.push(performance.now() - t1);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const row = {
    version,
    firstStartMs: +f(median(first), 0),
    laterStartMs: +f(median(later), 0),
    stopMs: +f(median(stops), 0),
    perRep: { first: first.map((x) => +f(x, 0)), later: later.map((x) => +f(x, 0)) },
    stopsPerRep: stops.map((x) => +f(x, 0)),
  };
  log("embedded PostgreSQL", row);
  return row;
}

interface StartTimes {
  /** Why the server did not become healthy (the other figures are then NaN). */
  error?: string;
  /** `npm start`'s embedded database: start (initdb on a fresh directory), application database. */
  databaseMs: number;
  /** The server's start to a healthy /api/health: Next.js, migrations (all of them when fresh), seed. */
  serverMs: number;
  totalMs: number;
  serverStopMs: number;
  databaseStopMs: number;
}

/**
 * The production server started as `npm start` starts it (the embedded database first when the
 * checkout has one, then `scripts/serve.mjs`; demo seed, its default), on a fresh data directory
 * and again on the same one; each time until /api/health answers 200.
 */
async function serverStart(t: Target) {
  const dir = mkdtempSync(path.join(tmpdir(), "tf-bench-start-"));
  const out: StartTimes[] = [];
  try {
    for (let i = 0; i < 2; i++) {
      const t0 = performance.now();
      const embedded =
        t.db === "embedded PostgreSQL"
          ? await openEmbeddedDatabase({ dataDir: dir, log: () => undefined })
          : null;
      const t1 = performance.now();
      const server = await startServer(
        { TRUSTFLOW_DATA_DIR: dir, TRUSTFLOW_SEED: "demo" },
        PORT,
        t.dir,
      ).catch((err: unknown) => err as Error);
      if (server instanceof Error) {
        // Recorded, not fatal: a start that fails under load is a finding of its own.
        await embedded?.server.stop();
        const nan = { serverMs: NaN, totalMs: NaN, serverStopMs: NaN, databaseStopMs: NaN };
        out.push({ databaseMs: t1 - t0, ...nan, error: server.message });
        continue;
      }
      const t2 = performance.now();
      const serverStopMs = await server.stop();
      const t3 = performance.now();
      await embedded?.server.stop();
      out.push({
        databaseMs: t1 - t0,
        serverMs: t2 - t1,
        totalMs: t2 - t0,
        serverStopMs,
        databaseStopMs: embedded ? performance.now() - t3 : 0,
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return { fresh: out[0]!, existing: out[1]! };
}

/** One WAL-like flushed write: 8 KiB overwritten in a preallocated file, then fdatasync. */
function flushedWriteMs(n = 300): number {
  const dir = mkdtempSync(path.join(tmpdir(), "tf-bench-fsync-"));
  const fd = openSync(path.join(dir, "probe"), "w");
  try {
    const page = Buffer.alloc(8192, 7);
    for (let i = 0; i < 128; i++) writeSync(fd, page, 0, page.length, i * page.length);
    fdatasyncSync(fd);
    const ms: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      writeSync(fd, page, 0, page.length, (i % 128) * page.length);
      fdatasyncSync(fd);
      ms.push(performance.now() - t0);
    }
    return median(ms);
  } finally {
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The kernel's view of the temporary directory's disk cache: "write back" (a volatile cache,
 * flushed on fsync) or "write through"; "unknown" when /sys does not say.
 */
function diskWriteCache(): string {
  const dev = statSync(tmpdir()).dev;
  const major = (dev >> 8) & 0xfff;
  const minor = (dev & 0xff) | ((dev >> 12) & 0xfff00);
  for (const q of ["queue/write_cache", "../queue/write_cache"]) {
    try {
      return readFileSync(`/sys/dev/block/${major}:${minor}/${q}`, "utf8").trim();
    } catch {
      /* a partition: its disk's queue is one level up */
    }
  }
  return "unknown";
}

async function startupSection(list: Target[]) {
  const cluster = list.some((t) => t.db === "embedded PostgreSQL")
    ? await clusterStartStop()
    : null;
  const runs = new Map<Target, Array<Awaited<ReturnType<typeof serverStart>>>>(
    list.map((t) => [t, []]),
  );
  for (let rep = 1; rep <= REPS; rep++) {
    for (const t of list) {
      const r = await serverStart(t);
      runs.get(t)!.push(r);
      log(label(t), `start rep ${rep}`, r);
    }
  }
  const keys = ["databaseMs", "serverMs", "totalMs", "serverStopMs", "databaseStopMs"] as const;
  const med = (all: StartTimes[]) => {
    const xs = all.filter((x) => !x.error);
    return {
      ...Object.fromEntries(
        keys.map((k) => [k, xs.length ? +f(median(xs.map((x) => x[k])), 0) : null]),
      ),
      failed: all.flatMap((x) => (x.error ? [x.error] : [])),
    };
  };
  const servers = list.map((t) => {
    const xs = runs.get(t)!;
    return {
      server: label(t),
      fresh: med(xs.map((x) => x.fresh)),
      existing: med(xs.map((x) => x.existing)),
      totalPerRep: {
        fresh: xs.map((x) => +f(x.fresh.totalMs, 0)),
        existing: xs.map((x) => +f(x.existing.totalMs, 0)),
      },
    };
  });
  const disk = {
    dir: tmpdir(),
    writeCache: diskWriteCache(),
    flushedWrite8KiBMs: +f(flushedWriteMs(), 3),
  };
  log("disk", disk);
  return { cluster, servers, disk };
}

// ---------------------------------------------------------------------------------------------

const started = new Date();
const load0 = loadavg();
const result: Record<string, unknown> = {
  machine: `${cpus()[0]?.model ?? "?"} x ${cpus().length}, Linux ${release()}, Node ${process.version}`,
  date: started.toISOString(),
  loadStart: load0.map((x) => +x.toFixed(2)),
};
const pgOnly = process.argv.includes("--pg-only");
let failed = false;
/** Runs a section; a failure is recorded in its place, and the later sections still run. */
async function section(name: string, run: () => Promise<unknown>) {
  if (!want(name)) return;
  try {
    result[name] = await run();
  } catch (err) {
    failed = true;
    log(name, "failed", err);
    result[name] = { error: String((err as Error)?.stack ?? err) };
  }
  // What is measured so far, should a later section hang.
  log(`${name} done`, JSON.stringify(result[name]));
}
await section("engine", async () => [
  await engineSection("pglite"),
  await engineSection("postgres"),
]);
await section("inproc", async () =>
  pgOnly
    ? [await inprocSection("postgres")]
    : [await inprocSection("pglite"), await inprocSection("postgres")],
);
await section("workers", workersSection);
await section("webhook", () =>
  webhookSection(serverTargets({ defaults: !pgOnly, postgres: true })),
);
await section("startup", () => startupSection(serverTargets({ defaults: true, postgres: false })));
result.loadEnd = loadavg().map((x) => +x.toFixed(2));
result.end = new Date().toISOString();
console.log(JSON.stringify(result, null, 2));
process.exit(failed ? 1 : 0);
