import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { SqlRunStore, sqlFromDriver } from "@/server/adapters/store/sql-run-store";
import { ensureDemoConnectors } from "@/server/domain/connector/connectors";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { MAX_ANSWER_BYTES } from "@/server/engine/recorded-answer";
import { engineFor, runToEnd, type FlowIr } from "@/server/testing/engine";
import { makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { parseEnv } from "@/server/env";
import { listRunAnswers, requestHash, sweepRecordedAnswers } from "./recorded-answers";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;

function ir(text: string): FlowIr {
  const r = compileFlow(text);
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return r.ir;
}

const ONE_WRITE = ir(`flow: answers-one
version: 1.0.0
trigger:
  manual: {}
steps:
  - id: create
    uses: crm.contact.create@1
    retry: { max: 0 }
    with: { email: recorded@example.com, firstName: Ada }
  - id: shape
    uses: data.transform@1
    needs: [create]
    with:
      fields: { id: steps.create.output.id }
`);

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "recorder");
  await ensureDemoConnectors(db.prisma, owner.workspace.id);
});
afterAll(() => db?.close());

describe("recorded answers in the SQL run store", () => {
  it("a run's connector step keeps the answer it got; pure steps keep none", async () => {
    const run = await runToEnd(engineFor(db), { workspaceId: owner.workspace.id, ir: ONE_WRITE });
    expect(run.status).toBe("succeeded");
    const answers = await listRunAnswers(db.prisma, run.id);
    expect(answers.map((a) => [a.stepId, a.attempt, a.kind, a.blockId, a.truncated])).toEqual([
      ["create", 1, "connector", "crm.contact.create", false],
    ]);
    const attempt = (await engineFor(db).deps.store.listAttempts(run.id)).find(
      (a) => a.stepId === "create",
    )!;
    expect(answers[0]!.answer).toEqual({ ok: true, output: attempt.output });
    expect(answers[0]!.bytes).toBe(Buffer.byteLength(JSON.stringify(answers[0]!.answer)));
    // Reads are bounded by size: what does not fit is counted, not loaded.
    const none = await listRunAnswers(db.prisma, run.id, answers[0]!.bytes - 1);
    expect(none).toHaveLength(0);
    expect(none.left).toBe(1);
    expect((await listRunAnswers(db.prisma, run.id, answers[0]!.bytes)).left).toBe(0);
  });

  it("writes the answer in the finish's statement, first result only, capped at 256 KB", async () => {
    const store = new SqlRunStore(sqlFromDriver(db.driver));
    const { run } = await store.createRun({
      id: randomUUID(),
      workspaceId: owner.workspace.id,
      workflowId: null,
      version: null,
      ir: ONE_WRITE,
      inputs: {},
      now: Date.now(),
    });
    const start = (attempt: number) => ({
      runId: run.id,
      stepId: "create",
      attempt,
      blockId: "crm.contact.create",
      inputs: { email: "x@example.com" },
      idempotencyKey: `${run.id}:create`,
      consentId: null,
      startedAt: Date.now(),
      workerId: "w",
    });
    const big = { ok: true, output: { blob: "y".repeat(MAX_ANSWER_BYTES) } };
    // Start and finish merged (the usual single write of a side effect).
    await store.commit(run.id, null, {
      start: start(1),
      finish: {
        runId: run.id,
        stepId: "create",
        attempt: 1,
        status: "failed",
        error: {
          name: "E",
          message: "503",
          retryable: true,
          classification: { severity: "low", category: "integration" },
        },
        finishedAt: Date.now(),
        answer: { kind: "connector", body: big },
      },
    });
    // Start first, finish later (a long step's late start).
    await store.commit(run.id, null, { start: start(2) });
    expect((await listRunAnswers(db.prisma, run.id)).map((a) => a.attempt)).toEqual([1]);
    const finish2 = {
      runId: run.id,
      stepId: "create",
      attempt: 2,
      status: "succeeded" as const,
      output: { id: "C-1" },
      finishedAt: Date.now(),
      answer: { kind: "connector" as const, body: { ok: true, output: { id: "C-1" } } },
    };
    await store.commit(run.id, null, { finish: finish2 });
    // A second terminal result changes neither the attempt nor its answer.
    await store.commit(run.id, null, {
      finish: { ...finish2, answer: { kind: "connector", body: { ok: true, output: "late" } } },
    });
    const rows = await listRunAnswers(db.prisma, run.id);
    expect(rows.map((a) => a.attempt).sort()).toEqual([1, 2]);
    const first = rows.find((a) => a.attempt === 1)!;
    expect(first.truncated).toBe(true);
    expect(first.bytes).toBe(Buffer.byteLength(JSON.stringify(big)));
    const stored = first.answer as { truncated: boolean; text: string };
    expect(stored.truncated).toBe(true);
    expect(Buffer.byteLength(stored.text)).toBe(MAX_ANSWER_BYTES);
    expect(rows.find((a) => a.attempt === 2)!.answer).toEqual({ ok: true, output: { id: "C-1" } });
  });
});

describe("retention sweep", () => {
  it("deletes answers older than the retention, oldest first, in bounded batches", async () => {
    const run = await runToEnd(engineFor(db), { workspaceId: owner.workspace.id, ir: ONE_WRITE });
    const now = Date.now();
    const day = 86_400_000;
    // Three old answers (20, 16 and 15 days) and one recent (1 day) of the same run.
    const ages = [20, 16, 15, 1];
    for (const [i, age] of ages.entries()) {
      await db.prisma.recordedAnswer.create({
        data: {
          runId: run.id,
          stepId: `old-${i}`,
          attempt: 1,
          kind: "connector",
          blockId: "crm.contact.get",
          answer: { ok: true, output: { i } },
          bytes: 10,
          createdAt: new Date(now - age * day),
        },
      });
    }
    const before = await db.prisma.recordedAnswer.count({ where: { runId: run.id } });
    expect(await sweepRecordedAnswers(db.prisma, { retentionDays: 14, now, batch: 2 })).toBe(2);
    let left = await db.prisma.recordedAnswer.findMany({ where: { runId: run.id } });
    // The two oldest went first.
    expect(left.map((r) => r.stepId).sort()).toEqual(["create", "old-2", "old-3"]);
    expect(await sweepRecordedAnswers(db.prisma, { retentionDays: 14, now, batch: 2 })).toBe(1);
    expect(await sweepRecordedAnswers(db.prisma, { retentionDays: 14, now, batch: 2 })).toBe(0);
    left = await db.prisma.recordedAnswer.findMany({ where: { runId: run.id } });
    expect(left).toHaveLength(before - 3);
    // A shorter retention (configurable) takes the 1-day-old one too, never today's.
    expect(await sweepRecordedAnswers(db.prisma, { retentionDays: 1, now: now + 1000 })).toBe(1);
    expect(
      (await db.prisma.recordedAnswer.findMany({ where: { runId: run.id } })).map((r) => r.stepId),
    ).toEqual(["create"]);
  });

  it("keeps answers 14 days unless RECORDED_ANSWER_RETENTION_DAYS says otherwise", () => {
    expect(parseEnv({}).RECORDED_ANSWER_RETENTION_DAYS).toBe(14);
    expect(parseEnv({ RECORDED_ANSWER_RETENTION_DAYS: "30" }).RECORDED_ANSWER_RETENTION_DAYS).toBe(
      30,
    );
    expect(() => parseEnv({ RECORDED_ANSWER_RETENTION_DAYS: "0" })).toThrow(
      /RECORDED_ANSWER_RETENTION_DAYS/,
    );
  });

  it("matches connector answers by operation and request, whatever the key order", () => {
    expect(requestHash("crm.contact.get", { a: 1, b: { c: 2, d: 3 } })).toBe(
      requestHash("crm.contact.get", { b: { d: 3, c: 2 }, a: 1 }),
    );
    expect(requestHash("crm.contact.get", { a: 1 })).not.toBe(
      requestHash("crm.contact.update", { a: 1 }),
    );
    expect(requestHash("crm.contact.get", { a: 1 })).not.toBe(
      requestHash("crm.contact.get", { a: 2 }),
    );
  });
});
