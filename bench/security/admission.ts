/**
 * Admission control under a burst (`npm run bench:admission`, issue 11 item 9): 200 concurrent
 * run starts through the public paths — tRPC `run.start` (an API token with the `run` scope),
 * signed webhooks without and with `?wait=1` (a third each) — while `/api/health` is polled
 * back to back. Reports accepted and refused (429/503 with `Retry-After`) starts, lost runs
 * (an accepted run that never finished, or a refused one that left a row: must be 0), and the
 * health latency p50/p95/max during the burst; median of REPS (3) repetitions, each on a fresh
 * database.
 *
 * Targets:
 * - `server` (default when `.next/BUILD_ID` exists): the production server, `node
 *   scripts/serve.mjs` on the existing build (as `npm start` runs it), on that checkout's default
 *   database: the embedded PostgreSQL since issue 12 (started by this process before the server,
 *   as `npm start` starts it; the server joins it), PGlite in `<data dir>/pglite` before it.
 * - `inproc` (default otherwise, or MODE=inproc): the same route handlers in this process behind
 *   a plain Node HTTP server — tRPC's fetch handler with the app router, `receiveWebhook` with the
 *   embedded worker's inline execution, `healthReport` — on PGlite opened by this process (the
 *   pre-issue-12 default, kept for the before/after rows in bench/RESULTS.md). No Next.js.
 *
 * Env: MODE (server | inproc), SERVER_DIR (the checkout whose `.next` build `server` mode starts;
 * default this one), REPS (3), BURST (200), PORT (3321), ADMISSION=off (no gate: the
 * limits raised out of reach, for the before/after comparison; inproc only), HEALTH=direct (the
 * health route as before: it queries the database on every request; inproc only).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes, randomUUID } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import http from "node:http";
import { cpus, loadavg, tmpdir } from "node:os";
import path from "node:path";
import type { Database } from "@/server/adapters/prisma";

process.env.LOG_LEVEL ??= "warn";
const { openDatabase, migrate } = await import("@/server/adapters/prisma");
const { loadMigrations, migrationStatus } = await import("@/server/adapters/prisma/migrator");
const { createServices } = await import("@/server/wiring/services");
const { startEmbeddedWorker } = await import("@/server/adapters/queue/embedded-worker");
const { createKeyring, sealSecret } = await import("@/server/adapters/connectors/credentials");
const { keyringVault } = await import("@/server/adapters/connectors/vault");
const { receiveWebhook } = await import("@/server/domain/trigger/webhooks");
const { signWebhook } = await import("@/server/domain/trigger/signature");
const { hashToken } = await import("@/server/domain/token/api-tokens");
const { admissionRefusalAnswer, admissionResponseMeta } =
  await import("@/server/domain/run/admission");
const { healthReport } = await import("@/server/health");
const { openEmbeddedDatabase } = await import("@/server/embedded-database");
const { HOOK_FLOW } = await import("../engine/bench-seed");

const REPS = Number(process.env.REPS ?? 3);
const BURST = Number(process.env.BURST ?? 200);
const PORT = Number(process.env.PORT ?? 3321);
/** The checkout whose build `server` mode starts (another checkout's build: a before/after). */
const SERVER_DIR = path.resolve(process.env.SERVER_DIR ?? ".");
const MODE =
  process.env.MODE ?? (existsSync(path.join(SERVER_DIR, ".next/BUILD_ID")) ? "server" : "inproc");
/**
 * The database under test: in `server` mode the checkout's default (what its server opens
 * without DATABASE_URL: the embedded PostgreSQL since issue 12, PGlite before), so a base
 * checkout is never reported under the new default's name; in `inproc` mode PGlite, opened here.
 */
const DATABASE =
  MODE !== "server"
    ? "PGlite in this process"
    : existsSync(path.join(SERVER_DIR, "server/embedded-database.ts"))
      ? "embedded PostgreSQL"
      : "embedded PGlite";
const log = (...a: unknown[]) =>
  console.error(`[bench ${new Date().toISOString().slice(11, 19)}]`, ...a);

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;

// ---------------------------------------------------------------------------------------------
// Seeding: a workspace with a webhook flow (also started by run.start), its secret, a token

interface Seeded {
  /** The data directory (TRUSTFLOW_DATA_DIR of the server). */
  dir: string;
  /** A connection of this process to the seeded database. */
  open(): Promise<Database>;
  /** Stops the embedded PostgreSQL this process started (if any), removes the directory. */
  close(): Promise<void>;
  key: Buffer;
  secret: string;
  hookPath: string;
  workflowId: string;
  workspaceId: string;
  token: string;
}

/**
 * Seeds with plain SQL and the migrations of the checkout under test (`SERVER_DIR`), so the same
 * seed serves a build of another checkout (an older schema) for a before/after comparison.
 */
async function seed(): Promise<Seeded> {
  const dir = mkdtempSync(path.join(tmpdir(), "tf-bench-admission-"));
  const key = randomBytes(32);
  // The embedded PostgreSQL is started and owned by this process, as `npm start` starts it
  // before the server; the server joins it, this process stops it after the server's exit.
  const embedded =
    DATABASE === "embedded PostgreSQL"
      ? await openEmbeddedDatabase({ dataDir: dir, log: () => undefined })
      : null;
  const open = () =>
    embedded
      ? openDatabase({ kind: "postgres", url: embedded.url })
      : openDatabase({ kind: "pglite", dataDir: path.join(dir, "pglite") });
  const db = await open();
  await migrate(db.driver, await loadMigrations(path.join(SERVER_DIR, "prisma/migrations")));
  const [userId, workspaceId, workflowId] = [randomUUID(), randomUUID(), randomUUID()];
  const slug = `admission-${randomBytes(4).toString("hex")}`;
  const email = `${slug}@example.test`;
  const q = (sql: string, params: unknown[]) => db.driver.query(sql, params);
  await q(
    `INSERT INTO "User" ("id", "email", "name", "passwordHash") VALUES ($1::uuid, $2, $3, $4)`,
    [userId, email, "bench", "unused: the bench signs in with an API token"],
  );
  await q(`INSERT INTO "Workspace" ("id", "slug", "name") VALUES ($1::uuid, $2, $3)`, [
    workspaceId,
    slug,
    "Admission bench",
  ]);
  await q(
    `INSERT INTO "Membership" ("id", "userId", "workspaceId", "role") VALUES ($1::uuid, $2::uuid, $3::uuid, 'admin')`,
    [randomUUID(), userId, workspaceId],
  );
  await q(
    `INSERT INTO "Workflow" ("id", "workspaceId", "name", "draft", "createdById") VALUES ($1::uuid, $2::uuid, $3, $4, $5::uuid)`,
    [workflowId, workspaceId, "hook2", HOOK_FLOW, userId],
  );
  const secret = `whsec_${randomBytes(24).toString("base64url")}`;
  const sealed = sealSecret(createKeyring(key), secret, `webhook:${workspaceId}:${workflowId}`);
  await q(
    `INSERT INTO "WebhookSecret" ("id", "workspaceId", "workflowId", "flowName", "ciphertext", "iv", "tag", "keyId", "hint")
     VALUES ($1::uuid, $2::uuid, $3::uuid, 'hook2', $4, $5, $6, $7, $8)`,
    [
      randomUUID(),
      workspaceId,
      workflowId,
      sealed.ciphertext,
      sealed.iv,
      sealed.tag,
      sealed.keyId,
      secret.slice(-4),
    ],
  );
  const token = `tf_${randomBytes(32).toString("base64url")}`;
  const scoped = (
    await q(
      `SELECT 1 FROM information_schema.columns WHERE table_name = 'ApiToken' AND column_name = 'scopes'`,
      [],
    )
  ).length;
  await q(
    `INSERT INTO "ApiToken" ("id", "workspaceId", "userId", "name", "tokenHash", "prefix"${scoped ? `, "scopes", "expiresAt"` : ""})
     VALUES ($1::uuid, $2::uuid, $3::uuid, 'bench', $4, $5${scoped ? `, ARRAY['read', 'run']::text[], now() + interval '1 day'` : ""})`,
    [randomUUID(), workspaceId, userId, hashToken(token), token.slice(0, 10)],
  );
  await db.close();
  return {
    dir,
    open,
    async close() {
      await embedded?.server.stop();
      rmSync(dir, { recursive: true, force: true });
    },
    key,
    secret,
    hookPath: `/api/hooks/${slug}/hook2`,
    workflowId,
    workspaceId,
    token,
  };
}

// ---------------------------------------------------------------------------------------------
// Targets

interface Target {
  port: number;
  stop(): Promise<void>;
}

async function waitHealthy(port: number, child?: ChildProcess) {
  for (let i = 0; i < 1200; i++) {
    const r = await request(port, "GET", "/api/health").catch(() => null);
    if (r?.status === 200) return;
    if (child && child.exitCode !== null) throw new Error("the server exited");
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error("the server did not become healthy");
}

/** The production server on the seeded data directory (its default database, seeded). */
async function startProductionServer(s: Seeded): Promise<Target> {
  const child = spawn(
    process.execPath,
    [path.join(SERVER_DIR, "scripts/serve.mjs"), "-p", String(PORT), "-H", "127.0.0.1"],
    {
      cwd: SERVER_DIR,
      env: {
        ...process.env,
        NODE_ENV: "production",
        LOG_LEVEL: "warn",
        TRUSTFLOW_SEED: "none",
        TRUSTFLOW_DATA_DIR: s.dir,
        TRUSTFLOW_CREDENTIALS_KEY: s.key.toString("base64"),
        NEXTAUTH_SECRET: randomBytes(24).toString("hex"),
        NEXTAUTH_URL: `http://127.0.0.1:${PORT}`,
      },
      stdio: ["ignore", "ignore", "inherit"],
    },
  );
  process.once("exit", () => child.kill("SIGKILL"));
  await waitHealthy(PORT, child);
  return {
    port: PORT,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
    },
  };
}

/** The same handlers in this process, behind a plain Node HTTP server. */
async function startInprocServer(s: Seeded): Promise<Target> {
  const { fetchRequestHandler } = await import("@trpc/server/adapters/fetch");
  const { appRouter } = await import("@/server/trpc/root");
  const { createContextInner } = await import("@/server/trpc/init");
  const { authenticateApiToken } = await import("@/server/domain/token/api-tokens");
  const db = await s.open();
  const services = createServices(db);
  if (process.env.ADMISSION === "off")
    services.admission.configure({ concurrency: 1_000_000, queue: 0 });
  const engine = services.engine();
  const worker = startEmbeddedWorker(services, { engine });
  const inline = { engine };
  const vault = keyringVault(createKeyring(s.key));
  const direct = process.env.HEALTH === "direct";

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      void (async () => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1");
        const body = Buffer.concat(chunks).toString("utf8");
        let status = 404;
        let json: unknown = { error: "not found" };
        let headers: Record<string, string> = {};
        if (url.pathname === "/api/health") {
          if (direct) {
            await db.driver.query("SELECT 1");
            json = { status: "ok", migrations: await migrationStatus(db.driver) };
            status = 200;
          } else {
            const r = await healthReport(db, "bench");
            status = r.status;
            json = r.body;
          }
        } else if (url.pathname.startsWith("/api/hooks/")) {
          const [slug, flowName] = url.pathname.split("/").slice(3);
          try {
            const a = await receiveWebhook(
              services,
              {
                workspaceSlug: decodeURIComponent(slug!),
                flowName: decodeURIComponent(flowName!),
                body,
                signature: String(req.headers["x-trustflow-signature"] ?? ""),
                deliveryId: (req.headers["x-trustflow-delivery"] as string | undefined) ?? null,
                wait: url.searchParams.get("wait") === "1",
              },
              { vault, inline, rateLimiter: null },
            );
            status = a.status;
            json = a.body;
            headers = a.headers ?? {};
          } catch (err) {
            // As server/webhook-endpoint.ts answers it.
            const refused = admissionRefusalAnswer(err);
            if (!refused) throw err;
            status = refused.status;
            headers = refused.headers;
            json = refused.body;
          }
        } else if (url.pathname.startsWith("/api/trpc/")) {
          const fetchReq = new Request(`http://127.0.0.1${req.url}`, {
            method: req.method,
            headers: req.headers as Record<string, string>,
            ...(req.method === "POST" ? { body } : {}),
          });
          const r = await fetchRequestHandler({
            endpoint: "/api/trpc",
            req: fetchReq,
            router: appRouter,
            createContext: async () => {
              const authz = fetchReq.headers.get("authorization") ?? "";
              const tokenActor = await authenticateApiToken(db.prisma, authz.slice(7).trim());
              return createContextInner({
                db: db.prisma,
                services,
                tokenActor,
                workspaceId: fetchReq.headers.get("x-trustflow-workspace"),
                user: null,
              });
            },
            responseMeta: admissionResponseMeta,
          });
          status = r.status;
          json = await r.json();
          r.headers.forEach((v, k) => {
            if (k.toLowerCase() === "retry-after") headers["Retry-After"] = v;
          });
        }
        const text = JSON.stringify(json);
        res.writeHead(status, { ...headers, "content-type": "application/json" });
        res.end(text);
      })().catch((err: unknown) => {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ error: String(err) }));
      });
    });
  });
  await new Promise<void>((r) => server.listen(PORT, "127.0.0.1", r));
  await waitHealthy(PORT);
  return {
    port: PORT,
    async stop() {
      await new Promise((r) => server.close(r));
      await worker.stop();
      await db.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP client

const agent = new http.Agent({ keepAlive: true, maxSockets: 512 });
const healthAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function request(
  port: number,
  method: string,
  p: string,
  body?: string,
  headers: Record<string, string> = {},
  a: http.Agent = agent,
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port,
        path: p,
        method,
        agent: a,
        headers: {
          ...(body !== undefined
            ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) }
            : {}),
          ...headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString("utf8"),
          }),
        );
      },
    );
    req.on("error", reject);
    req.end(body);
  });
}

type Kind = "trpc" | "hook" | "hook-wait";
let seq = 0;

interface Outcome {
  kind: Kind;
  status: number;
  runId: string | null;
  retryAfter: string | undefined;
}

async function start(t: Target, s: Seeded, kind: Kind): Promise<Outcome> {
  if (kind === "trpc") {
    const r = await request(
      t.port,
      "POST",
      "/api/trpc/run.start",
      JSON.stringify({ json: { workflowId: s.workflowId, inputs: {} } }),
      {
        authorization: `Bearer ${s.token}`,
        "x-trustflow-workspace": s.workspaceId,
        origin: `http://127.0.0.1:${t.port}`,
      },
    );
    const id =
      r.status === 200
        ? ((JSON.parse(r.body) as { result: { data: { json: { id: string } } } }).result.data.json
            .id ?? null)
        : null;
    return { kind, status: r.status, runId: id, retryAfter: r.headers["retry-after"] as string };
  }
  // The flow takes no inputs; whitespace makes each body (and so its signature) unique.
  const body = `{${" ".repeat(seq++)}}`;
  const r = await request(
    t.port,
    "POST",
    `${s.hookPath}${kind === "hook-wait" ? "?wait=1&timeout=30000" : ""}`,
    body,
    {
      "x-trustflow-signature": signWebhook(s.secret, body, Date.now() / 1000),
      "x-trustflow-delivery": randomUUID(),
    },
  );
  const parsed = JSON.parse(r.body) as { runId?: string };
  return {
    kind,
    status: r.status,
    runId: r.status < 300 ? (parsed.runId ?? null) : null,
    retryAfter: r.headers["retry-after"] as string,
  };
}

// ---------------------------------------------------------------------------------------------
// One repetition

interface Rep {
  accepted: number;
  refused: number;
  refusedWithoutRetryAfter: number;
  other: number;
  lost: number;
  leftovers: number;
  healthN: number;
  healthP50: number;
  healthP95: number;
  healthMax: number;
  healthNot200: number;
  burstS: number;
  drainS: number;
}

async function rep(): Promise<Rep> {
  const s = await seed();
  const t = MODE === "server" ? await startProductionServer(s) : await startInprocServer(s);
  // Warm-up (not measured): JIT, prepared statements, caches; 3 runs of each kind.
  for (const k of ["trpc", "hook", "hook-wait"] as const)
    for (let i = 0; i < 3; i++) await start(t, s, k);

  let polling = true;
  const health: number[] = [];
  let healthNot200 = 0;
  const poller = (async () => {
    while (polling) {
      const t0 = performance.now();
      const r = await request(t.port, "GET", "/api/health", undefined, {}, healthAgent);
      health.push(performance.now() - t0);
      if (r.status !== 200) healthNot200 += 1;
      await new Promise((res) => setTimeout(res, 20));
    }
  })();
  await new Promise((r) => setTimeout(r, 100));

  const kinds: Kind[] = Array.from(
    { length: BURST },
    (_, i) => (["trpc", "hook", "hook-wait"] as const)[i % 3]!,
  );
  const t0 = performance.now();
  const outcomes = await Promise.all(kinds.map((k) => start(t, s, k)));
  const burstS = (performance.now() - t0) / 1000;
  const accepted = outcomes.filter((o) => o.runId);
  const refused = outcomes.filter((o) => o.status === 429 || o.status === 503);
  const other = outcomes.filter((o) => !o.runId && o.status !== 429 && o.status !== 503);
  for (const o of other.slice(0, 3)) log("unexpected answer", o);

  // Drain: every accepted run finishes (read through the API, as a client would).
  const ids = new Set(accepted.map((o) => o.runId!));
  const t1 = performance.now();
  let unfinished = ids.size;
  while (performance.now() - t1 < 120_000) {
    unfinished = await countUnfinishedOverApi(t, s, ids);
    if (unfinished === 0) break;
    await new Promise((res) => setTimeout(res, 250));
  }
  const drainS = (performance.now() - t1) / 1000;
  polling = false;
  await poller;
  await t.stop();

  // Nothing lost, nothing left behind: read the database itself.
  const db = await s.open();
  const runs = await db.driver.query<{ id: string; status: string }>(
    `SELECT "id"::text AS id, "status"::text AS status FROM "Run" WHERE "workspaceId" = $1::uuid`,
    [s.workspaceId],
  );
  await db.close();
  await s.close();
  const warmups = 9;
  const byId = new Map(runs.map((r) => [r.id, r.status]));
  const lost = [...ids].filter((id) => byId.get(id) !== "succeeded").length;
  // Rows beyond the accepted runs and the warm-up: a refused start that left a trace.
  const leftovers = runs.length - ids.size - warmups;
  const sorted = [...health].sort((a, b) => a - b);
  return {
    accepted: accepted.length,
    refused: refused.length,
    refusedWithoutRetryAfter: refused.filter((o) => !o.retryAfter).length,
    other: other.length,
    lost,
    leftovers,
    healthN: sorted.length,
    healthP50: pct(sorted, 50),
    healthP95: pct(sorted, 95),
    healthMax: sorted.at(-1) ?? 0,
    healthNot200,
    burstS,
    drainS,
  };
}

/** Accepted runs not yet finished, read page by page through `run.list`. */
async function countUnfinishedOverApi(t: Target, s: Seeded, ids: Set<string>): Promise<number> {
  const done = new Set<string>();
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const input = { json: { limit: 100, ...(cursor ? { cursor } : {}) } };
    const r = await request(
      t.port,
      "GET",
      `/api/trpc/run.list?input=${encodeURIComponent(JSON.stringify(input))}`,
      undefined,
      { authorization: `Bearer ${s.token}`, "x-trustflow-workspace": s.workspaceId },
    );
    if (r.status !== 200) return ids.size;
    const data = (
      JSON.parse(r.body) as {
        result: {
          data: {
            json: { items: Array<{ id: string; status: string }>; nextCursor: string | null };
          };
        };
      }
    ).result.data.json;
    for (const it of data.items) if (it.status === "succeeded") done.add(it.id);
    cursor = data.nextCursor;
    if (!cursor) break;
  }
  return [...ids].filter((id) => !done.has(id)).length;
}

// ---------------------------------------------------------------------------------------------

const load0 = loadavg()[0]!;
log(`mode ${MODE} on ${DATABASE}, burst ${BURST}, reps ${REPS}`);
const reps: Rep[] = [];
for (let i = 1; i <= REPS; i++) {
  reps.push(await rep());
  log(`rep ${i}`, reps.at(-1));
}
const load1 = loadavg()[0]!;
const m = (k: keyof Rep) => median(reps.map((r) => r[k]));
const summary = {
  mode: MODE,
  database: DATABASE,
  ...(MODE === "server"
    ? { server: SERVER_DIR }
    : {
        admission: process.env.ADMISSION === "off" ? "off" : "on",
        health: process.env.HEALTH === "direct" ? "direct" : "probe",
      }),
  burst: BURST,
  reps: REPS,
  accepted: m("accepted"),
  refused: m("refused"),
  refusedWithoutRetryAfter: Math.max(...reps.map((r) => r.refusedWithoutRetryAfter)),
  otherAnswers: Math.max(...reps.map((r) => r.other)),
  lost: Math.max(...reps.map((r) => r.lost)),
  leftovers: Math.max(...reps.map((r) => r.leftovers)),
  healthP50: +m("healthP50").toFixed(1),
  healthP95: +m("healthP95").toFixed(1),
  healthMax: +m("healthMax").toFixed(1),
  healthSamples: m("healthN"),
  healthNot200: Math.max(...reps.map((r) => r.healthNot200)),
  burstS: +m("burstS").toFixed(2),
  drainS: +m("drainS").toFixed(2),
  machine: `${cpus()[0]?.model ?? "?"} x ${cpus().length}, Node ${process.version}`,
  date: new Date().toISOString().slice(0, 10),
  load: `${load0.toFixed(2)} -> ${load1.toFixed(2)}`,
};
console.log(JSON.stringify(summary, null, 2));
agent.destroy();
healthAgent.destroy();
process.exit(summary.lost === 0 && summary.leftovers === 0 ? 0 : 1);
