import { afterEach, describe, expect, it, vi } from "vitest";
import { partsOf, stopInOrder, stopProcess } from "./stop-in-order";

function recorder() {
  const lines: Array<[string, object]> = [];
  return {
    lines,
    debug: (obj: object, msg: string) => lines.push([msg, obj]),
    info: (obj: object, msg: string) => lines.push([msg, obj]),
    warn: (obj: object, msg: string) => lines.push([msg, obj]),
    error: (obj: object, msg: string) => lines.push([msg, obj]),
  };
}

afterEach(() => vi.useRealTimers());

describe("stopInOrder", () => {
  it("stops the parts one after another, in the order given", async () => {
    const order: string[] = [];
    const part = (name: string, ms: number) => ({
      name,
      stop: () => new Promise<void>((r) => setTimeout(() => (order.push(name), r()), ms)),
    });
    const log = recorder();
    const outcome = await stopInOrder(
      [part("runs", 20), part("consumers", 1), part("db", 5)],
      log,
      {
        deadlineMs: 10_000,
      },
    );
    expect(order).toEqual(["runs", "consumers", "db"]);
    expect(outcome).toMatchObject({ complete: true, waitingFor: null, failed: [] });
    expect(log.lines.map(([msg, o]) => `${msg} ${(o as { part: string }).part}`)).toEqual([
      "stopped runs",
      "stopped consumers",
      "stopped db",
    ]);
  });

  it("logs a failed part and stops the next ones all the same", async () => {
    const stopped: string[] = [];
    const log = recorder();
    const outcome = await stopInOrder(
      [
        { name: "broken", stop: () => Promise.reject(new Error("connection reset")) },
        { name: "db", stop: () => void stopped.push("db") },
      ],
      log,
      { deadlineMs: 10_000 },
    );
    expect(outcome).toMatchObject({ complete: true, failed: ["broken"] });
    expect(stopped).toEqual(["db"]);
    expect(log.lines[0]).toEqual([
      "stopping failed",
      { part: "broken", err: "Error: connection reset" },
    ]);
  });

  it("names a slow part, and past the deadline answers the part it waited for", async () => {
    vi.useFakeTimers();
    const log = recorder();
    const never = new Promise<void>(() => undefined);
    let dbStopped = false;
    const outcome = stopInOrder(
      [
        { name: "worker", stop: () => undefined },
        { name: "proofs", stop: () => never },
        { name: "db", stop: () => void (dbStopped = true) },
      ],
      log,
      { slowMs: 1_000, deadlineMs: 3_000 },
    );
    await vi.advanceTimersByTimeAsync(1_000);
    expect(log.lines.at(-1)).toEqual(["still stopping", { part: "proofs", ms: 1_000 }]);
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(outcome).resolves.toEqual({
      complete: false,
      waitingFor: "proofs",
      failed: [],
      ms: 3_000,
    });
    // The parts after the hung one are not reached: the caller closes the database and exits.
    expect(dbStopped).toBe(false);
  });

  it("stopProcess closes the database even past the deadline, and answers the exit status", async () => {
    const closed: string[] = [];
    const close = async () => void closed.push("db");
    await expect(
      stopProcess(partsOf({ worker: { stop: () => undefined } }), close, recorder(), 1_000),
    ).resolves.toBe(0);
    vi.useFakeTimers();
    const log = recorder();
    const status = stopProcess(
      partsOf({ proofs: { stop: () => new Promise<void>(() => undefined) } }),
      close,
      log,
      2_000,
    );
    await vi.advanceTimersByTimeAsync(2_000);
    await expect(status).resolves.toBe(1);
    expect(closed).toEqual(["db", "db"]);
    expect(log.lines.find(([msg]) => msg.startsWith("stop did not finish"))?.[1]).toEqual({
      waitingFor: "proofs",
      ms: 2_000,
    });
  });
});
