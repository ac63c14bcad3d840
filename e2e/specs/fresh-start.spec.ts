/**
 * `npm start` on a fresh clone (issue 12, "Durable by default"): the first start builds the
 * studio, starts the embedded PostgreSQL under `.data/` (as the `postgres` user when run as
 * root, as CI does), seeds the demo workspace and prints the banner; `npm run worker` joins that
 * server; Ctrl-C stops everything, the database last.
 *
 * The clone is a copy of this checkout's files as git lists them, in a temporary directory, with
 * node_modules hard-linked; the spec runs its own `npm start`, not the suite's server.
 *
 * The clone's first start runs a whole `next build`, on a machine whose cores the other specs
 * share: cold, that took 3 of the suite's 10 minutes. Its Turbopack cache is seeded, after the
 * clone is checked to have no `.next`, from the one this spec kept from its last run (the same
 * build of `npm start`) or else from the suite's own build. That is what a developer's second
 * clone gets from Next.js (it seeds a git worktree's cache from another's): the build still runs,
 * reads every source, compiles whatever differs and writes every output; the spec checks that
 * the start said it built. E2E_FRESH_START_COLD=1 starts without any cache, as a real first
 * clone does.
 */
import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { APIRequestContext } from "@playwright/test";
import { expect, signInViaApi, test } from "../fixtures";
import {
  cloneCheckout,
  copyTurbopackCache,
  embeddedClient,
  freePort,
  groupAlive,
  postmasterOf,
  processAlive,
  processUid,
  spawnGroup,
  stopLeftoverPostmaster,
  turbopackCacheVersions,
  until,
  type GroupProcess,
} from "../support/processes";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");
/** The suite's own build (scripts/test.mjs builds into NEXT_DIST_DIR, by default `.next`). */
const SUITE_DIST = path.join(ROOT, process.env.NEXT_DIST_DIR || ".next");
/** The clone's Turbopack cache, kept for the next run where `next build` keeps its own cache. */
const KEPT_CACHE = path.join(SUITE_DIST, "cache", "fresh-start-turbopack");

/**
 * Seeds the clone's Turbopack cache (see the header); returns where from, or null (cold start).
 */
function seedBuildCache(clone: string): string | null {
  if (process.env.E2E_FRESH_START_COLD === "1") return null;
  const to = path.join(clone, ".next", "cache", "turbopack");
  for (const from of [KEPT_CACHE, path.join(SUITE_DIST, "cache", "turbopack")]) {
    if (copyTurbopackCache(from, to).length > 0) return path.relative(ROOT, from);
  }
  return null;
}

const demo = JSON.parse(readFileSync(path.join(ROOT, "prisma/demo-users.json"), "utf8")) as {
  workspace: { slug: string };
  users: Array<{ email: string; password: string; role: string }>;
};

/** A shell's environment as CI has it: no database, data directory or secrets configured. */
function freshEnv(port: number): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = {};
  for (const [name, value] of Object.entries(process.env)) {
    // npm's own variables (when the suite runs under `npm test`) and the suite's settings.
    // The demo history's size is the one setting kept: the suite sizes it down (scripts/test.mjs)
    // so that a first start's 20,000 runs, and their folding by the background consumers, do
    // not load the cores the other specs share; `npm run bench:seed` measures the full size.
    if (name === "TRUSTFLOW_DEMO_HISTORY_RUNS") {
      env[name] = value;
      continue;
    }
    if (/^(npm_|E2E_|TRUSTFLOW_|NEXTAUTH_)/.test(name)) continue;
    const suiteOnly = ["NEXT_DIST_DIR", "NEXT_PUBLIC_TRUSTFLOW_TEST_HOOKS"];
    if (
      ["DATABASE_URL", "NODE_ENV", "LOG_LEVEL", "PORT", "HOST", "INIT_CWD", ...suiteOnly].includes(
        name,
      )
    ) {
      continue;
    }
    env[name] = value;
  }
  return { ...env, PORT: String(port), HOST: "127.0.0.1", NEXT_TELEMETRY_DISABLED: "1" };
}

/** The uid of the `postgres` user, null when there is none. */
function postgresUid(): number | null {
  const r = spawnSync("id", ["-u", "postgres"], { encoding: "utf8" });
  return r.status === 0 ? Number(r.stdout.trim()) : null;
}

async function trpcQuery<T>(api: APIRequestContext, procedure: string): Promise<T> {
  const res = await api.get(`/api/trpc/${procedure}`);
  expect(res.ok(), `${procedure}: ${res.status()} ${await res.text()}`).toBe(true);
  return ((await res.json()) as { result: { data: { json: T } } }).result.data.json;
}

test.describe.configure({ mode: "serial" });

test.describe("fresh start", () => {
  test("npm start on a fresh clone brings up the embedded PostgreSQL; a worker joins it; Ctrl-C stops both", async ({
    playwright,
  }, testInfo) => {
    // The first start runs `next build` in the clone.
    test.setTimeout(15 * 60_000);
    const clone = mkdtempSync(path.join(os.tmpdir(), "trustflow-fresh-"));
    // A clone's directory is 0755 (mkdtemp's 0700 would hide it from the postgres user).
    chmodSync(clone, 0o755);
    const dataDir = path.join(clone, ".data");
    const clusterDir = path.join(dataDir, "postgres");
    let app: GroupProcess | undefined;
    let worker: GroupProcess | undefined;
    let api: APIRequestContext | undefined;
    try {
      cloneCheckout(ROOT, clone);
      for (const absent of [".data", ".next", ".trustflow-secret"]) {
        expect(existsSync(path.join(clone, absent)), `a fresh clone has no ${absent}`).toBe(false);
      }
      const seededFrom = seedBuildCache(clone);

      // 1. `npm start`: build, the embedded server, the app, the banner.
      const port = await freePort();
      const env = freshEnv(port);
      const startedAt = Date.now();
      app = spawnGroup("npm start", "npm", ["start"], { cwd: clone, env });
      const [, url] = await app.waitFor(
        /Trustflow is running at (\S+)/,
        12 * 60_000,
        // A failed build, database or boot: start.mjs (or the app server) reports it and stops.
        /The embedded PostgreSQL could not start|Failed to prepare server|did not become healthy|exited with/,
      );
      await app.waitFor(/Demo sign-ins/, 10_000);
      const startMs = Date.now() - startedAt;
      // The first start built the studio (a cache or not, `next build` ran to its end).
      expect(app.output()).toContain("Building the studio");
      expect(app.output()).toMatch(/Compiled successfully/);
      // Kept for the next run (the build is over: its cache is committed).
      const cache = path.join(clone, ".next", "cache", "turbopack");
      if (turbopackCacheVersions(cache).length > 0) {
        rmSync(KEPT_CACHE, { recursive: true, force: true });
        copyTurbopackCache(cache, KEPT_CACHE);
      }
      const banner =
        /Database: embedded PostgreSQL (\d+\.\d+) in (\S+) \(127\.0\.0\.1:(\d+)\)/.exec(
          app.output(),
        );
      expect(banner, `the banner names the embedded PostgreSQL:\n${app.output()}`).not.toBeNull();
      const [, version, where, pgPort] = banner!;
      expect(version).toMatch(/^18\./);
      expect(where).toBe(clusterDir);
      expect(readFileSync(path.join(clusterDir, "PG_VERSION"), "utf8").trim()).toBe("18");

      // The postmaster runs, on the port the banner names; as root, as the postgres user.
      const postmaster = postmasterOf(clusterDir);
      expect(postmaster, "postmaster.pid").not.toBeNull();
      expect(postmaster!.port).toBe(Number(pgPort));
      expect(processAlive(postmaster!.pid)).toBe(true);
      if (process.getuid?.() === 0) {
        const uid = postgresUid();
        expect(uid, "the postgres user exists").not.toBeNull();
        expect(uid).not.toBe(0);
        expect(processUid(postmaster!.pid), "the postmaster's uid").toBe(uid);
        expect(statSync(clusterDir).uid, "the cluster's owner").toBe(uid);
      } else {
        expect(processUid(postmaster!.pid)).toBe(process.getuid?.());
      }

      // The app answers; the demo workspace was seeded and its admin signs in.
      expect((await fetch(`http://127.0.0.1:${port}/api/health`)).status).toBe(200);
      const admin = demo.users.find((u) => u.role === "admin")!;
      api = await playwright.request.newContext({ baseURL: url });
      await signInViaApi(api, admin);
      const workspaces = await trpcQuery<Array<{ slug: string }>>(api, "workspace.mine");
      expect(workspaces.map((w) => w.slug)).toContain(demo.workspace.slug);

      // 2. `npm run worker` joins the running server (it never starts one).
      worker = spawnGroup("npm run worker", "npm", ["run", "worker"], { cwd: clone, env });
      const [line] = await worker.waitFor(/^\{.*"pg-boss worker started".*$/m, 120_000);
      const started = JSON.parse(line) as { pid: number; workerId: string };
      expect(started.workerId).toContain(`-${started.pid}-`);
      const db = await embeddedClient(dataDir);
      try {
        // Its heartbeat row, written through its own connection to the embedded server…
        const heartbeat = () =>
          db
            .query<{ kind: string }>(`SELECT kind FROM "WorkerHeartbeat" WHERE "workerId" = $1`, [
              started.workerId,
            ])
            .then((r) => r.rows[0]?.kind ?? null);
        await expect.poll(heartbeat, { timeout: 15_000 }).toBe("pgboss");
        // …and its pg-boss sessions, on the one server the app started.
        const sessions = await db.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE application_name = 'trustflow-pgboss' AND datname = 'trustflow'`,
        );
        expect(sessions.rows[0]!.n).toBeGreaterThan(0);
        expect(postmasterOf(clusterDir)?.pid).toBe(postmaster!.pid);

        // 3. Stop: the worker first (SIGTERM to it, as a process manager does: exit 0, its
        // heartbeat removed), then `npm start` with Ctrl-C (SIGINT to its process group).
        process.kill(started.pid, "SIGTERM");
        const workerExit = await worker.waitExit(30_000);
        expect(workerExit, `npm run worker's exit:\n${worker.output()}`).toEqual({
          code: 0,
          signal: null,
        });
        expect(await heartbeat()).toBeNull();
      } finally {
        await db.end();
      }

      const stoppingAt = Date.now();
      app.signal("SIGINT");
      expect(
        await until(() => app!.exit() !== null && !groupAlive(app!.pid), 30_000),
        `npm start and its children exit after Ctrl-C:\n${app.output()}`,
      ).toBe(true);
      expect(
        await until(() => postmasterOf(clusterDir) === null, 30_000),
        "postmaster.pid is removed",
      ).toBe(true);
      expect(processAlive(postmaster!.pid)).toBe(false);
      const stopMs = Date.now() - stoppingAt;

      const figures = {
        startMs,
        buildCache: seededFrom ?? "none (cold)",
        // start.mjs's own figure: from starting the database to a healthy app.
        readyAfterBuildS: Number(/ready in ([\d.]+) s/.exec(app.output())?.[1]),
        stopMs,
        postgres: version,
        npmStartExit: app.exit(),
      };
      console.log(`fresh-start figures: ${JSON.stringify(figures)}`);
      testInfo.annotations.push({ type: "figures", description: JSON.stringify(figures) });
    } finally {
      await api?.dispose();
      for (const p of [worker, app]) {
        if (!p) continue;
        await testInfo.attach(`${p.label} output`, { body: p.output(), contentType: "text/plain" });
        // After a failure: the whole group (npm, its shell, node, the app server) goes.
        if (!p.exit()) await p.stop("SIGINT", 30_000);
        p.killGroup();
      }
      await until(() => {
        const pm = postmasterOf(clusterDir);
        return !pm || !processAlive(pm.pid);
      }, 30_000);
      await stopLeftoverPostmaster(clusterDir);
      // The cluster's files belong to the postgres user: removable as root (or as ourselves).
      rmSync(clone, { recursive: true, force: true });
    }
  });
});
