/**
 * Attack: no load shedding (issue 11, item 9). A burst of concurrent run starts used to queue
 * without bound in the web process (the embedded database behind it), so `/api/health` took
 * 18 s. Now every start passes one admission gate (server/domain/run/admission.ts): a bounded
 * number run, a bounded number wait, the rest are answered 503 with `Retry-After` at once and
 * write nothing; a workspace at its active-run cap is answered 429. Functional assertions only
 * (the latency figures are in bench/RESULTS.md, "Admission control").
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import { admissionRefusalAnswer, admissionResponseMeta } from "@/server/domain/run/admission";
import { receiveWebhook } from "@/server/domain/trigger/webhooks";
import type { Engine } from "@/server/engine/engine";
import { healthReport } from "@/server/health";
import { createContextInner } from "@/server/trpc/init";
import { appRouter } from "@/server/trpc/root";
import { engineFor, watchRunEnds } from "@/server/testing/engine";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { seedWebhookFlow, signedDelivery, testVault } from "@/server/testing/webhooks";
import { servicesFor } from "@/server/testing/services";

let db: Database;
let engine: Engine;
let worker: EmbeddedWorker;
const { ended, stop: stopListening } = watchRunEnds();
const vault = testVault();

beforeAll(async () => {
  db = await openTestDatabase();
  engine = engineFor(db);
  worker = startEmbeddedWorker(servicesFor(db), { engine, pollMs: 20 });
});

afterAll(async () => {
  stopListening();
  await worker?.stop();
  await db?.close();
  servicesFor(db).admission.configure();
});

const HOOK = `flow: burst-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { ok: "'yes'" }
outputs:
  ok: \${{ steps.calc.output.ok }}
`;

const HOLD = `flow: hold-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
steps:
  - id: ask
    uses: human.approval@1
    with:
      approvers: { role: approver }
      message: hold
`;

async function webhookWorkspace(label: string, dsl: string) {
  const owner = await makeUser(db.prisma, label);
  const hook = await seedWebhookFlow(db.prisma, vault, owner, { name: label, dsl });
  let seq = 0;
  /** A signed delivery answered as the webhook front ends answer it (refusals included). */
  const deliver = async (wait: boolean) => {
    try {
      return await receiveWebhook(
        servicesFor(db),
        signedDelivery(hook, `{${" ".repeat(seq++)}}`, { wait }),
        { vault, inline: { engine }, rateLimiter: null },
      );
    } catch (err) {
      const refused = admissionRefusalAnswer(err);
      if (!refused) throw err;
      return refused;
    }
  };
  /** `run.start` over tRPC's HTTP handler, as the route serves it (status and headers). */
  const startOverHttp = async () => {
    const req = new Request("http://127.0.0.1/api/trpc/run.start", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ json: { workflowId: hook.id, inputs: {} } }),
    });
    const res = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req,
      router: appRouter,
      createContext: () =>
        createContextInner({ db: db.prisma, user: owner.user, workspaceId: owner.workspace.id }),
      responseMeta: admissionResponseMeta,
    });
    const json = (await res.json()) as {
      result?: { data: { json: { id: string } } };
      error?: { json: { message: string } };
    };
    return {
      status: res.status,
      headers: { "Retry-After": res.headers.get("retry-after") ?? "" },
      body: { runId: json.result?.data.json.id, error: json.error?.json.message },
    };
  };
  return { owner, deliver, startOverHttp };
}

async function countRows(workspaceId: string) {
  const [runs, deliveries, starts] = await Promise.all([
    db.prisma.run.count({ where: { workspaceId } }),
    db.prisma.webhookDelivery.count({ where: { workspaceId } }),
    db.prisma.auditEntry.count({ where: { workspaceId, action: "run.start" } }),
  ]);
  return { runs, deliveries, starts };
}

describe("no load shedding", () => {
  it("a burst beyond the admission limit gets 503 with Retry-After; every accepted run completes; refused ones leave no rows", async () => {
    // Slots and queue only (the event-loop lag rule has its own test below).
    const gate = servicesFor(db).admission.configure({ concurrency: 2, queue: 3, maxLagMs: 0 });
    const w = await webhookWorkspace("burst", HOOK);
    // Both slots are busy when the burst arrives (as under a real burst): 3 wait, the rest are
    // refused at once.
    const held = [gate.tryEnter()!, gate.tryEnter()!];
    const calls = Array.from({ length: 30 }, (_, i) =>
      i % 3 === 0 ? w.startOverHttp() : w.deliver(i % 3 === 2),
    );
    let answered = 0;
    let allRefused!: () => void;
    const refusedArrived = new Promise<void>((r) => (allRefused = r));
    const tracked = calls.map((p) =>
      p.then((a) => {
        if (++answered === 27) allRefused();
        return a;
      }),
    );
    await refusedArrived;
    expect(gate.stats()).toMatchObject({ active: 2, waiting: 3, refused: 27 });
    for (const release of held) release();
    const answers = await Promise.all(tracked);

    const refused = answers.filter((a) => a.status === 503);
    const accepted = answers.filter((a) => a.status === 200 || a.status === 202);
    expect(refused).toHaveLength(27);
    expect(accepted).toHaveLength(3);
    for (const a of refused) {
      expect(a.headers?.["Retry-After"]).toBe("1");
      expect(JSON.stringify(a.body)).toContain("TRUSTFLOW_ADMISSION_SLOTS");
    }
    // Every accepted run completes.
    const runIds = accepted.map((a) => String(a.body.runId));
    expect(runIds.every((id) => id !== "undefined")).toBe(true);
    const outcomes = await Promise.all(runIds.map(ended));
    expect(outcomes.map((o) => o.status)).toEqual(["succeeded", "succeeded", "succeeded"]);
    // The refused ones left nothing: no run, no delivery (their replay guard), no ledger entry.
    const rows = await countRows(w.owner.workspace.id);
    expect(rows.runs).toBe(3);
    expect(rows.starts).toBe(3);
    const hooksAccepted = answers.filter(
      (a, i) => i % 3 !== 0 && (a.status === 200 || a.status === 202),
    ).length;
    expect(rows.deliveries).toBe(hooksAccepted);

    // The process keeps answering: the health check, and new starts once the burst is over.
    const health = await healthReport(db, "test");
    expect(health.status).toBe(200);
    const after = await w.deliver(true);
    expect(after.status).toBe(200);
    expect(gate.stats()).toMatchObject({ active: 0, waiting: 0 });
  });

  it("a burst the event loop is late for admits a turn's share and refuses the rest with 503", async () => {
    // The embedded database never waits for I/O, so starts run one after the other and never
    // contend for a slot; a late event loop is what shows the burst. (A stand-in clock: the
    // loop is 500 ms late and its timer has not run since the burst began.)
    const loop = { lag: 500, turnNo: 1, lagMs: () => loop.lag, turn: () => loop.turnNo };
    servicesFor(db).admission.configure({ concurrency: 2, queue: 64, maxLagMs: 100 }, loop);
    const w = await webhookWorkspace("lagging", HOOK);
    const answers = [];
    for (let i = 0; i < 6; i++)
      answers.push(await (i % 3 === 0 ? w.startOverHttp() : w.deliver(i % 3 === 2)));
    expect(answers.map((a) => a.status)).toEqual([200, 202, 503, 503, 503, 503]);
    for (const a of answers.slice(2)) {
      expect(a.headers?.["Retry-After"]).toBe("1");
      expect(JSON.stringify(a.body)).toContain("TRUSTFLOW_ADMISSION_MAX_LAG_MS");
    }
    expect(await countRows(w.owner.workspace.id)).toMatchObject({ runs: 2, starts: 2 });
    // The loop caught up (its timer ran): starts are admitted again.
    loop.lag = 0;
    loop.turnNo += 1;
    expect((await w.deliver(true)).status).toBe(200);
  });

  it("the health check answers from its last probe while the database is busy", async () => {
    // A database whose queue never drains after the first probe (as under a burst).
    let calls = 0;
    const busy = {
      kind: "pglite" as const,
      driver: {
        ...db.driver,
        query: <T>(sql: string, params?: unknown[]) =>
          ++calls <= 2 ? db.driver.query<T>(sql, params) : new Promise<T[]>(() => {}),
      },
    };
    const first = await healthReport(busy, "test", { refreshMs: 0 });
    expect(first.status).toBe(200);
    const during = await healthReport(busy, "test", { refreshMs: 0, freshMs: 0, waitMs: 1 });
    expect(during.status).toBe(200);
    expect(during.body).toMatchObject({ status: "ok", database: { ok: true, busy: true } });
    // A probe that never answers for `downMs` means the database is down.
    const stuck = await healthReport(busy, "test", { freshMs: 0, waitMs: 1, downMs: 0 });
    expect(stuck.status).toBe(503);
  });

  it("a workspace at its active-run cap gets 429 with Retry-After on every path; nothing is written", async () => {
    servicesFor(db).admission.configure({ maxActiveRuns: 2 });
    const w = await webhookWorkspace("capped", HOLD);
    // Two runs that stay active (waiting for a person).
    const first = await w.deliver(false);
    const second = await w.startOverHttp();
    expect([first.status, second.status]).toEqual([202, 200]);
    const before = await countRows(w.owner.workspace.id);

    for (const a of [await w.deliver(false), await w.deliver(true), await w.startOverHttp()]) {
      expect(a.status).toBe(429);
      expect(a.headers?.["Retry-After"]).toBeTruthy();
      expect(JSON.stringify(a.body)).toContain("TRUSTFLOW_MAX_ACTIVE_RUNS");
    }
    expect(await countRows(w.owner.workspace.id)).toEqual(before);

    // Another workspace is not affected by this one's cap.
    const other = await webhookWorkspace("uncapped", HOOK);
    expect((await other.deliver(true)).status).toBe(200);
  });
});
