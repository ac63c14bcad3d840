import { describe, expect, it } from "vitest";
import { createRunNotifier } from "./run-notifier";

const notifier = createRunNotifier();
const notifyRunFinished = notifier.runFinished;
const onRunFinished = notifier.onRunFinished;
const waitForRunEnd = notifier.waitForRunEnd;

describe("run-end notifications", () => {
  it("resolves a waiter with the run's end, and other listeners see it too", async () => {
    const seen: string[] = [];
    const off = onRunFinished((e) => seen.push(e.runId));
    const w = waitForRunEnd("r1", 5_000);
    notifyRunFinished({ runId: "r1", status: "succeeded", output: { a: 1 }, error: null });
    await expect(w.promise).resolves.toMatchObject({ status: "succeeded", output: { a: 1 } });
    off();
    notifyRunFinished({ runId: "r2", status: "failed", output: null, error: null });
    expect(seen).toEqual(["r1"]);
  });

  it("resolves null on timeout, abort or cancel, and ignores other runs", async () => {
    const t = waitForRunEnd("r3", 5);
    notifyRunFinished({ runId: "other", status: "succeeded", output: null, error: null });
    await expect(t.promise).resolves.toBeNull();
    const ac = new AbortController();
    const a = waitForRunEnd("r4", 5_000, ac.signal);
    ac.abort();
    await expect(a.promise).resolves.toBeNull();
    const c = waitForRunEnd("r5", 5_000);
    c.cancel();
    await expect(c.promise).resolves.toBeNull();
  });
});
