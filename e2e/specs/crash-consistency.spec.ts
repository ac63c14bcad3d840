/**
 * Crash consistency of the embedded database (issue 12, "Durable by default"): a stream of signed
 * webhook deliveries runs against a production server that owns its embedded PostgreSQL; both
 * are SIGKILLed mid-stream; after a restart on the same data directory every acknowledged run is
 * there, once, with its ledger entry, and the workspace's ledger verifies.
 *
 * What this proves and what it does not: SIGKILL of the processes leaves the operating system's
 * page cache intact, so this proves that an acknowledged commit is in the WAL and that recovery
 * replays it. A machine crash (power loss) additionally relies on the WAL having reached the disk
 * before the commit was acknowledged, i.e. on `fsync` and `synchronous_commit` being on: asserted
 * here on the recovered server, and in cluster.int.test.ts.
 *
 * The spec runs its own server (scripts/serve.mjs on a fresh data directory), not the suite's.
 */
import { createHmac } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { APIRequestContext } from "@playwright/test";
import { expect, newUserData, signInViaApi, signUpViaApi, test } from "../fixtures";
import {
  embeddedClient,
  freePort,
  postmasterOf,
  processAlive,
  spawnGroup,
  stopLeftoverPostmaster,
  until,
  waitHealthy,
  type GroupProcess,
} from "../support/processes";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** Concurrent senders of the stream. */
const SENDERS = 4;
/** The kill comes once the stream has run this long and this many deliveries were acknowledged. */
const STREAM_MS = 1_500;
const MIN_ACKNOWLEDGED = 50;

/** Next.js logs this when the server's boot (instrumentation.ts) fails, and keeps running. */
const BOOT_FAILED = /Failed to prepare server/;

const FLOW = "crash-stream";
/** A side-effect-free step; the run's start and end are ledgered all the same. */
const DSL = `flow: ${FLOW}
version: 1.0.0
trigger:
  webhook: {}
inputs:
  seq: { type: number }
steps:
  - id: double
    uses: data.transform@1
    with:
      fields: { doubled: double(inputs.seq) * 2.0 }
outputs:
  doubled: \${{ steps.double.output.doubled }}
`;

/** The environment scripts/test.mjs gives the suite's server, on this spec's data directory. */
function serverEnv(port: number, dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NODE_ENV: "production",
    PORT: String(port),
    TRUSTFLOW_DATA_DIR: dataDir,
    NEXTAUTH_URL: `http://127.0.0.1:${port}`,
    NEXTAUTH_SECRET: "crash-secret-crash-secret-crash-secret-crash",
    LOG_LEVEL: "warn",
    NEXT_TELEMETRY_DISABLED: "1",
    SIGNUP_MAX_PER_HOUR: "1000",
    PASSWORD_SCRYPT_N: "1024",
  };
  // The embedded database, with the credentials key it generates and keeps in the data directory.
  for (const name of [
    "DATABASE_URL",
    "TRUSTFLOW_CREDENTIALS_KEY",
    "TRUSTFLOW_CREDENTIALS_KEYS_OLD",
    "TRUSTFLOW_EMBEDDED_PG_PORT",
    "TRUSTFLOW_EMBEDDED_WORKER",
    "TRUSTFLOW_MODELS_FILE",
  ]) {
    delete env[name];
  }
  return env;
}

function startServer(port: number, dataDir: string): GroupProcess {
  return spawnGroup(
    "serve.mjs",
    process.execPath,
    [path.join(ROOT, "scripts/serve.mjs"), "-p", String(port), "-H", "127.0.0.1"],
    { cwd: ROOT, env: serverEnv(port, dataDir) },
  );
}

async function mutate<T>(api: APIRequestContext, procedure: string, input: unknown): Promise<T> {
  const res = await api.post(`/api/trpc/${procedure}`, { data: { json: input } });
  expect(res.ok(), `${procedure}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

async function query<T>(api: APIRequestContext, procedure: string): Promise<T> {
  const res = await api.get(`/api/trpc/${procedure}`);
  expect(res.ok(), `${procedure}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

interface Acknowledged {
  deliveryId: string;
  runId: string;
  /** 200: the run finished (succeeded) before the answer; 202: it was durably started. */
  status: 200 | 202;
}

test.describe.configure({ mode: "serial" });

test.describe("crash consistency", () => {
  test("every acknowledged webhook run survives SIGKILL of the app and its embedded PostgreSQL", async ({
    playwright,
  }, testInfo) => {
    test.setTimeout(240_000);
    const dataDir = mkdtempSync(path.join(os.tmpdir(), "trustflow-crash-"));
    const clusterDir = path.join(dataDir, "postgres");
    const logFile = path.join(dataDir, "postgres.log");
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const servers: GroupProcess[] = [];
    let api: APIRequestContext | undefined;
    try {
      // 1. A production server that starts and owns the embedded PostgreSQL.
      const first = startServer(port, dataDir);
      servers.push(first);
      await waitHealthy(`${base}/api/health`, first, 180_000, BOOT_FAILED);

      api = await playwright.request.newContext({ baseURL: base });
      const user = newUserData("crash");
      await signUpViaApi(api, user);
      await signInViaApi(api, user);
      const workflow = await mutate<{ id: string }>(api, "workflow.create", {
        name: FLOW,
        dsl: DSL,
      });
      const hook = await mutate<{ secret: string; path: string }>(
        api,
        "trigger.rotateWebhookSecret",
        { workflowId: workflow.id },
      );
      // No session: a webhook authenticates by its signature alone. Each body is unique, so the
      // signed content never clashes and only the delivery id identifies a redelivery.
      const deliver = (deliveryId: string, seq: number) => {
        const body = JSON.stringify({ seq });
        const t = Math.floor(Date.now() / 1000);
        const v1 = createHmac("sha256", hook.secret).update(`${t}.${body}`).digest("hex");
        return fetch(`${base}${hook.path}?wait=1`, {
          method: "POST",
          body,
          headers: {
            "content-type": "application/json",
            "x-trustflow-signature": `t=${t},v1=${v1}`,
            "x-trustflow-delivery": deliveryId,
          },
        });
      };

      // 2. The stream: every 2xx with its run id is an acknowledgement the database must keep.
      const acknowledged: Acknowledged[] = [];
      const refused = new Map<number, number>();
      let failed = 0;
      let inFlight = 0;
      let seq = 0;
      let stopping = false;
      const sender = async () => {
        while (!stopping) {
          const n = ++seq;
          const deliveryId = `crash-${n}`;
          inFlight++;
          try {
            const res = await deliver(deliveryId, n);
            const body = (await res.json()) as { runId?: string };
            if ((res.status === 200 || res.status === 202) && body.runId) {
              acknowledged.push({ deliveryId, runId: body.runId, status: res.status });
            } else {
              refused.set(res.status, (refused.get(res.status) ?? 0) + 1);
            }
          } catch {
            failed++; // the connection died with the server: never acknowledged
          } finally {
            inFlight--;
          }
        }
      };
      const streamStart = Date.now();
      const senders = Array.from({ length: SENDERS }, sender);
      const ready = await until(
        () =>
          Date.now() - streamStart >= STREAM_MS &&
          acknowledged.length >= MIN_ACKNOWLEDGED &&
          inFlight > 0,
        60_000,
        5,
      );
      expect(
        ready,
        `the stream got ${acknowledged.length} acknowledgements in 60 s (refused: ${JSON.stringify([...refused])})`,
      ).toBe(true);

      // 3. SIGKILL the postmaster and the app at once, with deliveries in flight.
      const postmaster = postmasterOf(clusterDir);
      expect(postmaster, "postmaster.pid names the embedded server").not.toBeNull();
      stopping = true;
      const inFlightAtKill = inFlight;
      const ackedAtKill = acknowledged.length;
      process.kill(postmaster!.pid, "SIGKILL");
      first.signal("SIGKILL");
      const killedAt = Date.now();
      expect(await first.exited).toMatchObject({ signal: "SIGKILL" });
      await Promise.all(senders);
      expect(await until(() => !processAlive(postmaster!.pid), 10_000)).toBe(true);
      // Answers that reached the client before the kill landed count too.
      const acked = [...acknowledged];
      expect(acked.length).toBeGreaterThanOrEqual(MIN_ACKNOWLEDGED);
      expect(new Set(acked.map((a) => a.runId)).size).toBe(acked.length);
      const logBefore = statSync(logFile).size;

      // 4. Restart on the same data directory: the stale pid file is noticed and PostgreSQL
      // starts with crash recovery (replaying the WAL).
      const restartedAt = Date.now();
      const second = startServer(port, dataDir);
      servers.push(second);
      await waitHealthy(`${base}/api/health`, second, 180_000, BOOT_FAILED);
      const recoveryMs = Date.now() - restartedAt;
      const log = readFileSync(logFile, "utf8").slice(logBefore);
      expect(log, "PostgreSQL's log after the restart").toMatch(
        /not properly shut down; automatic recovery in progress/,
      );
      expect(log).toMatch(/redo (done|starts)/);
      // PostgreSQL's own share of the restart: from the restart to accepting connections.
      const readyAt =
        /^(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}) UTC .*ready to accept connections/m.exec(log);
      const postgresReadyMs = readyAt
        ? Date.parse(`${readyAt[1]!.replace(" ", "T")}Z`) - restartedAt
        : null;
      const redo = /redo done at .*elapsed: ([\d.]+) s/.exec(log);

      // 5. Every acknowledged run is there, its delivery recorded once, its start ledgered.
      const db = await embeddedClient(dataDir);
      try {
        for (const setting of ["fsync", "synchronous_commit", "full_page_writes"]) {
          const { rows } = await db.query<Record<string, string>>(`SHOW ${setting}`);
          expect(rows[0]?.[setting], setting).toBe("on");
        }
        const runIds = acked.map((a) => a.runId);
        const runs = await db.query<{ id: string; status: string; workflowId: string }>(
          `SELECT id::text, status::text, "workflowId"::text FROM "Run" WHERE id = ANY($1::uuid[])`,
          [runIds],
        );
        const runById = new Map(runs.rows.map((r) => [r.id, r]));
        const missing = acked.filter((a) => !runById.has(a.runId));
        expect(missing, "acknowledged runs missing after the crash").toEqual([]);
        for (const a of acked) {
          expect(runById.get(a.runId)?.workflowId).toBe(workflow.id);
          // A 200 answered the run's end: that end was committed before the answer.
          if (a.status === 200) expect(runById.get(a.runId)?.status, a.runId).toBe("succeeded");
        }

        const deliveries = await db.query<{ deliveryId: string; n: number; runIds: string[] }>(
          `SELECT "deliveryId", count(*)::int AS n, array_agg("runId"::text) AS "runIds"
             FROM "WebhookDelivery" WHERE "workflowId" = $1::uuid AND "deliveryId" = ANY($2::text[])
            GROUP BY "deliveryId"`,
          [workflow.id, acked.map((a) => a.deliveryId)],
        );
        const deliveryById = new Map(deliveries.rows.map((d) => [d.deliveryId, d]));
        for (const a of acked) {
          expect(deliveryById.get(a.deliveryId), a.deliveryId).toMatchObject({
            n: 1,
            runIds: [a.runId],
          });
        }

        const ledgered = await db.query<{ subjectId: string }>(
          `SELECT e."subjectId" FROM "AuditEntry" e JOIN "Workflow" w ON w."workspaceId" = e."workspaceId"
            WHERE w.id = $1::uuid AND e.action = 'run.start' AND e."subjectId" = ANY($2::text[])`,
          [workflow.id, runIds],
        );
        const starts = new Set(ledgered.rows.map((r) => r.subjectId));
        expect(
          acked.filter((a) => !starts.has(a.runId)),
          "acknowledged runs without their run.start ledger entry",
        ).toEqual([]);
      } finally {
        await db.end();
      }

      // The whole ledger verifies from its genesis (the session survived the crash too).
      const verified = await query<{ ok: boolean; entries: number; message?: string }>(
        api,
        "audit.verify",
      );
      expect(verified, verified.message).toMatchObject({ ok: true });
      expect(verified.entries).toBeGreaterThanOrEqual(acked.length);

      // A redelivery of an acknowledged delivery id is a replay, refused; a new one runs.
      const replayed = await deliver(acked[0]!.deliveryId, ++seq);
      expect(replayed.status).toBe(409);
      const fresh = await deliver(`crash-after-${seq}`, ++seq);
      expect(fresh.status).toBe(200);
      expect(await fresh.json()).toMatchObject({
        status: "succeeded",
        output: { doubled: seq * 2 },
      });

      // 6. A graceful stop: the server exits, then the embedded PostgreSQL it started is gone.
      const stoppedAt = Date.now();
      const restartedPostmaster = postmasterOf(clusterDir);
      expect(await second.stop("SIGTERM", 30_000)).toEqual({ code: 0, signal: null });
      expect(
        await until(() => postmasterOf(clusterDir) === null, 30_000),
        "postmaster.pid removed after the server stopped",
      ).toBe(true);
      expect(processAlive(restartedPostmaster!.pid)).toBe(false);

      const figures = {
        acknowledgedBeforeKill: ackedAtKill,
        acknowledged: acked.length,
        answered200: acked.filter((a) => a.status === 200).length,
        answered202: acked.filter((a) => a.status === 202).length,
        inFlightAtKill,
        failedRequests: failed,
        refused: Object.fromEntries(refused),
        streamMs: killedAt - streamStart,
        restartToHealthyMs: recoveryMs,
        postgresReadyMs,
        walRedoS: redo ? Number(redo[1]) : null,
        gracefulStopMs: Date.now() - stoppedAt,
      };
      console.log(`crash-consistency figures: ${JSON.stringify(figures)}`);
      testInfo.annotations.push({ type: "figures", description: JSON.stringify(figures) });
    } finally {
      await api?.dispose();
      for (const s of servers) {
        const out = s.output();
        if (out)
          await testInfo.attach(`${s.label} output`, { body: out, contentType: "text/plain" });
        await s.stop("SIGTERM", 30_000);
        s.killGroup();
      }
      // The server stops the PostgreSQL it started; whatever is left (a failure) is stopped here.
      await until(() => {
        const pm = postmasterOf(clusterDir);
        return !pm || !processAlive(pm.pid);
      }, 30_000);
      await stopLeftoverPostmaster(clusterDir);
      try {
        await testInfo.attach("postgres.log", {
          body: readFileSync(logFile, "utf8"),
          contentType: "text/plain",
        });
      } catch {
        /* never started */
      }
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
