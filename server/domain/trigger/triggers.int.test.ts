import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import { appendAudit } from "@/server/domain/audit/ledger";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import type { Actor } from "@/server/domain/types";
import { engineFor } from "@/server/testing/engine";
import { adminActor, callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { testVault } from "@/server/testing/webhooks";
import { fireDueSchedules, listSchedules } from "./schedules";
import { signWebhook } from "./signature";
import { getWebhook, receiveWebhook, revokeWebhook, rotateWebhookSecret } from "./webhooks";
import { servicesFor } from "@/server/testing/services";
import { SqlRunStore, sqlFromDriver } from "@/server/adapters/store/sql-run-store";
import { engineRegistry } from "@/server/adapters/metrics/prom-metrics";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";

let db: Database;
let worker: EmbeddedWorker;
let owner: Awaited<ReturnType<typeof makeUser>>;
let actor: Actor;
const vault = testVault();

const HOOK = `flow: order-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
inputs:
  amount: { type: number }
  customer: { type: string }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0 }
outputs:
  double: \${{ steps.calc.output.double }}
  customer: \${{ inputs.customer }}
`;

const CRON = `flow: every-minute
version: 1.0.0
sla: T2
trigger:
  schedule: { cron: "* * * * *" }
steps:
  - id: noop
    uses: data.transform@1
    with:
      fields: { ok: "'yes'" }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "hooks");
  actor = adminActor(owner);
  worker = startEmbeddedWorker(servicesFor(db), {
    engine: engineFor(db),
    pollMs: 20,
  });
});
afterAll(async () => {
  await worker?.stop();
  await db?.close();
});

const now = () => Math.floor(Date.now() / 1000);

describe("webhook triggers", () => {
  it("manages the secret, verifies signatures, refuses replays and bad inputs, answers with the output", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Order hook", dsl: HOOK });
    const manual = await api.workflow.create({
      name: "Manual",
      dsl: CRON.replace('schedule: { cron: "* * * * *" }', "manual: {}").replace(
        "every-minute",
        "manual-one",
      ),
    });
    await expect(
      rotateWebhookSecret({ ...servicesFor(db), vault }, actor, { workflowId: manual.id }),
    ).rejects.toMatchObject({ code: "PRECONDITION_FAILED" });
    await expect(getWebhook(db.prisma, actor, { workflowId: wf.id })).resolves.toEqual({
      configured: false,
    });

    const { secret, path, hint } = await rotateWebhookSecret({ ...servicesFor(db), vault }, actor, {
      workflowId: wf.id,
    });
    expect(path).toBe(`/api/hooks/${owner.workspace.slug}/order-hook`);
    expect(secret.endsWith(hint)).toBe(true);
    await expect(getWebhook(db.prisma, actor, { workflowId: wf.id })).resolves.toMatchObject({
      configured: true,
      hint,
    });

    const deliver = (body: string, o: { sig?: string | null; id?: string; wait?: boolean } = {}) =>
      receiveWebhook(
        servicesFor(db),
        {
          workspaceSlug: owner.workspace.slug,
          flowName: "order-hook",
          body,
          signature: o.sig === undefined ? signWebhook(secret, body, now()) : o.sig,
          deliveryId: o.id ?? null,
          wait: o.wait ?? false,
        },
        { vault, cacheMs: 0 },
      );

    const body = JSON.stringify({ amount: 21, customer: "ACME" });
    const sync = await deliver(body, { id: "d-1", wait: true });
    expect(sync).toMatchObject({
      status: 200,
      body: { status: "succeeded", output: { double: 42, customer: "ACME" } },
    });
    // The same delivery id again: refused, no second run.
    await expect(deliver(body, { id: "d-1" })).resolves.toMatchObject({ status: 409 });
    // Without a delivery id the signed content is the replay key (another body: the first
    // delivery may have been signed in this very second, which would make it the same content).
    const other = JSON.stringify({ amount: 21, customer: "Initech" });
    const sig = signWebhook(secret, other, now());
    await expect(deliver(other, { sig })).resolves.toMatchObject({ status: 202 });
    await expect(deliver(other, { sig })).resolves.toMatchObject({ status: 409 });

    await expect(deliver(body, { sig: null })).resolves.toMatchObject({ status: 401 });
    await expect(
      deliver(body, { sig: signWebhook(secret, body, now() - 600) }),
    ).resolves.toMatchObject({ status: 401, body: { error: expect.stringMatching(/5 minutes/) } });
    await expect(
      deliver(body, { sig: signWebhook("whsec_wrong", body, now()) }),
    ).resolves.toMatchObject({ status: 401 });
    await expect(deliver(JSON.stringify({ amount: "lots" }))).resolves.toMatchObject({
      status: 400,
      body: { fieldErrors: { amount: [expect.any(String)], customer: [expect.any(String)] } },
    });
    await expect(deliver("not json")).resolves.toMatchObject({ status: 400 });

    const runs = await db.prisma.run.findMany({ where: { workflowId: wf.id } });
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.startedBy === "webhook:order-hook")).toBe(true);
    const starts = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, action: "run.start" },
    });
    expect(starts.map((s) => s.actorLabel)).toEqual(["webhook:order-hook", "webhook:order-hook"]);
    await expect(api.audit.verify()).resolves.toMatchObject({ ok: true });

    // A rotated secret replaces the old one at once; a revoked webhook is gone.
    const rotated = await rotateWebhookSecret({ ...servicesFor(db), vault }, actor, {
      workflowId: wf.id,
    });
    expect(rotated.secret).not.toBe(secret);
    await expect(deliver(body, { id: "d-2" })).resolves.toMatchObject({ status: 401 });
    await revokeWebhook(servicesFor(db), actor, { workflowId: wf.id });
    await expect(deliver(body, { id: "d-3" })).resolves.toMatchObject({ status: 404 });
  });
});

describe("synchronous webhooks run inline", () => {
  const WRITE = `flow: write-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
steps:
  - id: prep
    uses: data.transform@1
    with:
      fields: { id: "'CON-1'" }
  - id: write
    uses: crm.contact.update@1
    needs: [prep]
    with:
      id: \${{ steps.prep.output.id }}
      lifecycle: customer
outputs:
  id: \${{ steps.prep.output.id }}
`;

  it("records a pure run in one transaction, refuses a replay, and records a run before its side effect", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    // What the store holds when the write runs: the run and its delivery must be there.
    const seen: Array<{ run: unknown; deliveries: number }> = [];
    const builtin = builtinRuntimes();
    const engine = engineFor(db, {
      runtimes: {
        get: (id) =>
          id === "crm.contact.update"
            ? {
                async execute(req) {
                  const [run] = await db.driver.query<{ status: string }>(
                    `SELECT "status"::text AS status FROM "Run" WHERE "id" = $1::uuid`,
                    [req.run.id],
                  );
                  const [d] = await db.driver.query<{ n: number }>(
                    `SELECT count(*)::int AS n FROM "WebhookDelivery" WHERE "runId" = $1::uuid`,
                    [req.run.id],
                  );
                  seen.push({ run: run ?? null, deliveries: d!.n });
                  return { id: req.inputs.id, updated: true };
                },
              }
            : builtin.get(id),
      },
    });
    const inline = { engine };
    const hooks: Record<string, string> = {};
    for (const [name, dsl] of [
      ["order-hook", HOOK.replace("order-hook", "inline-hook")],
      ["write-hook", WRITE],
    ] as const) {
      const wf = await api.workflow.create({ name, dsl });
      hooks[name] = (
        await rotateWebhookSecret({ ...servicesFor(db), vault }, actor, { workflowId: wf.id })
      ).secret;
    }
    const deliver = (flowName: string, secret: string, body: string, id: string) =>
      receiveWebhook(
        servicesFor(db),
        {
          workspaceSlug: owner.workspace.slug,
          flowName,
          body,
          signature: signWebhook(secret, body, now()),
          deliveryId: id,
          wait: true,
        },
        { vault, cacheMs: 0, inline },
      );
    const body = JSON.stringify({ amount: 2, customer: "Initech" });
    const ok = await deliver("inline-hook", hooks["order-hook"]!, body, "i-1");
    expect(ok).toMatchObject({
      status: 200,
      body: { status: "succeeded", output: { double: 4, customer: "Initech" } },
    });
    const runId = (ok.body as { runId: string }).runId;
    // Run, steps, events and both ledger entries are stored; the run is not leased any more.
    const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run).toMatchObject({ status: "succeeded", leaseOwner: null, dueAt: null });
    expect(run.startedAt).not.toBeNull();
    // Read as the run view reads them: a pure step's attempt and the events are recorded
    // compactly with their checkpoint (RunStepLog), expanded by the store.
    const runStore = new SqlRunStore(sqlFromDriver(db.driver));
    const attempts = await runStore.listAttempts(runId);
    expect(attempts.map((a) => [a.stepId, a.status])).toEqual([["calc", "succeeded"]]);
    const events = await runStore.listEvents(runId);
    expect(events.map((e) => [e.seq, e.type])).toEqual([
      [1, "run.started"],
      [2, "step.succeeded"],
      [3, "run.succeeded"],
    ]);
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: runId },
      orderBy: { seq: "asc" },
    });
    expect(ledger.map((e) => [e.action, e.actorLabel])).toEqual([
      ["run.start", "webhook:inline-hook"],
      ["run.succeeded", "engine"],
    ]);
    // A replay is refused and records nothing.
    await expect(deliver("inline-hook", hooks["order-hook"]!, body, "i-1")).resolves.toMatchObject({
      status: 409,
    });
    await expect(db.prisma.run.count({ where: { workflowId: run.workflowId } })).resolves.toBe(1);

    // A side effect runs only once the run and its delivery are committed; it is written once.
    const w = await deliver("write-hook", hooks["write-hook"]!, "{}", "w-1");
    expect(w).toMatchObject({
      status: 200,
      body: { status: "succeeded", output: { id: "CON-1" } },
    });
    expect(seen).toEqual([{ run: { status: "running" }, deliveries: 1 }]);
    const wRun = (w.body as { runId: string }).runId;
    // The pure run was whole in its one checkpoint: reconciled as it was recorded. The run with
    // a side effect is left to the background reconciler.
    expect(run.reconciledAt).not.toBeNull();
    await expect(
      db.prisma.run.findUniqueOrThrow({ where: { id: wRun }, select: { reconciledAt: true } }),
    ).resolves.toEqual({ reconciledAt: null });
    const rows = (await runStore.listAttempts(wRun)).sort((a, b) =>
      a.stepId.localeCompare(b.stepId),
    );
    expect(rows.map((a) => [a.stepId, a.attempt, a.status])).toEqual([
      ["prep", 1, "succeeded"],
      ["write", 1, "succeeded"],
    ]);
    await expect(api.audit.verify()).resolves.toMatchObject({ ok: true });

    // Concurrent inline runs and other appenders of the same chain: every run is recorded
    // once and the chain stays intact (a stale head falls back to the locked transaction).
    const results = await Promise.all([
      ...Array.from({ length: 12 }, (_, i) =>
        deliver(
          "inline-hook",
          hooks["order-hook"]!,
          JSON.stringify({ amount: 10 + i, customer: "Initech" }),
          `c-${i}`,
        ),
      ),
      ...Array.from({ length: 4 }, (_, i) =>
        db.prisma.$transaction((tx) =>
          appendAudit(tx, actor, {
            action: "test.concurrent",
            subjectType: "workspace",
            subjectId: actor.workspaceId,
            payload: { i },
          }),
        ),
      ),
    ]);
    expect(results.slice(0, 12).map((r) => (r as { status: number }).status)).toEqual(
      Array(12).fill(200),
    );
    await expect(api.audit.verify()).resolves.toMatchObject({ ok: true });
    await expect(
      db.prisma.auditEntry.count({
        where: { workspaceId: owner.workspace.id, action: "run.succeeded", actorLabel: "engine" },
      }),
    ).resolves.toBeGreaterThanOrEqual(14);
  });
});

describe("an inline run whole in its first checkpoint", () => {
  const REPAIR = `flow: repair-hook
version: 1.0.0
sla: T2
trigger:
  webhook: {}
steps:
  - id: repair
    uses: data.json.repair@1
    with:
      text: "{'a': 1}"
  - id: shape
    uses: data.transform@1
    needs: [repair]
    with:
      fields: { ok: "'yes'" }
`;

  async function findingsMetric(kind: string): Promise<number> {
    const metric = await engineRegistry
      .getSingleMetric("trustflow_reconciliation_findings_total")
      ?.get();
    return metric?.values.find((v) => v.labels.kind === kind)?.value ?? 0;
  }

  it("is reconciled as it is recorded, with the findings the background reconciler gives its stored records", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    // A pure block whose output breaks its contract (no `repaired`): a finding to record.
    const runtimes = builtinRuntimes();
    runtimes.register("data.json.repair", { pure: true, execute: () => ({ value: { a: 1 } }) });
    const wf = await api.workflow.create({ name: "repair-hook", dsl: REPAIR });
    const secret = (
      await rotateWebhookSecret({ ...servicesFor(db), vault }, actor, { workflowId: wf.id })
    ).secret;
    const before = await findingsMetric("output_invalid");
    const res = await receiveWebhook(
      servicesFor(db),
      {
        workspaceSlug: owner.workspace.slug,
        flowName: "repair-hook",
        body: "{}",
        signature: signWebhook(secret, "{}", now()),
        deliveryId: "r-1",
        wait: true,
      },
      { vault, cacheMs: 0, inline: { engine: engineFor(db, { runtimes }) } },
    );
    expect(res).toMatchObject({ status: 200, body: { status: "succeeded" } });
    const runId = (res.body as { runId: string }).runId;
    // Marked reconciled and its finding written in the run's own statement: no reconciler ran.
    const run = await db.prisma.run.findUniqueOrThrow({ where: { id: runId } });
    expect(run.reconciledAt).not.toBeNull();
    const stored = async () =>
      (
        await db.prisma.runFinding.findMany({
          where: { runId },
          select: { kind: true, stepId: true, detail: true, workspaceId: true },
          orderBy: { kind: "asc" },
        })
      ).map((f) => ({ ...f }));
    const inline = await stored();
    expect(inline).toEqual([
      expect.objectContaining({
        kind: "output_invalid",
        stepId: "repair",
        workspaceId: owner.workspace.id,
      }),
    ]);
    expect(await findingsMetric("output_invalid")).toBe(before + 1);

    // The background reconciler, given the same run as stored, finds the same.
    await db.prisma.runFinding.deleteMany({ where: { runId } });
    await db.prisma.run.update({ where: { id: runId }, data: { reconciledAt: null } });
    for (;;) {
      const r = await reconcileEndedRuns(servicesFor(db).reconciliation, { limit: 100 });
      if (!r.more) break;
    }
    expect(await stored()).toEqual(inline);
  });
});

describe("a busy workspace's inline runs are recorded together", () => {
  const TOGETHER = HOOK.replace("order-hook", "together-hook");
  let secret = "";
  const deliver = (body: string, id: string) =>
    receiveWebhook(
      servicesFor(db),
      {
        workspaceSlug: owner.workspace.slug,
        flowName: "together-hook",
        body,
        signature: signWebhook(secret, body, now()),
        deliveryId: id,
        wait: true,
      },
      { vault, cacheMs: 0, inline: { engine: engineFor(db) } },
    );
  const statuses = (rs: Array<{ status: number }>) =>
    rs.reduce<Record<number, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {});
  const ledgerOf = async (runIds: string[]) =>
    db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: { in: runIds } },
      select: { action: true, subjectId: true },
    });

  beforeAll(async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "together-hook", dsl: TOGETHER });
    secret = (
      await rotateWebhookSecret({ ...servicesFor(db), vault }, actor, { workflowId: wf.id })
    ).secret;
  });
  afterEach(() => vi.restoreAllMocks());

  it("shares transactions between concurrent runs; a duplicate delivery in a batch is refused alone", async () => {
    const real = db.driver.transaction.bind(db.driver);
    // Each statement's text, to count the runs each one writes.
    const statements: string[] = [];
    const transactions = vi.spyOn(db.driver, "transaction").mockImplementation((fn, opts) =>
      real(
        (tx) =>
          fn({
            ...tx,
            query: (sql: string, params?: unknown[]) => {
              statements.push(sql);
              return tx.query(sql, params);
            },
          } as typeof tx),
        opts,
      ),
    );
    const bodies = Array.from({ length: 24 }, (_, i) =>
      JSON.stringify({ amount: i, customer: "Batch" }),
    );
    const results = await Promise.all([
      ...bodies.map((b, i) => deliver(b, `t-${i}`)),
      // The same deliveries again, in the same burst: one of each pair is refused.
      ...[3, 11, 19].map((i) => deliver(bodies[i]!, `t-${i}`)),
    ]);
    expect(statuses(results)).toEqual({ 200: 24, 409: 3 });
    const runIds = results.flatMap((r) =>
      r.status === 200 ? [(r.body as { runId: string }).runId] : [],
    );
    expect(new Set(runIds).size).toBe(24);
    // Every run's output is its own input's.
    const doubles = results.flatMap((r) =>
      r.status === 200 ? [(r.body as { output: { double: number } }).output.double] : [],
    );
    expect(doubles.sort((a, b) => a - b)).toEqual(bodies.map((_, i) => i * 2));
    // Each run: one start and one end entry, the chain intact.
    const entries = await ledgerOf(runIds);
    expect(entries.filter((e) => e.action === "run.start")).toHaveLength(24);
    expect(entries.filter((e) => e.action === "run.succeeded")).toHaveLength(24);
    await expect(
      callerFor(db.prisma, owner.user, owner.workspace.id).audit.verify(),
    ).resolves.toMatchObject({ ok: true });
    // Fewer commits than runs: runs that waited behind a write were recorded in one transaction,
    // several of them in one statement (each run's CTEs renamed, `upd_run_0`, `upd_run_1`, ...).
    expect(transactions.mock.calls.length).toBeLessThan(24);
    expect(transactions).toHaveBeenCalled();
    expect(statements.some((sql) => sql.includes("upd_run_1 AS ("))).toBe(true);
    // The head the workspace stores is the chain's last entry (a joined statement moves it once,
    // to where its last run that wrote left it).
    const [last] = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id },
      orderBy: { seq: "desc" },
      take: 1,
    });
    await expect(
      db.prisma.workspace.findUnique({
        where: { id: owner.workspace.id },
        select: { auditSeq: true, auditHead: true },
      }),
    ).resolves.toEqual({ auditSeq: last!.seq, auditHead: last!.hash });
  });

  it("starts the next batch while one commits; it waits for that commit on the ledger's lock", async () => {
    const real = db.driver.transaction.bind(db.driver);
    let slowed = 0;
    const batches: string[][] = [];
    // The first batch's commit takes 300 ms: the runs that arrive meanwhile form the next batch,
    // which begins before it (on PostgreSQL; PGlite runs one transaction at a time).
    vi.spyOn(db.driver, "transaction").mockImplementation(async (fn, opts) => {
      const first = slowed++ === 0;
      const out = await real(async (tx) => {
        const seen: string[] = [];
        batches.push(seen);
        const r = await fn({
          ...tx,
          query: (sql: string, params?: unknown[]) => {
            seen.push(sql.trimStart().slice(0, 32));
            return tx.query(sql, params);
          },
        } as typeof tx);
        if (first) await new Promise((res) => setTimeout(res, 300));
        return r;
      }, opts);
      return out;
    });
    const bodies = Array.from({ length: 16 }, (_, i) =>
      JSON.stringify({ amount: 200 + i, customer: "Pipelined" }),
    );
    const first = bodies.slice(0, 6).map((b, i) => deliver(b, `p-${i}`));
    // The rest arrive while the first batch is being written and committed.
    await new Promise((res) => setTimeout(res, 100));
    const rest = bodies.slice(6).map((b, i) => deliver(b, `p-${6 + i}`));
    const results = await Promise.all([...first, ...rest]);
    expect(statuses(results)).toEqual({ 200: 16 });
    const doubles = results.map((r) => (r.body as { output: { double: number } }).output.double);
    expect(doubles).toEqual(bodies.map((_, i) => (200 + i) * 2));
    const runIds = results.map((r) => (r.body as { runId: string }).runId);
    const entries = await ledgerOf(runIds);
    expect(entries).toHaveLength(32);
    await expect(
      callerFor(db.prisma, owner.user, owner.workspace.id).audit.verify(),
    ).resolves.toMatchObject({ ok: true });
    // A batch that started behind another took the ledger's lock first, in a statement of its own.
    expect(batches.length).toBeGreaterThan(1);
    expect(batches.slice(1).some((b) => b[0]?.startsWith("SELECT pg_advisory_xact_lock"))).toBe(
      true,
    );
  });

  it("records a batch's runs after it when another appender moved the chain's head under it", async () => {
    const real = db.driver.transaction.bind(db.driver);
    let moved = 0;
    // Before the first batch runs, another process appends to the workspace's ledger: every
    // statement of the batch was built on a head that is no longer the chain's.
    vi.spyOn(db.driver, "transaction").mockImplementation(async (fn, opts) => {
      if (opts?.pipelined && !moved++)
        await db.prisma.$transaction((tx) =>
          appendAudit(tx, actor, {
            action: "test.elsewhere",
            subjectType: "workspace",
            subjectId: actor.workspaceId,
            payload: {},
          }),
        );
      return real(fn, opts);
    });
    const bodies = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ amount: 300 + i, customer: "Moved" }),
    );
    const results = await Promise.all(bodies.map((b, i) => deliver(b, `moved-${i}`)));
    expect(moved).toBeGreaterThan(0);
    expect(statuses(results)).toEqual({ 200: 12 });
    const doubles = results.map((r) => (r.body as { output: { double: number } }).output.double);
    expect(doubles).toEqual(bodies.map((_, i) => (300 + i) * 2));
    const runIds = results.map((r) => (r.body as { runId: string }).runId);
    await expect(db.prisma.run.count({ where: { id: { in: runIds } } })).resolves.toBe(12);
    expect(await ledgerOf(runIds)).toHaveLength(24);
    await expect(
      callerFor(db.prisma, owner.user, owner.workspace.id).audit.verify(),
    ).resolves.toMatchObject({ ok: true });
  });

  it("records each run alone when a batch's transaction fails, and keeps the chain whole", async () => {
    const real = db.driver.transaction.bind(db.driver);
    let failed = 0;
    // The first transaction writes its statements, then is lost before its commit.
    vi.spyOn(db.driver, "transaction").mockImplementation(async (fn, opts) => {
      if (failed) return real(fn, opts);
      failed++;
      return real(async (tx) => {
        // A COMMIT sent with the statements (pipelined, on PostgreSQL) is lost too: the
        // transaction is rolled back in its place.
        const lost = () => void tx.query("ROLLBACK").catch(() => undefined);
        await fn({ ...tx, ...(tx.commit && { commit: lost }) });
        throw new Error("connection lost before the commit");
      }, opts);
    });
    const bodies = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({ amount: 100 + i, customer: "Lost" }),
    );
    const results = await Promise.all(bodies.map((b, i) => deliver(b, `lost-${i}`)));
    expect(failed).toBe(1);
    expect(statuses(results)).toEqual({ 200: 12 });
    const runIds = results.map((r) => (r.body as { runId: string }).runId);
    await expect(db.prisma.run.count({ where: { id: { in: runIds } } })).resolves.toBe(12);
    const entries = await ledgerOf(runIds);
    expect(entries).toHaveLength(24);
    await expect(
      callerFor(db.prisma, owner.user, owner.workspace.id).audit.verify(),
    ).resolves.toMatchObject({ ok: true });
  });
});

describe("cron schedules", () => {
  it("fires each due minute exactly once, whatever the number of schedulers", async () => {
    const api = callerFor(db.prisma, owner.user, owner.workspace.id);
    const wf = await api.workflow.create({ name: "Every minute", dsl: CRON });
    const list = await listSchedules(db.prisma, actor, {});
    expect(list).toEqual([
      expect.objectContaining({ workflowId: wf.id, cron: "* * * * *", valid: true }),
    ]);
    const t = Date.UTC(2030, 0, 1, 12, 0, 30);
    // Three schedulers tick at once over the same window: 12:00 and 11:59 are due.
    const ticks = await Promise.all(
      [0, 1, 2].map(() => fireDueSchedules(servicesFor(db), t, { lookbackMs: 100_000 })),
    );
    const started = ticks.flatMap((k) => k.started);
    expect(started.map((s) => new Date(s.fireAt).toISOString()).sort()).toEqual([
      "2030-01-01T11:59:00.000Z",
      "2030-01-01T12:00:00.000Z",
    ]);
    expect(ticks.reduce((n, k) => n + k.skipped, 0)).toBe(4);
    const again = await fireDueSchedules(servicesFor(db), t + 1_000, { lookbackMs: 100_000 });
    expect(again.started).toHaveLength(0);
    const runs = await db.prisma.run.findMany({ where: { workflowId: wf.id } });
    expect(runs).toHaveLength(2);
    expect(runs.every((r) => r.startedBy === "schedule:every-minute")).toBe(true);
  });
});
