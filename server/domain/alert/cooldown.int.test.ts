/**
 * The alert cooldown is an atomic claim (issue 17 item 6): evaluators racing — the embedded
 * worker and `npm run worker`, or two servers — fire an alert once: one event, one webhook
 * delivery, one notification per member. On PGlite and, with TEST_DB=postgres, on PostgreSQL
 * (a pool of five connections: the evaluators' statements really run at once there).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { bucketOf, emptyStats } from "@/server/domain/anomaly/metrics";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { claimFiring, evaluateAlerts } from "./evaluate";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const KEY = "crm.contact.get@1.0.0";
const COOLDOWN = 30 * 60_000;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "cooldown");
});
afterAll(() => db?.close());

/** A 5-minute bucket of the block at `now` with half its calls failed. */
async function failingBucket(now: number) {
  await db.prisma.anomalyBucket.upsert({
    where: {
      workspaceId_kind_key_bucket: {
        workspaceId: owner.workspace.id,
        kind: "block",
        key: KEY,
        bucket: new Date(bucketOf(now)),
      },
    },
    update: {},
    create: {
      workspaceId: owner.workspace.id,
      kind: "block",
      key: KEY,
      bucket: new Date(bucketOf(now)),
      runs: 20,
      calls: 20,
      failures: 10,
      latency: emptyStats().latency,
    },
  });
}

async function fired(ruleId: string) {
  const [events, deliveries, notes] = await Promise.all([
    db.prisma.alertEvent.findMany({ where: { ruleId } }),
    db.prisma.webhookEndpointDelivery.count({
      where: { workspaceId: owner.workspace.id, eventType: "alert.fired" },
    }),
    db.prisma.notification.count({
      where: { workspaceId: owner.workspace.id, kind: "alert.fired" },
    }),
  ]);
  return { events, deliveries, notes };
}

describe("alert cooldown", () => {
  it("evaluators racing fire once per cooldown; acknowledging still works", async () => {
    const { rule } = await api().alert.createRule({
      name: "Block errors",
      kind: "error_rate",
      entityKind: "block",
      entityKey: KEY,
      threshold: 0.3,
      cooldownMinutes: COOLDOWN / 60_000,
      webhookUrl: "https://hooks.example.com/alerts",
    });
    const now = Date.now();
    await failingBucket(now);

    // Four evaluators at once, with clocks a few milliseconds apart.
    const counts = await Promise.all([0, 1, 2, 3].map((d) => evaluateAlerts(db.prisma, now + d)));
    expect(counts.reduce((a, b) => a + b, 0)).toBe(1);
    let f = await fired(rule.id);
    expect(f.events).toHaveLength(1);
    expect(f.deliveries).toBe(1);
    expect(f.notes).toBe(1); // the one member

    // Within the cooldown nobody fires it again.
    expect(await evaluateAlerts(db.prisma, now + COOLDOWN - 1000)).toBe(0);

    const ack = await api().alert.acknowledge({ id: f.events[0]!.id });
    expect(ack.ackBy).toBe(owner.user.email);
    await expect(api().alert.acknowledge({ id: f.events[0]!.id })).rejects.toThrow(/already/);

    // Past the cooldown the condition still holds: it fires once more, again once for all.
    const later = now + COOLDOWN + 1000;
    await failingBucket(later);
    const again = await Promise.all([0, 1, 2].map((d) => evaluateAlerts(db.prisma, later + d)));
    expect(again.reduce((a, b) => a + b, 0)).toBe(1);
    f = await fired(rule.id);
    expect(f.events).toHaveLength(2);
    expect(f.events.filter((e) => e.ackAt)).toHaveLength(1);
    expect(f.deliveries).toBe(2);
  });

  it("a claim held by an open transaction makes a concurrent claim find it taken", async () => {
    const { rule } = await api().alert.createRule({
      name: "Claims",
      kind: "trust_floor",
      threshold: 0.5,
      cooldownMinutes: 10,
    });
    const r = { id: rule.id, cooldownMs: 10 * 60_000 };
    const now = Date.now();
    let release!: () => void;
    const held = new Promise<void>((ok) => (release = ok));
    const first = db.prisma.$transaction(
      async (tx) => {
        const won = await claimFiring(tx, r, "flow:x", now);
        await held;
        return won;
      },
      { timeout: 20_000 },
    );
    await new Promise((ok) => setTimeout(ok, 100));
    const second = db.prisma.$transaction((tx) => claimFiring(tx, r, "flow:x", now + 5), {
      timeout: 20_000,
    });
    await new Promise((ok) => setTimeout(ok, 200));
    release();
    expect(await Promise.all([first, second])).toEqual([true, false]);
    // Another subject, or the same past its cooldown, is claimed.
    expect(await db.prisma.$transaction((tx) => claimFiring(tx, r, "flow:y", now))).toBe(true);
    expect(
      await db.prisma.$transaction((tx) => claimFiring(tx, r, "flow:x", now + r.cooldownMs + 1)),
    ).toBe(true);
  });
});
