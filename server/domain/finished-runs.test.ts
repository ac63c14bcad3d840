/**
 * The finished-runs consumers' loop catches up in large batches: after a full batch (a backlog,
 * such as the demo history at the first start) the next batches ask for `CATCH_UP_BATCH` runs,
 * until one is not full; a late sweep and the batch after it use the consumer's own size. Runs
 * with many attempts are read in fewer runs per batch (`foldBatch`), the first batch in few.
 */
import { describe, expect, it } from "vitest";
import {
  batchOf,
  CATCH_UP_BATCH,
  FOLD_ATTEMPTS,
  FIRST_FOLD_BATCH,
  FOLD_BATCH,
  foldBatch,
  MIN_FOLD_BATCH,
  readFinishedAttemptsShared,
  SHARED_ATTEMPTS_MAX,
  startFinishedRunsConsumer,
  withinFoldAttempts,
} from "./finished-runs";

describe("the finished-runs consumer loop", () => {
  it("asks for catch-up batches while batches are full, its own size otherwise", async () => {
    const asked: Array<{ late: boolean; batch: number | undefined }> = [];
    // A backlog of three full batches, then an empty one.
    const full = [true, true, true, false];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const consumer = startFinishedRunsConsumer(
      async ({ late, batch }) => {
        asked.push({ late, batch });
        const more = full[asked.length - 1] ?? false;
        if (asked.length === full.length) done();
        // Runs of one attempt: the attempts bound does not lower the sizes asked.
        const runs = batch ?? FOLD_BATCH;
        return { more, runs, attempts: runs };
      },
      { error: () => undefined },
      "test consumer",
      { gapMs: 1, idleMs: 1 },
    );
    await finished;
    await consumer.stop();
    // The first batch is also the first late sweep (a small one: its runs' attempts are not
    // known yet); then the consumer's own size, and the next ones catch up.
    expect(asked.slice(0, 4)).toEqual([
      { late: true, batch: FIRST_FOLD_BATCH },
      { late: false, batch: undefined },
      { late: false, batch: CATCH_UP_BATCH },
      { late: false, batch: CATCH_UP_BATCH },
    ]);
  });

  it("asks for fewer runs while runs have many attempts, sooner", async () => {
    const asked: Array<{ late: boolean; batch: number | undefined; at: number }> = [];
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    const consumer = startFinishedRunsConsumer(
      async ({ late, batch }) => {
        asked.push({ late, batch, at: Date.now() });
        if (asked.length === 4) done();
        // A backlog of 50-attempt runs: every batch is full.
        const runs = batch ?? FOLD_BATCH;
        return { more: asked.length < 4, runs, attempts: runs * 50 };
      },
      { error: () => undefined },
      "test consumer",
      { gapMs: 1_000, idleMs: 60_000 },
    );
    await finished;
    await consumer.stop();
    const bounded = FOLD_ATTEMPTS / 50;
    expect(asked.map((a) => a.batch)).toEqual([FIRST_FOLD_BATCH, bounded, bounded, bounded]);
    // The same runs per second: a batch of `bounded` runs out of 2,000 waits that share of 1 s.
    expect(asked[3]!.at - asked[2]!.at).toBeLessThan(500);
  });

  it("sizes a batch by its runs' attempts, within bounds", () => {
    expect(foldBatch(undefined, 0)).toBeUndefined();
    expect(foldBatch(CATCH_UP_BATCH, 1)).toBe(CATCH_UP_BATCH);
    expect(foldBatch(CATCH_UP_BATCH, 2)).toBe(FOLD_ATTEMPTS / 2);
    expect(foldBatch(undefined, 2)).toBeUndefined();
    expect(foldBatch(CATCH_UP_BATCH, 100)).toBe(FOLD_ATTEMPTS / 100);
    expect(foldBatch(undefined, 100)).toBe(FOLD_ATTEMPTS / 100);
    expect(foldBatch(undefined, 1_000_000)).toBe(MIN_FOLD_BATCH);
  });

  it("folds the first runs of a batch within the attempts bound, one at least", () => {
    const rows = ["a", "b", "c", "d"].map((id) => ({ id }));
    const attempts = (counts: Record<string, number>) =>
      Object.entries(counts).flatMap(([runId, n]) => Array.from({ length: n }, () => ({ runId })));
    const half = FOLD_ATTEMPTS / 2;
    // Light runs: the whole batch.
    expect(withinFoldAttempts(rows, attempts({ a: 2, b: 2, c: 2 }))).toEqual({ rows, cut: false });
    // Heavy ones: the prefix that fits (the cursor moves to its last run), the rest next time.
    expect(withinFoldAttempts(rows, attempts({ a: half, b: half, c: 1, d: 1 }))).toEqual({
      rows: rows.slice(0, 2),
      cut: true,
    });
    // A run heavier than the bound alone still moves on.
    expect(withinFoldAttempts(rows, attempts({ a: 3 * FOLD_ATTEMPTS, b: 1 }))).toEqual({
      rows: rows.slice(0, 1),
      cut: true,
    });
  });

  it("passes the first size given, or none", () => {
    expect(batchOf(CATCH_UP_BATCH, 50)).toEqual({ batch: CATCH_UP_BATCH });
    expect(batchOf(undefined, 50)).toEqual({ batch: 50 });
    expect(batchOf(undefined, undefined)).toEqual({});
  });
});

describe("the consumers' shared read of finished attempts", () => {
  /** A database whose attempts read answers two attempts per run (none for `empty-*` runs). */
  function fakeDb(failFor = new Set<string>()) {
    const asked: string[][] = [];
    const fake = {
      async $queryRawUnsafe(_sql: string, ...args: unknown[]): Promise<unknown> {
        const ids = args[0] as string[];
        asked.push(ids);
        await new Promise((r) => setTimeout(r, 5));
        if (ids.some((id) => failFor.has(id))) throw new Error("connection lost");
        const rows = ids
          .filter((id) => !id.startsWith("empty-"))
          .flatMap((id) =>
            ["a", "b"].map((stepId) => ({
              runId: id,
              stepId,
              attempt: 1,
              status: "succeeded",
              durationMs: 3,
              errorName: null,
              category: null,
              finishedAt: 1_000,
            })),
          );
        return rows;
      },
    };
    // Only the raw read is called (Prisma's promise type aside).
    const db = fake as unknown as Parameters<typeof readFinishedAttemptsShared>[0];
    return { db, asked };
  }
  /** Reconciled runs as the consumers pass them (reconciled at `at`). */
  const runs = (ids: string[], at = 1_000) => ids.map((id) => ({ id, reconciledAt: new Date(at) }));

  it("reads each run's attempts once for all consumers, also while a read is in flight", async () => {
    const [r1, r2, r3, r4, r5] = ["1", "2", "empty-3", "4", "5"];
    const { db, asked } = fakeDb();
    const first = await readFinishedAttemptsShared(db, runs([r1!, r2!, r3!]));
    expect(first.map((a) => `${a.runId}/${a.stepId}`)).toEqual([
      `${r1}/a`,
      `${r1}/b`,
      `${r2}/a`,
      `${r2}/b`,
    ]);
    expect(first.every((a) => Object.isFrozen(a))).toBe(true);
    // Two consumers at once: the second waits for the first one's read of r4 instead of its own.
    const [b, c] = await Promise.all([
      readFinishedAttemptsShared(db, runs([r2!, r3!, r4!])),
      readFinishedAttemptsShared(db, runs([r4!, r5!])),
    ]);
    expect(asked).toEqual([[r1, r2, r3], [r4], [r5]]);
    expect(b.map((a) => a.runId)).toEqual([r2, r2, r4, r4]);
    expect(c.map((a) => a.runId)).toEqual([r4, r4, r5, r5]);
    // Known, with or without attempts: no read at all.
    expect(await readFinishedAttemptsShared(db, runs([r3!, r1!]))).toHaveLength(2);
    expect(asked).toHaveLength(3);
    // The same id reconciled at another time (deleted and written again) is read again, and so
    // is every run of another database.
    await readFinishedAttemptsShared(db, runs([r1!], 2_000));
    expect(asked.at(-1)).toEqual([r1]);
    const other = fakeDb();
    await readFinishedAttemptsShared(other.db, runs([r1!, r2!]));
    expect(other.asked).toEqual([[r1, r2]]);
  });

  it("does not remember a failed read, and keeps within its bound", async () => {
    const bad = "bad";
    const failing = fakeDb(new Set([bad]));
    await expect(readFinishedAttemptsShared(failing.db, runs([bad]))).rejects.toThrow(
      /connection lost/,
    );
    expect(await readFinishedAttemptsShared(failing.db, runs(["good"]))).toHaveLength(2);
    expect(failing.asked).toEqual([[bad], ["good"]]);
    const { db, asked } = fakeDb();
    expect(await readFinishedAttemptsShared(db, runs([bad]))).toHaveLength(2);
    // More runs than the bound holds (3 per run: two attempts and the run): the oldest go.
    const many = Array.from({ length: Math.ceil(SHARED_ATTEMPTS_MAX / 3) + 10 }, (_, i) => `m${i}`);
    expect(await readFinishedAttemptsShared(db, runs(many))).toHaveLength(many.length * 2);
    await readFinishedAttemptsShared(db, runs([bad, many.at(-1)!]));
    expect(asked.at(-1)).toEqual([bad]);
  });
});
