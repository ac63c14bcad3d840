/**
 * The finished-runs consumers' loop catches up in large batches: after a full batch (a backlog,
 * such as the demo history at the first start) the next batches ask for `CATCH_UP_BATCH` runs,
 * until one is not full; a late sweep and the batch after it use the consumer's own size.
 */
import { describe, expect, it } from "vitest";
import { batchOf, CATCH_UP_BATCH, startFinishedRunsConsumer } from "./finished-runs";

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
        return { more };
      },
      { error: () => undefined },
      "test consumer",
      { gapMs: 1, idleMs: 1 },
    );
    await finished;
    await consumer.stop();
    // The first batch is also the first late sweep (own size); the next ones catch up.
    expect(asked.slice(0, 4)).toEqual([
      { late: true, batch: undefined },
      { late: false, batch: undefined },
      { late: false, batch: CATCH_UP_BATCH },
      { late: false, batch: CATCH_UP_BATCH },
    ]);
  });

  it("passes the first size given, or none", () => {
    expect(batchOf(CATCH_UP_BATCH, 50)).toEqual({ batch: CATCH_UP_BATCH });
    expect(batchOf(undefined, 50)).toEqual({ batch: 50 });
    expect(batchOf(undefined, undefined)).toEqual({});
  });
});
