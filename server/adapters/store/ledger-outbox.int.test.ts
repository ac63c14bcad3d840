/**
 * The ledger outbox (issues 14/15): inline runs commit their entries without the chain's lock;
 * the appender moves them into the hash chain. On PGlite and on PostgreSQL (TEST_DB=postgres,
 * where the pool's connections really run at once): concurrent inline runs and direct appends
 * leave every entry in the chain exactly once and the chain verifiable; entries committed by a
 * process that died before appending them are chained by the next one's start; two appenders
 * (two processes' own chain memories) racing over the same rows neither duplicate nor fork.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { appendAudit, verifyAudit } from "@/server/domain/audit/ledger";
import { receiveWebhook } from "@/server/domain/trigger/webhooks";
import { engineFor } from "@/server/testing/engine";
import { makeUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { seedWebhookFlow, signedDelivery, testVault } from "@/server/testing/webhooks";
import { LedgerOutbox } from "./ledger-outbox";
import { SqlLedger } from "./sql-audit";
import { sqlInlineRecorder } from "./sql-transactor";

let db: Database;
const vault = testVault();

const FLOW = `flow: outbox-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
inputs:
  n: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { twice: double(inputs.n) * 2.0 }
outputs:
  twice: \${{ steps.calc.output.twice }}
`;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await servicesFor(db).ledgerOutbox.settled();
  await db?.close();
});

/**
 * A workspace with a webhook flow and `send(i)`, which runs delivery i inline and answers its
 * run id. `dies`: the receiving process stops right after each commit (its appender never runs).
 */
async function setup(label: string, opts: { dies?: boolean } = {}) {
  const owner = await makeUser(db.prisma, label);
  const hook = await seedWebhookFlow(db.prisma, vault, owner, { name: "outbox-hook", dsl: FLOW });
  const engine = engineFor(db);
  const services = servicesFor(db);
  const deps = opts.dies
    ? { ...services, inlineRecorder: sqlInlineRecorder(db.driver, { wake: async () => {} }) }
    : services;
  const send = async (i: number) => {
    const res = await receiveWebhook(
      deps,
      signedDelivery(hook, JSON.stringify({ n: i }), { deliveryId: `${label}-${i}`, wait: true }),
      { vault, cacheMs: 0, rateLimiter: null, inline: { engine } },
    );
    expect(res).toMatchObject({ status: 200, body: { status: "succeeded" } });
    return (res.body as { runId: string }).runId;
  };
  return { workspaceId: owner.workspace.id, send };
}

const direct = (workspaceId: string, i: number) =>
  db.prisma.$transaction((tx) =>
    appendAudit(
      tx,
      { userId: null, label: "test", workspaceId },
      { action: "test.direct", subjectType: "workspace", subjectId: workspaceId, payload: { i } },
    ),
  );

/** The workspace's chain: its entries in order, and what the outbox still holds. */
async function chainOf(workspaceId: string) {
  const entries = await db.prisma.auditEntry.findMany({
    where: { workspaceId },
    orderBy: { seq: "asc" },
    select: { seq: true, action: true, subjectId: true, payload: true },
  });
  const waiting = await db.prisma.auditOutbox.count({ where: { workspaceId } });
  return { entries, waiting };
}

/** Each run's `run.start` and `run.succeeded` exactly once, in that order, and nothing else of it. */
function expectEachRunOnce(entries: Array<{ action: string; subjectId: string }>, runs: string[]) {
  for (const runId of runs)
    expect(entries.filter((e) => e.subjectId === runId).map((e) => e.action)).toEqual([
      "run.start",
      "run.succeeded",
    ]);
}

describe("ledger outbox", () => {
  it("chains every entry of concurrent inline runs and direct appends once, in a verifiable chain", async () => {
    const { workspaceId, send } = await setup("outbox-concurrent");
    const before = (await chainOf(workspaceId)).entries.length;
    const settled = await Promise.all([
      ...Array.from({ length: 24 }, (_, i) => send(i)),
      ...Array.from({ length: 6 }, (_, i) => direct(workspaceId, i)),
    ]);
    const runs = settled.slice(0, 24) as string[];
    await servicesFor(db).ledgerOutbox.settled();
    const { entries, waiting } = await chainOf(workspaceId);
    expect(waiting).toBe(0);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries).toHaveLength(before + 24 * 2 + 6);
    expectEachRunOnce(entries, runs);
    expect(entries.filter((e) => e.action === "test.direct")).toHaveLength(6);
    await expect(verifyAudit(db.prisma, workspaceId)).resolves.toMatchObject({
      ok: true,
      entries: before + 54,
    });
  });

  it("chains what a process committed before it died at the next process's start, before later appends", async () => {
    const { workspaceId, send } = await setup("outbox-crash", { dies: true });
    const before = (await chainOf(workspaceId)).entries.length;
    const runs: string[] = [];
    for (let i = 0; i < 5; i++) runs.push(await send(i));
    // Committed (the runs answered) but not chained: the rows wait in the outbox.
    expect(await chainOf(workspaceId)).toMatchObject({ waiting: 5 });
    expect((await chainOf(workspaceId)).entries).toHaveLength(before);
    await expect(verifyAudit(db.prisma, workspaceId)).resolves.toMatchObject({ ok: true });

    // The next process: its own chain memory and appender; started, it drains at once.
    const next = new LedgerOutbox(db.driver, new SqlLedger());
    const appender = next.start({ intervalMs: 60_000 });
    await appender.ready;
    await appender.stop();
    const { entries, waiting } = await chainOf(workspaceId);
    expect(waiting).toBe(0);
    expectEachRunOnce(entries, runs);
    // In commit order: run 0's entries first, run 4's last.
    const starts = entries.filter((e) => e.action === "run.start").map((e) => e.subjectId);
    expect(starts.slice(-5)).toEqual(runs);
    await expect(verifyAudit(db.prisma, workspaceId)).resolves.toMatchObject({
      ok: true,
      entries: before + 10,
    });
  });

  it("puts waiting entries before a direct append (the chain keeps the order of commits)", async () => {
    const { workspaceId, send } = await setup("outbox-order", { dies: true });
    const run = await send(1);
    await direct(workspaceId, 1);
    const { entries, waiting } = await chainOf(workspaceId);
    expect(waiting).toBe(0);
    expect(entries.slice(-3).map((e) => [e.action, e.subjectId])).toEqual([
      ["run.start", run],
      ["run.succeeded", run],
      ["test.direct", workspaceId],
    ]);
    await expect(verifyAudit(db.prisma, workspaceId)).resolves.toMatchObject({ ok: true });
  });

  it("two appenders racing over the same rows chain each entry once, without a fork", async () => {
    const { workspaceId, send } = await setup("outbox-race", { dies: true });
    const before = (await chainOf(workspaceId)).entries.length;
    const first: string[] = [];
    for (let i = 0; i < 8; i++) first.push(await send(i));
    // Two processes' appenders (each its own memory of the head), woken together, and sweeps,
    // while more runs commit and a person's action appends directly.
    const a = new LedgerOutbox(db.driver, new SqlLedger());
    const b = new LedgerOutbox(db.driver, new SqlLedger());
    const more = await Promise.all([
      a.wake(workspaceId),
      b.wake(workspaceId),
      a.drainAll(),
      b.drainAll(),
      ...Array.from({ length: 8 }, (_, i) => send(100 + i)),
      direct(workspaceId, 1),
      b.wake(workspaceId),
      a.wake(workspaceId),
    ]);
    await Promise.all([a.drainAll(), b.drainAll()]);
    await Promise.all([a.settled(), b.settled()]);
    const runs = [...first, ...(more.slice(4, 12) as string[])];
    const { entries, waiting } = await chainOf(workspaceId);
    expect(waiting).toBe(0);
    expect(entries.map((e) => e.seq)).toEqual(entries.map((_, i) => i + 1));
    expect(entries).toHaveLength(before + 16 * 2 + 1);
    expectEachRunOnce(entries, runs);
    const fork = await db.driver.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "AuditEntry" a JOIN "AuditEntry" b
         ON a."workspaceId" = b."workspaceId" AND a."prevHash" = b."prevHash" AND a."id" <> b."id"
       WHERE a."workspaceId" = $1::uuid`,
      [workspaceId],
    );
    expect(fork[0]!.n).toBe(0);
    await expect(verifyAudit(db.prisma, workspaceId)).resolves.toMatchObject({
      ok: true,
      entries: before + 33,
    });
  });

  it("shows waiting entries on the Audit page's read (it catches up first)", async () => {
    const { workspaceId, send } = await setup("outbox-read", { dies: true });
    const run = await send(7);
    const { listAudit } = await import("@/server/domain/audit/list-audit");
    const page = await listAudit(
      db.prisma,
      { userId: "", label: "t", workspaceId, role: "viewer", via: "session" },
      { limit: 5, subjectId: run },
    );
    expect(page.entries.map((e) => e.action)).toEqual(["run.succeeded", "run.start"]);
    expect((await chainOf(workspaceId)).waiting).toBe(0);
  });
});
