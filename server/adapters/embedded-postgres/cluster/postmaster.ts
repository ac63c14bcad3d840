/**
 * The server process: initialising the cluster (initdb, the password given through a file only
 * the server user reads), launching `postgres` with the durability and listening settings on its
 * command line, waiting until it accepts connections, and finding a running one through
 * `postmaster.pid`.
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
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { Binaries } from "./binaries";
import { EmbeddedPostgresError } from "./error";
import { readPassword, rmQuiet, rotateLog, tail, type Paths } from "./files";
import { alive, sleep } from "./process";
import { reachable, SUPERUSER, type ServerUser } from "./server-user";

/** The server running on `clusterDir` per its `postmaster.pid`, if its process lives. */
export function runningServer(clusterDir: string): { pid: number; port: number } | null {
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

export function removeStalePidFile(clusterDir: string) {
  const file = path.join(clusterDir, "postmaster.pid");
  if (existsSync(file) && !runningServer(clusterDir)) rmQuiet(file);
}

export function initialise(p: Paths, bins: Binaries, user: ServerUser | null) {
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

export function launch(p: Paths, bins: Binaries, user: ServerUser | null, port: number) {
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

export async function waitReady(
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
