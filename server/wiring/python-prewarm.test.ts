/**
 * The code.python prewarm's timing and reporting, on a sandbox double that records its calls
 * (the real sandbox's `warmUp` is tested with real Pyodide in python-sandbox.int.test.ts).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import type { PythonSandbox } from "@/server/adapters/code/python/python-runtime";
import { startPythonPrewarm } from "./python-prewarm";

function recorder(answer: string | undefined | Error) {
  const calls: string[] = [];
  const sandbox = {
    warmUp: () => {
      calls.push("warmUp");
      return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
    },
    close: () => {
      calls.push("close");
      return Promise.resolve();
    },
  } as unknown as PythonSandbox;
  const log = { info: vi.fn(), warn: vi.fn() };
  return { calls, python: () => sandbox, log };
}

afterEach(() => {
  vi.useRealTimers();
});

describe("code.python prewarm", () => {
  it("prepares the sandbox once, after the delay, and logs it", async () => {
    vi.useFakeTimers();
    const r = recorder(undefined);
    const p = startPythonPrewarm(r.python, r.log, 30_000);
    await vi.advanceTimersByTimeAsync(29_000);
    expect(r.calls).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await p.stop();
    expect(r.calls).toEqual(["warmUp", "close"]);
    expect(r.log.info).toHaveBeenCalledWith(
      expect.objectContaining({ ms: expect.any(Number) }),
      "code.python sandbox prepared (snapshot, warm pool)",
    );
  });

  it("does nothing when stopped before the delay", async () => {
    vi.useFakeTimers();
    const r = recorder(undefined);
    const p = startPythonPrewarm(r.python, r.log, 30_000);
    await p.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    // Stopping closes the sandbox (its processes, if a Python step started any), nothing more.
    expect(r.calls).toEqual(["close"]);
  });

  it("prepares nothing when the operator turned it off", async () => {
    vi.useFakeTimers();
    const r = recorder(undefined);
    const p = startPythonPrewarm(r.python, r.log, null);
    await vi.advanceTimersByTimeAsync(120_000);
    expect(r.calls).toEqual([]);
    await p.stop();
    expect(r.calls).toEqual(["close"]);
  });

  it("logs why Python is disabled, or why the preparation failed", async () => {
    vi.useFakeTimers();
    const disabled = recorder("it needs Linux namespaces");
    const failed = recorder(new Error("boom"));
    const a = startPythonPrewarm(disabled.python, disabled.log, 10);
    const b = startPythonPrewarm(failed.python, failed.log, 10);
    await vi.advanceTimersByTimeAsync(10);
    await a.stop();
    await b.stop();
    expect(disabled.log.warn).toHaveBeenCalledWith(
      { why: "it needs Linux namespaces" },
      "code.python is disabled on this server",
    );
    expect(failed.log.warn).toHaveBeenCalledWith(
      { err: "Error: boom" },
      "code.python sandbox preparation failed",
    );
  });
});
