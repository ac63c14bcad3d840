/**
 * The code.python sandbox (issue 16, item 6 and the Python half of item 7's escape catalogue):
 * real Pyodide in real sandboxed processes. Each snippet is contained with a clear error (or,
 * for the environment, sees none of the host's), the host keeps serving, and the next call
 * succeeds. Where this machine refuses the sandbox's isolation, every call must answer the
 * clear "disabled" error instead — asserted, never skipped.
 *
 * In the `int` project: Pyodide processes take seconds each (one warm process and one running
 * at most, so never more than two at once). It uses no database, so of the two integration runs
 * of `npm test` (PGlite and PostgreSQL) only the PGlite one runs it.
 */
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NonRetryableError } from "@/server/engine/errors";
import { inPostgresPass } from "@/server/testing/passes";
import type { RuntimeRequest } from "@/server/engine/ports";
import type { CodeAnswer } from "../code-runtime";
import {
  codePythonRuntime,
  createPythonSandbox,
  type PythonSandbox,
  type PythonTask,
} from "./python-runtime";

const sandbox = createPythonSandbox({ warm: 1, maxProcesses: 2 });
let disabled: string | undefined;
const secretDir = fs.mkdtempSync(path.join(os.tmpdir(), "tf-py-secret-"));
const secretFile = path.join(secretDir, "credentials.key");
fs.writeFileSync(secretFile, "top-secret-key", { mode: 0o644 });

beforeAll(async () => {
  if (inPostgresPass) return;
  disabled = await sandbox.unavailable();
  // Which path this machine took, for the record.
  console.info(`code.python sandbox: ${disabled ? `disabled (${disabled})` : "enabled"}`);
  // The first call of a checkout makes Pyodide's memory snapshot (up to the runtime's 120 s
  // snapshot limit plus its 60 s start limit on a loaded machine): paid here, within this
  // hook's budget, not inside the first test's.
  if (!disabled) await run("1");
}, 300_000);
afterAll(async () => {
  await sandbox.close();
  fs.rmSync(secretDir, { recursive: true, force: true });
});

function task(source: string, over: Partial<PythonTask> = {}): PythonTask {
  return {
    source,
    inputsJson: JSON.stringify({ a: 20, lines: [{ qty: 2, price: 5 }] }),
    timeoutMs: 2000,
    memoryBytes: 64 * 1024 * 1024,
    maxOutputBytes: 64 * 1024,
    ...over,
  };
}

const run = (source: string, over?: Partial<PythonTask>) => sandbox.run(task(source, over));
const result = (a: CodeAnswer) => (a.ok ? (JSON.parse(a.resultJson) as unknown) : a);

/** `answer` is `expected`, or, where the sandbox is disabled here, the clear disabled error. */
function expectAnswer(answer: CodeAnswer, expected: Record<string, unknown>) {
  if (disabled) {
    expect(answer).toMatchObject({ ok: false, kind: "internal", name: "SandboxUnavailable" });
    expect(answer.ok ? "" : answer.message).toMatch(/code\.python is disabled on this server/);
    return;
  }
  expect(answer).toMatchObject(expected);
}

/** Contained: the call fails with one of `kinds` and a message matching `message`. */
async function contained(
  source: string,
  kinds: string[],
  message: RegExp,
  over?: Partial<PythonTask>,
) {
  const answer = await run(source, over);
  if (disabled) return expectAnswer(answer, {});
  expect(answer.ok, JSON.stringify(answer)).toBe(false);
  if (answer.ok) return;
  expect(kinds, JSON.stringify(answer)).toContain(answer.kind);
  expect(`${answer.name}: ${answer.message}`).toMatch(message);
}

/** The call after a contained escape still works. */
async function stillServes() {
  const answer = await run("inputs['a'] + 1");
  if (disabled) return expectAnswer(answer, {});
  expect(result(answer)).toBe(21);
}

/**
 * A test's budget. Not a speed check (bench/code/py-sandbox.ts measures that): room for process
 * starts from the snapshot on a loaded machine. (The stalls once blamed on load here were the
 * pool waiting forever for a freed place: see "the process pool" below.)
 */
const LONG = 120_000;
/** Removes the import guard: the JavaScript bridge is then reachable, and the process must hold. */
const BYPASS =
  "import sys\nsys.meta_path[:] = [f for f in sys.meta_path if type(f).__name__ != '_Blocked']\nimport pyodide_js\n";

describe.skipIf(inPostgresPass)("code.python: results", () => {
  it(
    "returns the last expression's value, or what the code returns, with its print lines",
    async () => {
      expectAnswer(await run("inputs['a'] * 2"), { ok: true, resultJson: "40", logs: [] });
      expectAnswer(
        await run(
          "print('total', 10, {'x': 1})\nreturn sum(l['qty'] * l['price'] for l in inputs['lines'])",
        ),
        { ok: true, resultJson: "10", logs: ["total 10 {'x': 1}"] },
      );
      expectAnswer(await run("x = 1"), { ok: true, resultJson: "null" });
    },
    LONG,
  );

  it(
    "reports the code's own exceptions with their type and line",
    async () => {
      expectAnswer(await run("x = 1\nraise ValueError('bad total')"), {
        ok: false,
        kind: "error",
        name: "ValueError",
        message: "bad total (line 2)",
      });
      expectAnswer(await run("def f(:\n  pass"), { ok: false, kind: "error", name: "SyntaxError" });
      expectAnswer(await run("{1, 2}"), {
        ok: false,
        kind: "error",
        name: "TypeError",
        message: expect.stringMatching(/not JSON/) as unknown,
      });
    },
    LONG,
  );

  it(
    "fails the step without retry through the block runtime",
    async () => {
      const rt = codePythonRuntime(() => sandbox);
      const req = (source: string) =>
        ({
          inputs: { source, inputs: { n: 4 } },
          signal: new AbortController().signal,
        }) as unknown as RuntimeRequest;
      if (!disabled) {
        await expect(rt.execute(req("return inputs['n'] ** 2"))).resolves.toEqual({
          result: 16,
          logs: [],
        });
      }
      const err = await Promise.resolve(rt.execute(req("1/0"))).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonRetryableError);
      expect((err as Error).message).toMatch(disabled ? /SandboxUnavailable/ : /ZeroDivisionError/);
    },
    LONG,
  );
});

describe.skipIf(inPostgresPass)("code.python: the process pool", () => {
  it(
    "answers more calls at once than it may run processes: each waits for a freed place",
    async () => {
      // Four calls on a pool of at most two processes: the last two wait until the processes of
      // the first two have ended (a pool that refilled only when a spare ended waited forever).
      const before = sandbox.processesStarted();
      const answers = await Promise.all([1, 2, 3, 4].map((n) => run(`inputs['a'] + ${n}`)));
      if (disabled) return answers.forEach((a) => expectAnswer(a, {}));
      expect(answers.map(result)).toEqual([21, 22, 23, 24]);
      // One fresh process per call, never reused.
      expect(sandbox.processesStarted() - before).toBeGreaterThanOrEqual(3);
    },
    LONG,
  );
});

describe.skipIf(inPostgresPass)("code.python: prepared ahead of the first call", () => {
  it(
    "warmUp makes (or finds) the snapshot and starts the warm pool before any call",
    async () => {
      const fresh = createPythonSandbox({ warm: 1, maxProcesses: 2 });
      try {
        expect(await fresh.warmUp()).toBe(disabled);
        if (disabled) return expectAnswer(await fresh.run(task("1")), {});
        // A loaded process waits before any call asked for one.
        await expect.poll(() => fresh.warmProcesses(), { timeout: 120_000, interval: 100 }).toBe(1);
        const started = fresh.processesStarted();
        // The first call takes it (and the pool starts the next spare).
        expect(result(await fresh.run(task("inputs['a'] * 2")))).toBe(40);
        expect(fresh.processesStarted()).toBeGreaterThan(started);
      } finally {
        await fresh.close();
      }
    },
    LONG,
  );
});

describe.skipIf(inPostgresPass)("code.python: escape catalogue", () => {
  it(
    "sees none of the host's environment",
    async () => {
      process.env.TF_PY_PROBE_SECRET = "leak-me";
      try {
        const answer = await run("import os\nreturn dict(os.environ)");
        if (disabled) return expectAnswer(answer, {});
        const env = result(answer) as Record<string, string>;
        expect(env).not.toHaveProperty("TF_PY_PROBE_SECRET");
        expect(JSON.stringify(env)).not.toContain("leak-me");
        expect(env).not.toHaveProperty("DATABASE_URL");
      } finally {
        delete process.env.TF_PY_PROBE_SECRET;
      }
    },
    LONG,
  );

  it(
    "reads no host file: the data directory's key, /etc/shadow, /proc/1/environ",
    async () => {
      await contained(`open(${JSON.stringify(secretFile)}).read()`, ["error"], /FileNotFoundError/);
      await contained("open('/etc/shadow').read()", ["error"], /FileNotFoundError|PermissionError/);
      await contained(
        "open('/proc/1/environ', 'rb').read()",
        ["error"],
        /FileNotFoundError|PermissionError/,
      );
      await stillServes();
    },
    LONG,
  );

  it(
    "reaches no network: a connection to a port the host listens on fails",
    async () => {
      let accepted = 0;
      const server = net.createServer((s) => {
        accepted++;
        s.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      const port = (server.address() as net.AddressInfo).port;
      try {
        await contained(
          `import socket\nsocket.create_connection(("127.0.0.1", ${port}), timeout=1).send(b"hi")\n1`,
          ["error", "timeout"],
          /OSError|ConnectionRefused|TimeoutError|unreachable/i,
        );
        expect(accepted).toBe(0);
      } finally {
        server.close();
      }
    },
    LONG,
  );

  it(
    "starts no child process: subprocess, os.system, a fork bomb",
    async () => {
      await contained("import subprocess\nsubprocess.run(['ls', '/'])", ["error"], /OSError/);
      await contained(
        "import os\nos.system('cat /etc/shadow')",
        ["error"],
        /OSError: child processes are not available/,
      );
      await contained("import os\nwhile True:\n    os.fork()", ["error"], /OSError/);
      await stillServes();
    },
    LONG,
  );

  it(
    "imports no JavaScript bridge: js, pyodide_js, pyodide.code.run_js",
    async () => {
      await contained(
        "import js\njs.process.env",
        ["error"],
        /ImportError: js is not available in the sandbox/,
      );
      await contained(
        "import pyodide_js\npyodide_js.runPython.constructor('return process.env')()",
        ["error"],
        /ImportError: pyodide_js is not available/,
      );
      await contained(
        "from pyodide.code import run_js\nrun_js('process.env')",
        ["error"],
        /ImportError/,
      );
    },
    LONG,
  );

  it(
    "past the import guard, the route to the host's Function and a dynamic import('node:fs') fail",
    async () => {
      await contained(
        BYPASS + "return str(pyodide_js.runPython.constructor('return process.env')())",
        ["error"],
        /EvalError: Code generation from strings disallowed/,
      );
      await contained(
        BYPASS +
          "f = pyodide_js.runPython.constructor(\"return import('node:fs').then(m => m.readFileSync('/etc/shadow', 'utf8'))\")\nreturn str(f())",
        ["error"],
        /EvalError/,
      );
      await stillServes();
    },
    LONG,
  );

  it(
    "stops an infinite loop at its deadline, and one that swallows the interrupt by killing it",
    async () => {
      await contained("while True: pass", ["timeout"], /deadline/, { timeoutMs: 300 });
      await contained(
        "while True:\n    try:\n        while True: pass\n    except BaseException:\n        pass",
        ["timeout"],
        /deadline/,
        { timeoutMs: 300 },
      );
      await stillServes();
    },
    LONG,
  );

  it(
    "stops deep recursion",
    async () => {
      await contained("def f(n): return f(n + 1)\nf(0)", ["error"], /RecursionError/);
      await contained(
        "import sys\nsys.setrecursionlimit(10**7)\ndef f(n): return f(n + 1)\nf(0)",
        ["error", "memory", "internal"],
        /Recursion|stack|memory|ended/i,
      );
    },
    LONG,
  );

  it(
    "contains memory bombs: a huge string, a huge bytearray, a growing list",
    async () => {
      await contained("'x' * 10**10", ["error", "memory"], /OverflowError|MemoryError/, {
        timeoutMs: 20_000,
      });
      await contained("b = bytearray(2**30)", ["memory"], /MemoryError/, { timeoutMs: 20_000 });
      await contained(
        "l = []\nwhile True:\n    l.append('x' * 100000)",
        ["memory"],
        /MemoryError/,
        { timeoutMs: 30_000, memoryBytes: 32 * 1024 * 1024 },
      );
      await stillServes();
    },
    LONG,
  );

  it(
    "caps huge output: the result's size and the log lines",
    async () => {
      await contained("'x' * 200000", ["output"], /limit is 65536/);
      // 100,000 prints cost seconds of CPU on a loaded machine: the cap is what is checked here,
      // not the speed, so the call gets the time the memory bombs get.
      const answer = await run("for i in range(100000):\n    print('y' * 5000)\nreturn 1", {
        timeoutMs: 20_000,
      });
      if (disabled) return expectAnswer(answer, {});
      expect(answer.ok).toBe(true);
      expect(answer.logs).toHaveLength(200);
      expect(answer.logs[0]).toHaveLength(2001);
      await stillServes();
    },
    LONG,
  );
});

describe.skipIf(inPostgresPass)("code.python: where the sandbox cannot be built", () => {
  it("answers a clear, non-retryable 'disabled' error", async () => {
    const broken: PythonSandbox = createPythonSandbox({ appRoot: "/nonexistent-app-root" });
    try {
      expect(await broken.unavailable()).toMatch(
        /Pyodide or the sandbox's worker script is missing/,
      );
      expect(await broken.run(task("1"))).toMatchObject({
        ok: false,
        kind: "internal",
        name: "SandboxUnavailable",
        message: expect.stringMatching(/^code\.python is disabled on this server: /) as unknown,
      });
      const rt = codePythonRuntime(() => broken);
      const err = await Promise.resolve(
        rt.execute({
          inputs: { source: "1" },
          signal: new AbortController().signal,
        } as unknown as RuntimeRequest),
      ).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(NonRetryableError);
    } finally {
      await broken.close();
    }
  });
});
