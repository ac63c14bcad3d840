/**
 * The history read in pages (`readHistory`: keyset pages of `HISTORY_PAGE` runs, each followed
 * by its runs' attempts) against the read it replaced, the range's runs in one statement
 * (`readHistoryInOneStatement`, `server/testing/history-in-one-statement.ts`): the same runs in the same order, the same attempts, the same
 * `truncated`, over two flows' ~4,500 runs (three pages), with a run of equal `createdAt`
 * straddling the first page boundary, at and around `limit`, and filtered by flow.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { crmFlowText, seedSyntheticHistory } from "@/server/testing/prediction-history";
import { openTestDatabase } from "@/server/testing/test-database";
import { readHistoryInOneStatement } from "@/server/testing/history-in-one-statement";
import { DAY_MS } from "./features";
import { HISTORY_PAGE, readHistory } from "./history";

type Range = Parameters<typeof readHistory>[2];

let db: Database;
let ws: string;
let flowA: string;
let flowB: string;
let now: number;
/** The range's runs, all flows. */
let total: number;
/** The `createdAt` the runs around the first page boundary share. */
let tieAt: Date;

beforeAll(async () => {
  db = await openTestDatabase();
  const owner = await makeUser(db.prisma, "history");
  ws = owner.workspace.id;
  const caller = callerFor(db.prisma, owner.user, ws);
  now = Date.now();
  const flows: string[] = [];
  // Flow A a run every 1.2 minutes, flow B every 5, over 3 days: ~4,500 runs, interleaved.
  for (const [name, everyMinutes] of [
    ["history-a", 1.2],
    ["history-b", 5],
  ] as const) {
    const wf = await caller.workflow.create({ name });
    await caller.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: crmFlowText(name) });
    await seedSyntheticHistory(db.prisma, {
      workspaceId: ws,
      workflowId: wf.id,
      version: "1.0.0",
      flowText: crmFlowText(name),
      end: now,
      days: 3,
      everyMinutes,
      degrading: "crm:crm.contact.get",
    });
    flows.push(wf.id);
  }
  [flowA, flowB] = flows as [string, string];
  // The 11 runs around the first page boundary (newest first) take the `createdAt` of the
  // page's last run: the next page starts inside a tie.
  const [tie] = await db.prisma.$queryRawUnsafe<Array<{ at: Date }>>(
    `WITH ranked AS (
       SELECT id, "createdAt", row_number() OVER (ORDER BY "createdAt" DESC, id DESC) AS n
         FROM "Run" WHERE "workspaceId" = $1::uuid)
     UPDATE "Run" r SET "createdAt" = (SELECT "createdAt" FROM ranked WHERE n = $2)
       FROM ranked WHERE ranked.id = r.id AND ranked.n BETWEEN $2 - 5 AND $2 + 5
     RETURNING r."createdAt" AS at`,
    ws,
    HISTORY_PAGE,
  );
  tieAt = tie!.at;
  const [count] = await db.prisma.$queryRawUnsafe<Array<{ n: number }>>(
    `SELECT count(*)::int AS n FROM "Run" WHERE "workspaceId" = $1::uuid`,
    ws,
  );
  total = count!.n;
}, 120_000);
afterAll(() => db?.close());

/** Both reads of `range`; the paged one must equal the expected one. */
async function bothReads(range: Omit<Range, "from" | "to"> & { from?: number; to?: number }) {
  const r = { from: now - 4 * DAY_MS, to: now + 1, ...range };
  const expected = await readHistoryInOneStatement(db.prisma, ws, r);
  const paged = await readHistory(db.prisma, ws, r);
  expect(paged).toEqual(expected);
  return paged;
}

describe("readHistory in pages", () => {
  it("reads the whole range across page boundaries, through runs of equal createdAt", async () => {
    expect(total).toBeGreaterThan(2 * HISTORY_PAGE);
    const h = await bothReads({});
    expect(h.runs).toHaveLength(total);
    expect(h.truncated).toBe(false);
    expect(h.attempts.length).toBeGreaterThan(2 * total);
    const tied = await db.prisma.run.count({ where: { workspaceId: ws, createdAt: tieAt } });
    expect(tied).toBe(11);
  });

  it.each([
    ["one page exactly, cut inside the tie", () => HISTORY_PAGE, true],
    ["one run past a page", () => HISTORY_PAGE + 1, true],
    ["two pages exactly", () => 2 * HISTORY_PAGE, true],
    ["one run short of the range", () => total - 1, true],
    ["the range exactly", () => total, false],
    ["one run more than the range", () => total + 1, false],
    ["no run", () => 0, true],
  ])("cuts at limit: %s", async (_, limit, truncated) => {
    const h = await bothReads({ limit: limit() });
    expect(h.runs).toHaveLength(Math.min(limit(), total));
    expect(h.truncated).toBe(truncated);
  });

  it("filters by flow, alone and with a limit", async () => {
    const a = await bothReads({ workflowIds: [flowA] });
    const b = await bothReads({ workflowIds: [flowB] });
    expect(a.runs.length).toBeGreaterThan(HISTORY_PAGE);
    expect(b.runs.length).toBeGreaterThan(0);
    expect(a.runs.length + b.runs.length).toBe(total);
    expect(new Set(a.runs.map((r) => r.workflowId))).toEqual(new Set([flowA]));
    expect((await bothReads({ workflowIds: [flowA, flowB] })).runs).toHaveLength(total);
    expect((await bothReads({ workflowIds: [] })).runs).toEqual([]);
    const cut = await bothReads({ workflowIds: [flowA], limit: HISTORY_PAGE + 1 });
    expect(cut.truncated).toBe(true);
    expect(cut.runs).toEqual(a.runs.slice(-(HISTORY_PAGE + 1)));
  });

  it("leaves out runs created at the range's end, and stops at its start", async () => {
    const h = await bothReads({ to: tieAt.getTime() });
    expect(h.runs).toHaveLength(total - HISTORY_PAGE - 5);
    const late = await bothReads({ from: tieAt.getTime() });
    expect(late.runs).toHaveLength(HISTORY_PAGE + 5);
  });
});
