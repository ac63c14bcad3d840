/**
 * `code.python`: Python 3 (Pyodide, the standard library only) in a separate OS process per call,
 * never inside the server's. Pyodide inside Node is no security boundary (Python reaches the host's
 * JavaScript), so the boundary is the process, started by `unshare(1)` in fresh network, mount,
 * PID, IPC and UTS namespaces: no network (only a loopback that is down), a root directory that
 * holds only the system's programs and libraries (read-only), Pyodide and the worker script — not
 * the app, not the data directory, not `/etc`, not `/proc` —, an unprivileged user (`nobody`) with
 * no capabilities and `no_new_privs` when the server runs as root (a user namespace otherwise), an
 * empty environment, and Node with code generation from strings disallowed. Where the kernel or
 * the machine refuses any of it, `code.python` is disabled with a clear error, never run without.
 *
 * One call per process, never reused: a warm pool of fresh processes that have loaded Pyodide
 * from a memory snapshot (made once, cached on disk per Pyodide version and worker) waits for one
 * task each; after its answer the process exits and the pool starts another. Limits: the deadline
 * sets Pyodide's interrupt buffer inside the process, and the process is killed `GRACE_MS` after
 * it if that did not end the call; the WebAssembly memory cannot grow past `memoryMb` over its
 * size at the call's start (Python raises MemoryError), and a watchdog here kills the process
 * whose resident memory passes that plus a margin; caps on the result's JSON, the log lines and
 * the bytes read from the process.
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BlockRuntime } from "@/server/engine/ports";
import {
  codeBlockRuntime,
  MAX_OUTPUT_CHARS,
  type CodeAnswer,
  type CodeTask,
} from "../code-runtime";

/** After the deadline, the interrupt's grace before the process is killed. */
export const GRACE_MS = 500;
/** Resident memory allowed over the process's at ready time, beyond the call's `memoryBytes`. */
const RSS_MARGIN_BYTES = 128 * 1024 * 1024;
const WATCHDOG_TICK_MS = 50;
/** A cold Pyodide start (the snapshot) may take this long on a busy machine. */
const SNAPSHOT_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 60_000;
const NOBODY = 65534;

export type PythonTask = Omit<CodeTask, "stackBytes" | "seed" | "nowMs">;

export interface PythonSandboxOptions {
  /**
   * Fresh processes kept loaded and waiting. Default 2: a start takes 1-2 s of a core, so one
   * spare runs out at one call per second; each waiting process holds ~200 MB.
   */
  warm?: number;
  /** Processes alive at once (warm, starting and running). Default warm + 2. */
  maxProcesses?: number;
  /** Where the snapshot is cached. Default `<tmpdir>/trustflow-python-<uid>`. */
  cacheDir?: string;
  /** The app root (for the worker script and Pyodide). Default `process.cwd()`. */
  appRoot?: string;
}

export interface PythonSandbox {
  run(task: PythonTask, signal?: AbortSignal): Promise<CodeAnswer>;
  /** Why Python is disabled here, or undefined when it runs (checks once, making the snapshot). */
  unavailable(): Promise<string | undefined>;
  /**
   * Prepares for the first call ahead of it: the checks and the snapshot (`unavailable`), then
   * the warm pool's processes. Why Python is disabled here, or undefined once the pool starts.
   */
  warmUp(): Promise<string | undefined>;
  /** Processes started so far (the snapshot's included). */
  processesStarted(): number;
  /** Loaded processes waiting for a call now. */
  warmProcesses(): number;
  close(): Promise<void>;
}

/** A started sandbox process. */
interface Child {
  proc: ChildProcessWithoutNullStreams;
  /** Resolves with the answer line after `ready`; rejects if the process ends first. */
  ready: Promise<void>;
  nextLine(): Promise<string | undefined>;
  exited: Promise<void>;
  stderrTail(): string;
  dead: boolean;
  /** Killed for writing more than an answer may hold. */
  overflowed: boolean;
}

interface Launch {
  unshare: string;
  flags: string[];
  drop: string[];
  rootDir: string;
  pyodideDir: string;
  workerFile: string;
  nodeDir: string;
}

/** Mounts the sandbox's root inside the new mount namespace, then runs the command in it. */
const LAUNCH_SCRIPT = `set -eu
R="$1"; PYO="$2"; WORKER="$3"; SNAP="$4"; NODEDIR="$5"; shift 5
mount -t tmpfs -o size=4m,mode=0755 tf-python "$R"
for d in usr lib lib64 lib32 bin sbin; do
  if [ -L "/$d" ]; then ln -s "$(readlink "/$d")" "$R/$d"
  elif [ -d "/$d" ]; then mkdir "$R/$d"; mount --bind "/$d" "$R/$d"; mount -o remount,bind,ro "$R/$d"
  fi
done
case "$NODEDIR" in /usr/*|/bin/*|/lib/*) ;; *) mkdir -p "$R$NODEDIR"; mount --bind "$NODEDIR" "$R$NODEDIR"; mount -o remount,bind,ro "$R$NODEDIR";; esac
mkdir -p "$R/etc" "$R/dev" "$R/sandbox/pyodide" "$R/tmp"
if [ -f /etc/ld.so.cache ]; then touch "$R/etc/ld.so.cache"; mount --bind /etc/ld.so.cache "$R/etc/ld.so.cache"; fi
for f in null zero random urandom; do touch "$R/dev/$f"; mount --bind "/dev/$f" "$R/dev/$f"; done
mount --bind "$PYO" "$R/sandbox/pyodide"; mount -o remount,bind,ro "$R/sandbox/pyodide"
touch "$R/sandbox/worker.mjs" "$R/sandbox/snapshot.bin"
mount --bind "$WORKER" "$R/sandbox/worker.mjs"
if [ -s "$SNAP" ]; then mount --bind "$SNAP" "$R/sandbox/snapshot.bin"; fi
mount -o remount,ro "$R"
cd "$R"
exec chroot "$R" "$@"
`;

function findTool(name: string): string | undefined {
  for (const dir of ["/usr/bin", "/bin", "/usr/sbin", "/sbin"]) {
    // Run-time lookups of system tools: not files of the build (no output tracing).
    const file = path.join(/*turbopackIgnore: true*/ dir, name);
    if (fs.existsSync(/*turbopackIgnore: true*/ file)) return file;
  }
  return undefined;
}

/** A private directory for the snapshot: ours, not a link, not writable by others. */
function privateDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
  const st = fs.lstatSync(dir);
  const uid = process.getuid?.() ?? 0;
  if (!st.isDirectory() || st.uid !== uid || (st.mode & 0o022) !== 0)
    return fs.mkdtempSync(path.join(os.tmpdir(), "trustflow-python-"));
  return dir;
}

/** `pid` and its descendants (the sandboxed Node runs as another user, so it outlives `unshare`). */
function treeOf(pid: number): number[] {
  const pids = [pid];
  try {
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    for (const c of children ? children.split(/\s+/) : []) pids.push(...treeOf(Number(c)));
  } catch {
    // Gone.
  }
  return pids;
}

/** Kills the sandbox's whole process tree (the Node process is its PID namespace's init). */
function killTree(proc: ChildProcessWithoutNullStreams) {
  if (proc.pid === undefined) return;
  for (const pid of treeOf(proc.pid).reverse()) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // Gone.
    }
  }
}

/** A waiting spare does not keep the server's process alive (its stdin closing ends it). */
function setRef(child: Child, on: boolean) {
  const p = child.proc;
  for (const h of [p, p.stdin, p.stdout, p.stderr] as unknown as { ref?(): void; unref?(): void }[])
    if (on) h.ref?.();
    else h.unref?.();
}

/** The resident memory of `pid` and its descendants (bytes; 0 once gone). */
function rssOfTree(pid: number): number {
  let total = 0;
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    if (m) total += Number(m[1]) * 1024;
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").trim();
    for (const c of children ? children.split(/\s+/) : []) total += rssOfTree(Number(c));
  } catch {
    // Gone.
  }
  return total;
}

export function createPythonSandbox(opts: PythonSandboxOptions = {}): PythonSandbox {
  const appRoot = opts.appRoot ?? /*turbopackIgnore: true*/ process.cwd();
  const warm = Math.max(1, opts.warm ?? 2);
  const maxProcesses = Math.max(warm + 1, opts.maxProcesses ?? warm + 2);
  let started = 0;
  let closed = false;
  let setup: Promise<{ launch: Launch; snapshot: string } | { disabled: string }> | undefined;
  const alive = new Set<Child>();
  const spares: Child[] = [];
  let booting = 0;
  const waiters: { resolve: (c: Child) => void; reject: (e: Error) => void }[] = [];
  // Each process is the init of its own PID namespace (which ignores SIGINT and SIGTERM) under
  // an `unshare` that ignores them too: a Ctrl-C to the server's process group ends neither.
  // When this process exits through `process.exit` or an empty event loop, its sandbox
  // processes are killed with it, synchronously. (Not enough alone: `npm start` with warm
  // processes still failed to exit on Ctrl-C in the fresh-start e2e, which is why the prewarm
  // is off by default; the cause is still open.)
  let exitHook: (() => void) | undefined;
  const killAllOnExit = () => {
    if (exitHook) return;
    exitHook = () => {
      for (const c of alive) killTree(c.proc);
    };
    process.once("exit", exitHook);
  };

  function launchArgs(l: Launch, mode: "serve" | "snapshot" | "probe", snapshot: string): string[] {
    const node = [
      process.execPath,
      "--disallow-code-generation-from-strings",
      "--max-old-space-size=256",
      // One call per process: V8's optimising tier-up of Pyodide's WebAssembly (hot functions
      // recompiled by TurboFan while the snapshot is restored) never pays off in a process that
      // runs one call, and cost ~40% of a start's CPU (0.6-0.8 s); the baseline compiler's code
      // runs a short call as fast (bench/RESULTS.md, code-python).
      "--liftoff-only",
      "/sandbox/worker.mjs",
      mode,
      "/sandbox/pyodide",
      "/sandbox/snapshot.bin",
    ];
    const command = mode === "probe" ? ["/usr/bin/env", "-i", "true"] : node;
    return [
      ...l.flags,
      "/bin/sh",
      "-c",
      LAUNCH_SCRIPT,
      "tf-python",
      l.rootDir,
      l.pyodideDir,
      l.workerFile,
      snapshot,
      l.nodeDir,
      ...l.drop,
      ...command,
    ];
  }

  function startChild(l: Launch, mode: "serve" | "snapshot" | "probe", snapshot: string): Child {
    started++;
    killAllOnExit();
    const proc = spawn(l.unshare, launchArgs(l, mode, snapshot), {
      // Nothing of the server's environment.
      env: {} as NodeJS.ProcessEnv,
      cwd: "/",
      stdio: "pipe",
    });
    let stderr = "";
    proc.stderr.setEncoding("utf8");
    proc.stderr.on("data", (d: string) => (stderr = (stderr + d).slice(-4000)));
    let buffered = "";
    let ended = false;
    const pending: ((line: string | undefined) => void)[] = [];
    const lines: string[] = [];
    let bytes = 0;
    const limit = 2 * MAX_OUTPUT_CHARS + 2 * 1024 * 1024;
    if (mode !== "snapshot") {
      proc.stdout.setEncoding("utf8");
      proc.stdout.on("data", (d: string) => {
        bytes += d.length;
        if (bytes > limit) {
          child.overflowed = true;
          killTree(proc);
          return;
        }
        buffered += d;
        let i;
        while ((i = buffered.indexOf("\n")) >= 0) {
          const line = buffered.slice(0, i);
          buffered = buffered.slice(i + 1);
          const p = pending.shift();
          if (p) p(line);
          else lines.push(line);
        }
      });
    }
    const exited = new Promise<void>((resolve) => {
      proc.on("close", () => {
        ended = true;
        child.dead = true;
        alive.delete(child);
        for (const p of pending.splice(0)) p(undefined);
        resolve();
      });
      proc.on("error", () => proc.emit("close"));
    });
    proc.stdin.on("error", () => {});
    const nextLine = () =>
      lines.length
        ? Promise.resolve(lines.shift())
        : ended
          ? Promise.resolve(undefined)
          : new Promise<string | undefined>((resolve) => pending.push(resolve));
    const child: Child = {
      proc,
      nextLine,
      exited,
      stderrTail: () => stderr.trim().split("\n").slice(-3).join(" | "),
      dead: false,
      overflowed: false,
      ready: Promise.resolve(),
    };
    alive.add(child);
    if (mode === "serve") {
      child.ready = (async () => {
        const timer = setTimeout(() => killTree(proc), READY_TIMEOUT_MS);
        const line = await nextLine();
        clearTimeout(timer);
        if (line !== '{"ready":true}')
          throw new Error(
            `the Python process did not start (${child.stderrTail() || `exit ${proc.exitCode ?? proc.signalCode}`})`,
          );
      })();
      child.ready.catch(() => killTree(proc));
    }
    return child;
  }

  /** Checks the sandbox can be built here, and makes (or finds) the snapshot. Once. */
  async function prepare(): Promise<{ launch: Launch; snapshot: string } | { disabled: string }> {
    if (process.platform !== "linux") return { disabled: "it needs Linux namespaces" };
    const unshare = findTool("unshare");
    const setpriv = findTool("setpriv");
    if (!unshare || !setpriv || !findTool("prlimit") || !findTool("chroot") || !findTool("mount"))
      return {
        disabled: "util-linux (unshare, setpriv, prlimit, mount) and coreutils (chroot) are needed",
      };
    const root = process.getuid?.() === 0;
    const pyodideDir = path.join(appRoot, "node_modules", "pyodide");
    const workerFile = path.join(
      appRoot,
      "server",
      "adapters",
      "code",
      "python",
      "python-worker.mjs",
    );
    if (!fs.existsSync(path.join(pyodideDir, "pyodide.mjs")) || !fs.existsSync(workerFile))
      return { disabled: "Pyodide or the sandbox's worker script is missing" };
    const cacheDir = privateDir(
      opts.cacheDir ?? path.join(os.tmpdir(), `trustflow-python-${process.getuid?.() ?? 0}`),
    );
    const rootDir = path.join(cacheDir, "root");
    fs.mkdirSync(rootDir, { recursive: true, mode: 0o755 });
    const base = [
      "--net",
      "--mount",
      "--pid",
      "--ipc",
      "--uts",
      "--fork",
      "--kill-child=SIGKILL",
      "--propagation=private",
    ];
    const launch: Launch = {
      unshare,
      flags: root ? base : ["--user", "--map-root-user", ...base],
      // Inside the new root: no capabilities, none to regain, and (as root) the user nobody.
      drop: [
        // Tasks of the sandbox's user, at most (a fork bomb), no core dumps, few files.
        "/usr/bin/prlimit",
        "--nproc=256",
        "--core=0",
        "--nofile=256",
        // CPU seconds: kills a process its server can no longer kill (the server died mid-call).
        "--cpu=120",
        "--",
        "/usr/bin/setpriv",
        ...(root ? [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, "--clear-groups"] : []),
        "--no-new-privs",
        "--inh-caps=-all",
        "--bounding-set=-all",
        "--",
      ],
      rootDir,
      pyodideDir,
      workerFile,
      nodeDir: path.dirname(path.dirname(fs.realpathSync(process.execPath))),
    };
    const probe = startChild(launch, "probe", "/nonexistent");
    await probe.exited;
    if (probe.proc.exitCode !== 0)
      return {
        disabled: `the kernel refused its isolation (namespaces, a private root or the user switch): ${probe.stderrTail() || `exit ${probe.proc.exitCode}`}`,
      };
    const version = (
      JSON.parse(fs.readFileSync(path.join(pyodideDir, "package.json"), "utf8")) as {
        version: string;
      }
    ).version;
    // A snapshot holds the paths Pyodide was loaded from: one made for another checkout (or
    // another worker file) must not be reused, or the first call never gets an answer.
    const hash = crypto
      .createHash("sha256")
      .update(fs.readFileSync(workerFile))
      .update(`\0${path.resolve(pyodideDir)}\0${path.resolve(workerFile)}`)
      .digest("hex")
      .slice(0, 12);
    const snapshot = path.join(cacheDir, `pyodide-${version}-${hash}.snapshot`);
    if (!fs.existsSync(snapshot)) {
      const maker = startChild(launch, "snapshot", "/nonexistent");
      const chunks: Buffer[] = [];
      let size = 0;
      maker.proc.stdout.on("data", (d: Buffer) => {
        size += d.length;
        if (size > 256 * 1024 * 1024) killTree(maker.proc);
        else chunks.push(d);
      });
      const timer = setTimeout(() => killTree(maker.proc), SNAPSHOT_TIMEOUT_MS);
      await maker.exited;
      clearTimeout(timer);
      if (maker.proc.exitCode !== 0 || size < 1024 * 1024)
        return {
          disabled: `Pyodide did not start in its sandbox: ${maker.stderrTail() || `exit ${maker.proc.exitCode}`}`,
        };
      const tmp = `${snapshot}.${process.pid}.tmp`;
      fs.writeFileSync(tmp, Buffer.concat(chunks), { mode: 0o644 });
      fs.renameSync(tmp, snapshot);
    }
    return { launch, snapshot };
  }

  const ensure = () => (setup ??= prepare().catch((err: Error) => ({ disabled: err.message })));

  /** Starts processes until the warm pool (and the waiting calls) are covered. */
  function refill(l: Launch, snapshot: string) {
    while (
      !closed &&
      spares.length + booting < warm + waiters.length &&
      alive.size < maxProcesses
    ) {
      const child = startChild(l, "serve", snapshot);
      booting++;
      let served = false;
      child.ready.then(
        () => {
          served = true;
          booting--;
          const w = waiters.shift();
          if (w) w.resolve(child);
          else {
            setRef(child, false);
            spares.push(child);
          }
        },
        (err: Error) => {
          booting--;
          // One failed start fails one waiting call (no retry loop on a broken machine).
          waiters.shift()?.reject(err);
        },
      );
      // Every exit frees a place under `maxProcesses`: a call that found the pool full (the
      // processes of the calls just answered not yet reaped) waits for exactly this. Without it
      // a call could wait forever once the last of those processes ended (seen under load in
      // CI). A process that never started only makes room for calls still waiting.
      void child.exited.then(() => {
        const i = spares.indexOf(child);
        if (i >= 0) spares.splice(i, 1);
        if (served || waiters.length > 0) refill(l, snapshot);
      });
    }
  }

  async function acquire(l: Launch, snapshot: string): Promise<Child> {
    let child = spares.shift();
    while (child?.dead) child = spares.shift();
    if (child) {
      setRef(child, true);
      refill(l, snapshot);
      return child;
    }
    const got = new Promise<Child>((resolve, reject) => waiters.push({ resolve, reject }));
    refill(l, snapshot);
    const c = await got;
    refill(l, snapshot);
    return c;
  }

  const fail = (
    kind: "timeout" | "memory" | "output" | "internal",
    name: string,
    message: string,
  ): CodeAnswer => ({
    ok: false,
    kind,
    name,
    message,
    logs: [],
  });

  return {
    async unavailable() {
      const s = await ensure();
      return "disabled" in s ? s.disabled : undefined;
    },
    async warmUp() {
      const s = await ensure();
      if ("disabled" in s) return s.disabled;
      if (!closed) refill(s.launch, s.snapshot);
      return undefined;
    },
    async run(task, signal) {
      const s = await ensure();
      if ("disabled" in s)
        return fail(
          "internal",
          "SandboxUnavailable",
          `code.python is disabled on this server: ${s.disabled}.`,
        );
      if (closed) return fail("internal", "InternalError", "The Python sandbox is closed.");
      let child: Child;
      try {
        child = await acquire(s.launch, s.snapshot);
      } catch (err) {
        return fail(
          "internal",
          "InternalError",
          `The Python sandbox failed: ${(err as Error).message}`,
        );
      }
      let killedFor: "timeout" | "memory" | "cancelled" | undefined;
      const kill = (why: typeof killedFor) => {
        killedFor ??= why;
        killTree(child.proc);
      };
      const pid = child.proc.pid ?? 0;
      const rssCap = rssOfTree(pid) + task.memoryBytes + RSS_MARGIN_BYTES;
      const deadline = setTimeout(() => kill("timeout"), task.timeoutMs + GRACE_MS);
      const watchdog = setInterval(() => {
        if (rssOfTree(pid) > rssCap) kill("memory");
      }, WATCHDOG_TICK_MS);
      const onAbort = () => kill("cancelled");
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        child.proc.stdin.end(JSON.stringify(task) + "\n");
        const line = await child.nextLine();
        if (killedFor === "timeout")
          return fail(
            "timeout",
            "TimeoutError",
            `The code ran past its deadline of ${task.timeoutMs} ms; its process was killed.`,
          );
        if (killedFor === "memory")
          return fail(
            "memory",
            "MemoryError",
            `The code's process passed its memory cap (${Math.round(task.memoryBytes / 2 ** 20)} MiB) and was killed.`,
          );
        if (killedFor === "cancelled") return fail("internal", "AbortError", "Cancelled.");
        if (line === undefined)
          return child.overflowed
            ? fail(
                "output",
                "RangeError",
                "The code's process wrote more than its output allows and was killed.",
              )
            : fail(
                "internal",
                "InternalError",
                `The Python process ended without answering (${child.stderrTail() || `exit ${child.proc.exitCode}`}).`,
              );
        return parseAnswer(line);
      } finally {
        clearTimeout(deadline);
        clearInterval(watchdog);
        signal?.removeEventListener("abort", onAbort);
        if (!child.dead) killTree(child.proc);
      }
    },
    processesStarted: () => started,
    warmProcesses: () => spares.length,
    async close() {
      closed = true;
      if (exitHook) process.removeListener("exit", exitHook);
      for (const w of waiters.splice(0)) w.reject(new Error("closed"));
      const all = [...alive];
      for (const c of all) killTree(c.proc);
      await Promise.all(all.map((c) => c.exited));
    },
  };
}

/** The process's answer, checked: it is untrusted output. */
function parseAnswer(line: string): CodeAnswer {
  const bad: CodeAnswer = {
    ok: false,
    kind: "internal",
    name: "InternalError",
    message: "The Python process answered nonsense.",
    logs: [],
  };
  let a: Record<string, unknown>;
  try {
    a = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return bad;
  }
  const logs = Array.isArray(a.logs)
    ? a.logs.slice(0, 200).map((l) => String(l).slice(0, 2001))
    : [];
  if (a.ok === true && typeof a.resultJson === "string") {
    try {
      JSON.parse(a.resultJson);
    } catch {
      return bad;
    }
    if (a.resultJson.length > MAX_OUTPUT_CHARS + 16)
      return { ...bad, kind: "output", name: "RangeError", message: "The result is too large." };
    return { ok: true, resultJson: a.resultJson, logs };
  }
  const kinds = ["error", "timeout", "memory", "output", "internal"] as const;
  const kind = kinds.find((k) => k === a.kind);
  if (a.ok !== false || !kind) return bad;
  return {
    ok: false,
    kind,
    name: String(a.name ?? "Error").slice(0, 200),
    message: String(a.message ?? "").slice(0, 4000),
    logs,
  };
}

/** Room for a call waiting on a process that loads Pyodide (or, the first time, the snapshot). */
const START_ALLOWANCE_MS = 30_000;

/**
 * The `code.python` block runtime on `sandbox`. The sandbox answers a runaway call itself
 * (interrupt, then kill), with room for a process still loading Pyodide.
 */
export function codePythonRuntime(sandbox: () => PythonSandbox): BlockRuntime {
  return codeBlockRuntime(
    (call, signal) => sandbox().run(call, signal),
    GRACE_MS + START_ALLOWANCE_MS,
  );
}
