import { describe, expect, it } from "vitest";
import { chainEntries, fromOutboxEntry, toOutboxEntry, type AuditBatchEntry } from "./chain";

const WS = "00000000-0000-4000-8000-000000000001";
const at = new Date("2026-12-06T08:00:00.123Z");
const entries: AuditBatchEntry[] = [
  {
    actor: { label: "webhook:orders", userId: null },
    record: {
      action: "run.start",
      subjectType: "run",
      subjectId: "r1",
      payload: { flow: "orders", inputs: { apiKey: "k-123", url: "https://u:pw@host/x" }, n: 1.5 },
    },
    now: at,
  },
  {
    actor: { label: "engine", userId: null },
    record: { action: "run.succeeded", subjectType: "run", subjectId: "r1" },
    now: new Date(at.getTime() - 5), // the clock ran backwards: the chain's time does not
  },
];

describe("the ledger outbox's form of an entry", () => {
  it("chains to the same hashes as the entry appended directly (through JSON, as stored)", () => {
    const head = { seq: 7, hash: "a".repeat(64), atMs: at.getTime() - 1000 };
    const viaOutbox = entries.map((e) =>
      fromOutboxEntry(JSON.parse(JSON.stringify(toOutboxEntry(e, 0)))),
    );
    const direct = chainEntries(WS, head, entries);
    expect(chainEntries(WS, head, viaOutbox)).toEqual(direct);
    expect(direct.map((d) => d.seq)).toEqual([8, 9]);
  });

  it("holds no secret: secret-named values and URL credentials are redacted before it is stored", () => {
    const stored = JSON.stringify(toOutboxEntry(entries[0]!));
    expect(stored).not.toContain("k-123");
    expect(stored).not.toContain("pw@");
    expect(stored).toContain("[redacted]");
  });

  it("takes the given time when the entry has none", () => {
    const { now: _, ...timeless } = entries[1]!;
    expect(toOutboxEntry(timeless, 42).at).toBe(42);
    expect(fromOutboxEntry(toOutboxEntry(timeless, 42)).now).toEqual(new Date(42));
  });
});
