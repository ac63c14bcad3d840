// The code.python sandbox's child process (see python-runtime.ts). Plain JavaScript, run by path
// as `node python-worker.mjs <mode> <pyodideDir> [snapshotFile]`, outside the Next.js bundles,
// inside the sandbox the parent builds (no network, a root holding only the system's programs
// and Pyodide, an unprivileged user, an empty environment). This process is the boundary, not
// Pyodide: Python inside Node can reach JavaScript, so what Python could do here is only what
// this process can.
//
// Modes:
// - `snapshot`: loads Pyodide cold and writes its memory snapshot (raw bytes) to stdout.
// - `serve`: loads Pyodide from the snapshot, writes `{"ready":true}` and a newline, reads one
//   task (one JSON line on stdin: { source, inputsJson, timeoutMs, memoryBytes, maxOutputBytes }),
//   writes its answer (one JSON line: { ok: true, resultJson, logs } or { ok: false, kind, name,
//   message, logs }) and exits. A process never runs a second task.
//
// Limits inside the process: the deadline sets Pyodide's interrupt buffer (SIGINT) from a timer
// thread, so Python raises KeyboardInterrupt (the parent kills the process after a grace if that
// does not end it); the WebAssembly memory cannot grow past its size at the task's start plus
// `memoryBytes` (growth is refused, Python raises MemoryError); log lines and the result's JSON
// are capped. Node runs with code generation from strings disallowed, so a Python route to the
// JavaScript `Function` constructor or `eval` fails; the `js`, `pyodide_js` and `pyodide` modules
// are not importable by the code (defence in depth: the process's isolation is the boundary).
import { isMainThread, Worker, workerData } from "node:worker_threads";
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

async function main() {
  const [mode, pyodideDir, snapshotFile] = process.argv.slice(2);
  const { loadPyodide } = await import(path.join(pyodideDir, "pyodide.mjs"));
  const quiet = () => {};
  const options = {
    indexURL: pyodideDir.endsWith("/") ? pyodideDir : pyodideDir + "/",
    jsglobals: {},
    env: { HOME: "/home/pyodide" },
    stdout: quiet,
    stderr: quiet,
  };
  if (mode === "snapshot") {
    const py = await loadPyodide({ ...options, _makeSnapshot: true });
    const snapshot = py.makeMemorySnapshot();
    process.stdout.write(snapshot, () => process.exit(0));
    return;
  }

  // The WebAssembly memory's growth, capped once the task is known (Pyodide's memory is the
  // module's own, so its maximum cannot be set from here: growth is refused instead, and the
  // interpreter's allocation fails with MemoryError).
  let growCap = Infinity;
  const realGrow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function grow(pages) {
    if (this.buffer.byteLength + pages * 65536 > growCap)
      throw new RangeError("WebAssembly memory cap");
    return realGrow.call(this, pages);
  };

  const py = await loadPyodide({ ...options, _loadSnapshot: fs.readFileSync(snapshotFile) });
  // Pyodide's bridge to Node's modules (its `os.system` spawns a shell through it): child
  // processes, sockets and threads are refused from here on.
  const hostRequire = globalThis.require;
  globalThis.require = (name) => {
    if (/child_process|worker_threads|cluster|net|http|dgram|dns|tls|inspector|vm/.test(name))
      throw new Error(`${name} is not available in the sandbox`);
    return hostRequire(name);
  };
  const ns = py.globals.get("dict")();
  py.runPython(DRIVER, { globals: ns });
  const runTask = ns.get("_tf_run");
  const interrupt = new Uint8Array(new SharedArrayBuffer(1));
  py.setInterruptBuffer(interrupt);
  const ctl = new Int32Array(new SharedArrayBuffer(8));
  const timer = new Worker(fileURLToPath(import.meta.url), { workerData: { ctl, interrupt } });
  await new Promise((resolve, reject) => {
    timer.once("online", resolve);
    timer.once("error", reject);
  });
  // Only now: an unreferenced thread still starting would let the process end early.
  timer.unref();

  process.stdout.write('{"ready":true}\n');
  const line = await readLine();
  let answer;
  try {
    const task = JSON.parse(line);
    growCap = py._module.HEAP8.buffer.byteLength + task.memoryBytes;
    Atomics.store(ctl, 0, Math.max(1, task.timeoutMs));
    Atomics.notify(ctl, 0);
    try {
      answer = runTask(task.source, task.inputsJson, task.maxOutputBytes);
    } finally {
      Atomics.store(ctl, 1, 1);
      Atomics.notify(ctl, 1);
    }
  } catch (err) {
    const message = String(err?.message ?? err);
    answer = JSON.stringify(
      /KeyboardInterrupt/.test(message)
        ? {
            ok: false,
            kind: "timeout",
            name: "TimeoutError",
            message: "The code ran past its deadline.",
            logs: [],
          }
        : /call stack/i.test(message)
          ? {
              ok: false,
              kind: "error",
              name: "RecursionError",
              message: "Maximum recursion depth exceeded (the interpreter's stack).",
              logs: [],
            }
          : {
              ok: false,
              kind: "internal",
              name: "InternalError",
              message: message.slice(-2000),
              logs: [],
            },
    );
  }
  process.stdout.write(answer + "\n", () => process.exit(0));
}

/** The first line on stdin (the task). */
function readLine() {
  return new Promise((resolve, reject) => {
    let text = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk) => {
      text += chunk;
      const end = text.indexOf("\n");
      if (end >= 0) {
        process.stdin.pause();
        resolve(text.slice(0, end));
      }
    });
    process.stdin.on("end", () => reject(new Error("no task")));
  });
}

// The Python side: runs one task and answers its JSON. The last expression's value, or what a
// top-level `return` returns (the code is then the body of a function), is the result; `inputs`
// is a copy of the step's inputs; `print` (stdout and stderr) lines are the logs.
const DRIVER = String.raw`
import sys, json, ast

_MAX_LINES = 200
_MAX_LINE = 2000


class _Lines:
    def __init__(self):
        self.lines = []
        self.buf = ""

    def write(self, s):
        s = str(s)
        n = len(s)
        i = 0
        while len(self.lines) < _MAX_LINES:
            j = s.find("\n", i)
            room = _MAX_LINE + 1 - len(self.buf)
            if j < 0:
                if room > 0:
                    self.buf += s[i : i + room]
                break
            if room > 0:
                self.buf += s[i : min(j, i + room)]
            self._push()
            i = j + 1
        return n

    def _push(self):
        line, self.buf = self.buf, ""
        if len(self.lines) < _MAX_LINES:
            self.lines.append(line if len(line) <= _MAX_LINE else line[:_MAX_LINE] + "\u2026")

    def flush(self):
        pass

    def finish(self):
        if self.buf:
            self._push()
        return self.lines


def _top_return(body):
    stack = list(body)
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Return):
            return True
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)):
            continue
        stack.extend(ast.iter_child_nodes(node))
    return False


def _line_of(tb):
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename == "<code>":
            line = tb.tb_lineno
        tb = tb.tb_next
    return line


def _fail(kind, name, message, out):
    return json.dumps({"ok": False, "kind": kind, "name": name, "message": message, "logs": out.finish()})


def _tf_run(source, inputs_json, max_out):
    out = _Lines()
    sys.stdout = sys.stderr = out
    try:
        inputs = json.loads(inputs_json)
        tree = ast.parse(source, "<code>")
        if _top_return(tree.body):
            fn = ast.FunctionDef(
                name="__tf_main",
                args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
                body=tree.body or [ast.Pass()],
                decorator_list=[],
            )
            call = ast.Call(func=ast.Name("__tf_main", ast.Load()), args=[], keywords=[])
            tree.body = [fn, ast.Assign(targets=[ast.Name("__tf_result", ast.Store())], value=call)]
        elif tree.body and isinstance(tree.body[-1], ast.Expr):
            last = tree.body[-1]
            tree.body[-1] = ast.Assign(targets=[ast.Name("__tf_result", ast.Store())], value=last.value)
        ast.fix_missing_locations(tree)
        scope = {"__name__": "__main__", "__builtins__": __builtins__, "inputs": inputs}
        exec(compile(tree, "<code>", "exec"), scope)
        result = scope.get("__tf_result")
        del scope
    except KeyboardInterrupt:
        return _fail("timeout", "TimeoutError", "The code ran past its deadline.", out)
    except MemoryError:
        return _fail("memory", "MemoryError", "The code ran out of memory.", out)
    except RecursionError as e:
        return _fail("error", "RecursionError", str(e), out)
    except SyntaxError as e:
        return _fail("error", type(e).__name__, f"{e.msg} (line {e.lineno})", out)
    except BaseException as e:
        line = _line_of(e.__traceback__)
        message = str(e)[:2000] + (f" (line {line})" if line else "")
        return _fail("error", type(e).__name__, message, out)
    try:
        text = json.dumps(result, allow_nan=False, ensure_ascii=False)
    except KeyboardInterrupt:
        return _fail("timeout", "TimeoutError", "The code ran past its deadline.", out)
    except MemoryError:
        return _fail("memory", "MemoryError", "The code ran out of memory.", out)
    except (TypeError, ValueError, RecursionError) as e:
        return _fail("error", "TypeError", f"The result is not JSON: {e}", out)
    if len(text) > max_out:
        return _fail("output", "RangeError", f"The result is {len(text)} characters of JSON; the limit is {max_out}.", out)
    return json.dumps({"ok": True, "resultJson": text, "logs": out.finish()})


class _Blocked:
    """The code cannot import the bridges to JavaScript (nor Pyodide's own API)."""

    ROOTS = {"js", "pyodide_js", "pyodide", "_pyodide", "_pyodide_core", "micropip", "pyodide_http"}

    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in self.ROOTS:
            raise ImportError(f"{name} is not available in the sandbox (standard library only)")
        return None


def _no_processes(*args, **kwargs):
    raise OSError("child processes are not available in the sandbox")


import os as _os, posix as _posix

for _fn in ("system", "popen", "fork", "forkpty", "execv", "execve", "spawnv", "spawnve", "posix_spawn", "posix_spawnp"):
    for _mod in (_os, _posix):
        if hasattr(_mod, _fn):
            setattr(_mod, _fn, _no_processes)
del _os, _posix, _fn, _mod

sys.meta_path.insert(0, _Blocked())
for _name in list(sys.modules):
    if _name.split(".")[0] in _Blocked.ROOTS:
        del sys.modules[_name]
del _name
`;

if (!isMainThread) {
  // The deadline's timer thread: waits for the task's start, then for its end or the deadline.
  const { ctl, interrupt } = workerData;
  Atomics.wait(ctl, 0, 0);
  const ms = Atomics.load(ctl, 0);
  if (Atomics.wait(ctl, 1, 0, ms) === "timed-out") Atomics.store(interrupt, 0, 2);
} else {
  await main();
}
