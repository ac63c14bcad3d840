/**
 * The code.js sandbox (issue 16, item 5 and the JavaScript half of item 7's escape catalogue):
 * each snippet is contained with a clear error, the host keeps serving, and the next call
 * succeeds. Runs real QuickJS in real worker threads.
 */
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { NonRetryableError } from "@/server/engine/errors";
import type { RuntimeRequest } from "@/server/engine/ports";
import {
  codeJsRuntime,
  createCodeSandbox,
  stepSeed,
  type CodeAnswer,
  type CodeTask,
} from "./code-runtime";

const sandbox = createCodeSandbox({ maxThreads: 1 });
const HANG_WORKER = path.join(__dirname, "testing", "hang-worker.mjs");
afterAll(() => sandbox.close());

function task(source: string, over: Partial<CodeTask> = {}): CodeTask {
  return {
    source,
    inputsJson: JSON.stringify({ a: 20, lines: [{ qty: 2, price: 5 }] }),
    timeoutMs: 300,
    memoryBytes: 32 * 1024 * 1024,
    stackBytes: 256 * 1024,
    maxOutputBytes: 64 * 1024,
    ...over,
  };
}

/** Memory bombs get time enough: their memory, not the clock, must stop them. */
const LONG: Partial<CodeTask> = { timeoutMs: 20_000 };

const run = (source: string, over?: Partial<CodeTask>) => sandbox.run(task(source, over));
const result = (a: CodeAnswer) => (a.ok ? JSON.parse(a.resultJson) : a);

/** The call after a contained escape still works. */
async function stillServes() {
  expect(result(await run("1 + 1"))).toBe(2);
}

describe("code.js: results", () => {
  it("returns the last expression's value, or what the code returns, with its log lines", async () => {
    expect(result(await run("inputs.a * 2"))).toBe(40);
    const r = await run(
      "console.log('total', 10, {x: 1}); return inputs.lines.reduce((s, l) => s + l.qty * l.price, 0);",
    );
    expect(r).toEqual({ ok: true, resultJson: "10", logs: ['total 10 {"x":1}'] });
    expect(result(await run("undefined"))).toBeNull();
  });

  it("reports the code's own errors with their names", async () => {
    expect(await run("throw new TypeError('bad total')")).toMatchObject({
      ok: false,
      kind: "error",
      name: "TypeError",
      message: "bad total",
    });
    expect(await run("let = ;")).toMatchObject({ ok: false, kind: "error", name: "SyntaxError" });
    expect(await run("(() => 1)")).toMatchObject({ ok: false, kind: "error", name: "TypeError" });
  });

  it("seeds Math.random and fixes Date when asked (sandbox sessions), identically each time", async () => {
    const code = "[Math.random(), Math.random(), Date.now(), new Date().toISOString()]";
    const a = result(await run(code, { seed: 42, nowMs: Date.UTC(2026, 0, 1) }));
    const b = result(await run(code, { seed: 42, nowMs: Date.UTC(2026, 0, 1) }));
    expect(a).toEqual(b);
    expect(a[2]).toBe(Date.UTC(2026, 0, 1));
    expect(a[3]).toBe("2026-01-01T00:00:00.000Z");
    expect(result(await run(code, { seed: 43, nowMs: 0 }))[0]).not.toBe(a[0]);
  });
});

// The JavaScript half of the escape catalogue: [what it tries, snippet, expected answer].
const ESCAPES: Array<[string, string, (a: CodeAnswer) => void, Partial<CodeTask>?]> = [
  [
    "host globals (process, require, module, fetch, Buffer, setTimeout)",
    "[typeof process, typeof require, typeof module, typeof fetch, typeof Buffer, typeof setTimeout, typeof std, typeof os].join()",
    (a) => expect(result(a)).toBe(Array(8).fill("undefined").join()),
  ],
  [
    "the host's Function through a constructor chain",
    "this.constructor.constructor('return typeof process')()",
    (a) => expect(result(a)).toBe("undefined"),
  ],
  [
    "the Function constructor reaching require",
    "Function('return require(\"fs\")')()",
    (a) => expect(a).toMatchObject({ ok: false, kind: "error", name: "ReferenceError" }),
  ],
  [
    "a dynamic import of node:fs",
    "import('node:fs').then(() => 'escaped', (e) => 'refused: ' + e.message)",
    (a) => expect(JSON.stringify(a)).not.toContain("escaped"),
  ],
  [
    "a static import",
    "import fs from 'fs'; fs.readFileSync('/etc/passwd')",
    (a) => expect(a).toMatchObject({ ok: false, kind: "error" }),
  ],
  [
    "files through XMLHttpRequest / WebAssembly",
    "[typeof XMLHttpRequest, typeof WebAssembly, typeof WebSocket].join()",
    (a) => expect(result(a)).toBe("undefined,undefined,undefined"),
  ],
  [
    "an infinite loop",
    "while (true) {}",
    (a) => expect(a).toMatchObject({ ok: false, kind: "timeout" }),
  ],
  [
    "an infinite loop that catches what stops it",
    "for (;;) { try { for (;;) {} } catch (e) {} }",
    (a) => expect(a).toMatchObject({ ok: false, kind: "timeout" }),
  ],
  [
    "catastrophic regular expression backtracking",
    "/(a+)+$/.test('a'.repeat(40) + 'b')",
    (a) => expect(a).toMatchObject({ ok: false, kind: "timeout" }),
  ],
  [
    "deep recursion",
    "function f(n) { return f(n + 1) + 1 } f(0)",
    (a) => expect(a).toMatchObject({ ok: false, kind: "error" }),
  ],
  [
    "a string memory bomb (12 × 16 MiB strings under a 32 MiB cap)",
    "const a = []; for (let i = 0; i < 12; i++) a.push('x'.repeat(16 << 20) + i); a.length",
    (a) => expect(a).toMatchObject({ ok: false, kind: "memory" }),
    LONG,
  ],
  [
    "a doubling string",
    "let s = 'x'; for (;;) s += s;",
    (a) => expect(a).toMatchObject({ ok: false, kind: "memory" }),
    LONG,
  ],
  [
    "a typed-array memory bomb",
    "const a = []; for (;;) a.push(new Float64Array(1 << 20));",
    (a) => expect(a).toMatchObject({ ok: false, kind: "memory" }),
    LONG,
  ],
  [
    "one huge typed array",
    "new Uint8Array(1 << 30).length",
    (a) => expect(a).toMatchObject({ ok: false, kind: "memory" }),
    LONG,
  ],
  [
    "an object memory bomb",
    "const a = []; for (;;) a.push({ n: a.length, s: 'abc' });",
    (a) => expect(a).toMatchObject({ ok: false, kind: "memory" }),
    LONG,
  ],
  [
    "a huge output",
    "'x'.repeat(1 << 20)",
    (a) => expect(a).toMatchObject({ ok: false, kind: "output" }),
    LONG,
  ],
  [
    "a flood of log lines",
    "for (let i = 0; i < 100000; i++) console.log('line', i); 'done'",
    (a) => {
      expect(result(a)).toBe("done");
      expect(a.logs.length).toBe(200);
    },
    LONG,
  ],
  [
    "prototype pollution of the host's objects",
    "Object.prototype.polluted = 'yes'; Array.prototype.push = null; JSON.parse = null; 'tried'",
    (a) => {
      expect(result(a)).toBe("tried");
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(typeof JSON.parse).toBe("function");
    },
  ],
  [
    "SharedArrayBuffer and Atomics.wait to block the thread",
    "typeof SharedArrayBuffer === 'function' ? Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0) : 'none'",
    (a) => expect(JSON.stringify(a)).not.toContain('"ok":true,"resultJson":"\\"timed-out'),
  ],
];

describe("code.js: the escape catalogue (JavaScript)", () => {
  it.each(ESCAPES)(
    "contains %s, and the next call succeeds",
    async (_what, source, check, over) => {
      const t0 = Date.now();
      const answer = await run(source, over);
      check(answer);
      // Nothing runs past its deadline and the watchdog's grace, with slack for a busy machine:
      // the bound is what matters here, the benchmark measures the figure.
      expect(Date.now() - t0).toBeLessThan((over?.timeoutMs ?? 300) + 5000);
      await stillServes();
    },
  );

  it("keeps nothing from one call to the next (globals, prototypes)", async () => {
    await run("globalThis.leak = 1; Object.prototype.carried = 2; 'set'");
    expect(result(await run("[typeof leak, typeof ({}).carried].join()"))).toBe(
      "undefined,undefined",
    );
  });

  it("terminates a thread the interrupt cannot stop and starts a fresh one", async () => {
    // A worker that blocks its thread outright (what no interrupt handler can end).
    const stuck = createCodeSandbox({ maxThreads: 1, workerFile: HANG_WORKER });
    try {
      const t0 = Date.now();
      const answer = await stuck.run(task("ignored", { timeoutMs: 100 }));
      expect(answer).toMatchObject({ ok: false, kind: "timeout" });
      expect(Date.now() - t0).toBeLessThan(5000);
      // The next call gets a fresh thread.
      await stuck.run(task("ignored", { timeoutMs: 100 }));
      expect(stuck.threadsStarted()).toBe(2);
    } finally {
      await stuck.close();
    }
  });
});

describe("code.js: the block runtime", () => {
  const req = (inputs: Record<string, unknown>) =>
    ({ inputs, signal: new AbortController().signal }) as unknown as RuntimeRequest;
  const runtime = codeJsRuntime(() => sandbox);

  it("answers { result, logs } and fails a step without retry on the code's error", async () => {
    await expect(
      runtime.execute(req({ source: "console.log('hi'); return inputs.n * 3", inputs: { n: 4 } })),
    ).resolves.toEqual({ result: 12, logs: ["hi"] });
    const err = await Promise.resolve(
      runtime.execute(req({ source: "while(true){}", timeoutMs: 50 })),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as Error).message).toMatch(/deadline/);
  });

  it("in a sandbox run, seeds Math.random from the session's seed and the step, and fixes Date", async () => {
    const startedAt = Date.UTC(2026, 11, 6, 2, 0, 0);
    const sandboxReq = (stepId: string, attempt = 1) =>
      ({
        inputs: {
          source: "[Math.random(), Math.random(), Date.now(), new Date().toISOString()]",
        },
        step: { id: stepId },
        attempt,
        signal: new AbortController().signal,
      }) as unknown as RuntimeRequest;
    // As the server wires it: the session's seed (null outside a sandbox run) mixed with the step.
    const seeded = (sessionSeed: number | null) =>
      codeJsRuntime(
        () => sandbox,
        async (r) =>
          sessionSeed === null
            ? null
            : { seed: stepSeed(sessionSeed, r.step.id, r.attempt), nowMs: startedAt },
      );
    const out = async (sessionSeed: number | null, stepId: string) =>
      ((await seeded(sessionSeed).execute(sandboxReq(stepId))) as { result: unknown[] }).result;

    const a = await out(7, "dice");
    // Another run (another runtime, another thread call) with the same seed: byte-identical.
    expect(JSON.stringify(await out(7, "dice"))).toBe(JSON.stringify(a));
    expect(a.slice(2)).toEqual([startedAt, "2026-12-06T02:00:00.000Z"]);
    expect(a[0]).not.toBe(a[1]);
    // Another seed, or another step of the same run, draws other numbers.
    expect((await out(8, "dice"))[0]).not.toBe(a[0]);
    expect((await out(7, "dice2"))[0]).not.toBe(a[0]);
    // Outside a sandbox run: the real clock, unseeded.
    const before = Date.now();
    const real = await out(null, "dice");
    expect(real[2]).toBeGreaterThanOrEqual(before);
    expect(real[0]).not.toBe(a[0]);
  });

  it("derives a step's seed from the session's seed, the step and the attempt only", () => {
    expect(stepSeed(20261122, "total", 1)).toBe(stepSeed(20261122, "total", 1));
    const seeds = new Set([
      stepSeed(20261122, "total", 1),
      stepSeed(20261123, "total", 1),
      stepSeed(20261122, "total[1]", 1),
      stepSeed(20261122, "total", 2),
    ]);
    expect(seeds.size).toBe(4);
    for (const s of seeds) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 32).toBe(true);
  });
});
