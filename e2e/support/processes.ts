/**
 * Process helpers for the specs that run servers of their own (crash-consistency, fresh-start):
 * spawn a command as the leader of its own process group, so that a failed assertion can take
 * the whole tree down (`process.kill(-pgid)`); collect its output; wait for a line or a health
 * check; stop it with a signal and a deadline; find the embedded PostgreSQL through its
 * `postmaster.pid` and connect to it with the password kept beside the data; copy the checkout
 * as a fresh clone would have it; copy a Turbopack build cache.
 */
import { spawn, spawnSync } from "node:child_process";
import {
  chmodSync,
  copyFileSync,
  existsSync,
  linkSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  renameSync,
  rmSync,
  symlinkSync,
} from "node:fs";
import net from "node:net";
import path from "node:path";
import pg from "pg";

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A command running as the leader of its own process group. */
export interface GroupProcess {
  readonly label: string;
  /** The leader's pid, which is also the group's id. */
  readonly pid: number;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its exit, once it happened. */
  exit(): Exit | null;
  readonly exited: Promise<Exit>;
  /** Its exit, waited for at most `timeoutMs`; null if it still runs then. */
  waitExit(timeoutMs: number): Promise<Exit | null>;
  /** Sends `sig` to every process of the group. */
  signal(sig: NodeJS.Signals): void;
  /**
   * The first match of `re` in its output; rejects when it exits first, or prints `failOn`
   * first (a fatal error after which it would keep running without ever printing `re`).
   */
  waitFor(re: RegExp, timeoutMs: number, failOn?: RegExp): Promise<RegExpMatchArray>;
  /**
   * Sends `sig` to the group and waits for the leader's exit; past `timeoutMs`, SIGKILLs the
   * group. Resolves with the leader's exit.
   */
  stop(sig: NodeJS.Signals, timeoutMs?: number): Promise<Exit>;
  /** SIGKILLs whatever of the group is left (after a failure). */
  killGroup(): void;
}

export function spawnGroup(
  label: string,
  command: string,
  args: string[],
  opts: { cwd?: string; env: Record<string, string | undefined> },
): GroupProcess {
  const child = spawn(command, args, {
    cwd: opts.cwd,
    // Next.js's types make NODE_ENV required in a ProcessEnv; a child's environment may lack it.
    env: opts.env as NodeJS.ProcessEnv,
    detached: true,
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (!child.pid) throw new Error(`${label}: could not spawn ${command}`);
  const pid = child.pid;
  let out = "";
  let exit: Exit | null = null;
  const listeners = new Set<() => void>();
  const onData = (chunk: Buffer) => {
    out += chunk.toString("utf8");
    for (const l of [...listeners]) l();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<Exit>((resolve) => {
    child.once("exit", (code, signal) => {
      exit = { code, signal };
      for (const l of [...listeners]) l();
      resolve(exit);
    });
  });
  const signalGroup = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig);
    } catch {
      /* the group is gone */
    }
  };
  const waitExit = async (timeoutMs: number) => {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), timeoutMs)));
    const first = await Promise.race([exited, late]);
    clearTimeout(timer);
    return first;
  };
  return {
    label,
    pid,
    output: () => out,
    exit: () => exit,
    exited,
    waitExit,
    signal: signalGroup,
    waitFor(re, timeoutMs, failOn) {
      return new Promise((resolve, reject) => {
        const done = () => {
          listeners.delete(check);
          clearTimeout(timer);
        };
        const check = () => {
          const m = re.exec(out);
          if (m) {
            done();
            resolve(m);
          } else if (failOn?.test(out)) {
            done();
            reject(new Error(`${label} failed before printing ${re}:\n${tail(out)}`));
          } else if (exit) {
            done();
            reject(
              new Error(
                `${label} exited (${exit.code ?? exit.signal}) before printing ${re}:\n${tail(out)}`,
              ),
            );
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(
            new Error(`${label} printed no ${re} within ${timeoutMs / 1000} s:\n${tail(out)}`),
          );
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
    async stop(sig, timeoutMs = 30_000) {
      if (exit) return exit;
      signalGroup(sig);
      if (!(await waitExit(timeoutMs))) signalGroup("SIGKILL");
      return exited;
    },
    killGroup: () => signalGroup("SIGKILL"),
  };
}

/** The last lines of a process's output, for error messages. */
export function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Whether any process of group `pgid` remains. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/** Whether `pid` runs; a zombie (exited, not yet reaped) does not. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== "EPERM") return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    return state !== "Z" && state !== "X";
  } catch {
    return false;
  }
}

/** The real uid `pid` runs as (from /proc), null when unknown. */
export function processUid(pid: number): number | null {
  try {
    const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** Resolves once `check()` is truthy (polling every `everyMs`); false past `timeoutMs`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 50,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

/**
 * Polls `url` until it answers 200; rejects when `proc` exits or prints `failOn` first, or past
 * `timeoutMs`.
 */
export async function waitHealthy(
  url: string,
  proc: GroupProcess,
  timeoutMs: number,
  failOn?: RegExp,
) {
  const deadline = Date.now() + timeoutMs;
  let last = "no answer";
  for (;;) {
    const exit = proc.exit();
    if (exit || failOn?.test(proc.output())) {
      const how = exit ? `exited (${exit.code ?? exit.signal})` : "failed";
      throw new Error(`${proc.label} ${how} before ${url} was healthy:\n${tail(proc.output())}`);
    }
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `${url} was not healthy within ${timeoutMs / 1000} s (${last}):\n${tail(proc.output())}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

// ---------------------------------------------------------------------------------------------
// The embedded PostgreSQL (server/adapters/embedded-postgres/cluster.ts's layout)

/** The server named by `<clusterDir>/postmaster.pid` (line 1: pid, line 4: port), if any. */
export function postmasterOf(clusterDir: string): { pid: number; port: number } | null {
  try {
    const lines = readFileSync(path.join(clusterDir, "postmaster.pid"), "utf8").split("\n");
    const pid = Number(lines[0]);
    const port = Number(lines[3]);
    return Number.isInteger(pid) && pid > 0 && Number.isInteger(port) ? { pid, port } : null;
  } catch {
    return null;
  }
}

/**
 * A client of database `database` on the embedded server under `dataDir`, as its superuser
 * (the password from `<dataDir>/postgres.password`, the port from `postmaster.pid`).
 */
export async function embeddedClient(dataDir: string, database = "trustflow"): Promise<pg.Client> {
  const server = postmasterOf(path.join(dataDir, "postgres"));
  if (!server) throw new Error(`No embedded PostgreSQL runs under ${dataDir}.`);
  const client = new pg.Client({
    host: "127.0.0.1",
    port: server.port,
    user: "postgres",
    password: readFileSync(path.join(dataDir, "postgres.password"), "utf8").trim(),
    database,
    application_name: "trustflow-e2e",
  });
  client.on("error", () => undefined);
  await client.connect();
  return client;
}

/**
 * After a failure: stops an embedded server still running on `clusterDir` (immediate shutdown,
 * then SIGKILL of its process group), so that no test leaves a server behind.
 */
export async function stopLeftoverPostmaster(clusterDir: string) {
  const server = postmasterOf(clusterDir);
  if (!server || !processAlive(server.pid)) return;
  try {
    process.kill(server.pid, "SIGQUIT");
  } catch {
    return;
  }
  if (await until(() => !processAlive(server.pid), 10_000)) return;
  try {
    process.kill(-server.pid, "SIGKILL"); // launched detached: the postmaster leads its group
  } catch {
    /* gone */
  }
}

// ---------------------------------------------------------------------------------------------
// A fresh clone

/**
 * Copies the checkout at `root` into `dest` as a clone has it: the files git lists (tracked,
 * and untracked but not ignored, so that uncommitted work is included; no .data, .next or
 * generated client), with `node_modules` hard-linked (`cp -al`: as `npm install` would have
 * made it, in seconds; a symlink to it breaks Turbopack).
 */
export function cloneCheckout(root: string, dest: string) {
  const listed = spawnSync(
    "git",
    ["ls-files", "-z", "--cached", "--others", "--exclude-standard"],
    {
      cwd: root,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  if (listed.status !== 0) throw new Error(`git ls-files failed: ${listed.stderr}`);
  for (const file of listed.stdout.split("\0").filter(Boolean)) {
    const from = path.join(root, file);
    const to = path.join(dest, file);
    let stat;
    try {
      stat = lstatSync(from);
    } catch {
      continue; // deleted in the working tree, not yet committed
    }
    mkdirSync(path.dirname(to), { recursive: true });
    if (stat.isSymbolicLink()) {
      symlinkSync(readlinkSync(from), to);
    } else if (stat.isFile()) {
      copyFileSync(from, to);
      chmodSync(to, stat.mode & 0o777);
    }
  }
  const linked = spawnSync(
    "cp",
    ["-al", path.join(root, "node_modules"), path.join(dest, "node_modules")],
    { encoding: "utf8" },
  );
  if (linked.status !== 0) throw new Error(`cp -al node_modules failed: ${linked.stderr}`);
}

// ---------------------------------------------------------------------------------------------
// Turbopack's filesystem cache (Next.js 16 keeps it in `<distDir>/cache/turbopack/<version>/`)

/** Cache files Turbopack never rewrites in place: hard-linked; the others are copied. */
const IMMUTABLE_CACHE_FILE = /\.(sst|blob|meta|del)$/;

/** The versions of a Turbopack cache directory that hold a committed cache. */
export function turbopackCacheVersions(cacheDir: string): string[] {
  try {
    return readdirSync(cacheDir).filter(
      (v) => !v.endsWith(".seeding") && existsSync(path.join(cacheDir, v, "CURRENT")),
    );
  } catch {
    return [];
  }
}

/**
 * Copies Turbopack's filesystem cache `from` (a `…/cache/turbopack` directory) `to` another, as
 * Next.js seeds one git worktree's cache from another's (next/dist/lib/turbopack-cache-seed.js):
 * immutable files hard-linked, the others (CURRENT, LOG) copied, so that neither side changes
 * the other's. It is a cache: the build that finds it still reads every source, compiles every
 * module whose inputs differ and writes every output. Returns the versions copied.
 */
export function copyTurbopackCache(from: string, to: string): string[] {
  const copy = (src: string, dst: string) => {
    if (lstatSync(src).isDirectory()) {
      mkdirSync(dst, { recursive: true });
      for (const name of readdirSync(src)) copy(path.join(src, name), path.join(dst, name));
    } else if (IMMUTABLE_CACHE_FILE.test(src)) {
      try {
        linkSync(src, dst);
      } catch {
        copyFileSync(src, dst); // another filesystem
      }
    } else {
      copyFileSync(src, dst);
    }
  };
  const versions = turbopackCacheVersions(from);
  for (const version of versions) {
    const dst = path.join(to, version);
    const tmp = `${dst}.seeding`;
    rmSync(tmp, { recursive: true, force: true });
    copy(path.join(from, version), tmp);
    rmSync(dst, { recursive: true, force: true });
    renameSync(tmp, dst);
  }
  return versions;
}
