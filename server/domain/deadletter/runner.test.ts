import { afterEach, describe, expect, it } from "vitest";
import { createRunNotifier } from "@/server/adapters/notify/run-notifier";
import type { RunEnd } from "@/server/engine/ports";
import type { Transactor, TxScope } from "../run/ports";
import { startReprocessor, type Reprocessor } from "./runner";

/** A transactor whose only store answers which jobs have work (none: the loop stays idle). */
function fakes(opts: { failFirst?: boolean } = {}) {
  let scans = 0;
  const errors: unknown[] = [];
  const transactor: Transactor = {
    async transaction<T>(fn: (tx: TxScope) => Promise<T>): Promise<T> {
      const tx = {
        reprocess: {
          async activeJobIds() {
            scans++;
            if (opts.failFirst && scans === 1) throw new Error("database down");
            return [];
          },
        },
      } as unknown as TxScope;
      return fn(tx);
    },
  };
  return {
    deps: {
      transactor,
      clock: { now: () => 1 },
      logger: { error: (o: unknown) => errors.push(o) },
    },
    scans: () => scans,
    errors,
  };
}

async function until(ok: () => boolean, ms = 2_000) {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error("condition not reached");
    await new Promise((r) => setTimeout(r, 2));
  }
}

let loop: Reprocessor | undefined;
afterEach(async () => {
  await loop?.stop();
  loop = undefined;
});

describe("startReprocessor", () => {
  it("advances at start (a restart continues the stored jobs), then waits idle", async () => {
    const f = fakes();
    loop = startReprocessor(f.deps, createRunNotifier(), { busyMs: 1, idleMs: 60_000 });
    await until(() => f.scans() === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(f.scans()).toBe(1);
  });

  it("is woken by a run's end (a replay run's outcome is an item's)", async () => {
    const f = fakes();
    const notifier = createRunNotifier();
    loop = startReprocessor(f.deps, notifier, { busyMs: 1, idleMs: 60_000 });
    await until(() => f.scans() === 1);
    notifier.runFinished({ runId: "r", status: "succeeded" } as unknown as RunEnd);
    await until(() => f.scans() === 2);
  });

  it("logs a failed advance and tries again later; stop() ends the loop", async () => {
    const f = fakes({ failFirst: true });
    loop = startReprocessor(f.deps, createRunNotifier(), { busyMs: 1, idleMs: 5 });
    await until(() => f.scans() >= 2);
    expect(f.errors).toEqual([{ err: "Error: database down" }]);
    await loop.stop();
    const after = f.scans();
    await new Promise((r) => setTimeout(r, 30));
    expect(f.scans()).toBe(after);
    loop = undefined;
  });
});
