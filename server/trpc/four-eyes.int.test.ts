import { readFileSync } from "node:fs";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import type { ApprovalOutcome } from "@/server/domain/approval/ports";
import {
  approvalCast,
  approvalOf,
  approvalSnapshot,
  groupWith,
  humanFlow,
  parkedRun,
  requestedApproval,
  type Person,
} from "@/server/testing/approvals";
import { callerFor, type TestUser } from "@/server/testing/fixtures";
import { callProcedure } from "@/server/testing/procedures";
import { restClient } from "@/server/testing/rest";
import { servicesFor } from "@/server/testing/services";
import { ROUTES } from "@/server/rest/routes";
import { openTestDatabase } from "@/server/testing/test-database";
import { appRouter } from "./root";

/**
 * The four-eyes rule walked over every procedure that decides an approval, read from the router
 * (`meta({ approves: true })`), and every REST operation that does, read from its route table
 * (`approves: true`, `server/rest/routes.ts`), so a new deciding procedure is covered without editing this
 * test, and must say below how it addresses an approval: the requester is refused everywhere,
 * N-of-M and groups are enforced, a stale plan hash is refused.
 */
const approving = Object.entries(
  (
    appRouter as unknown as {
      _def: { procedures: Record<string, { _def: { meta?: { approves?: boolean } } }> };
    }
  )._def.procedures,
)
  .filter(([, p]) => p._def.meta?.approves === true)
  .map(([path]) => path);

/**
 * The REST API's approving operations, read from its route table (`approves: true`), as
 * `rest:<operationId>`; one whose body takes `breakGlass` is walked as that action too.
 */
const restApproving = ROUTES.filter((r) => r.approves).flatMap((r) => {
  const shape = (r.body as { shape?: Record<string, unknown> } | undefined)?.shape ?? {};
  const id = `rest:${r.operationId}`;
  return "breakGlass" in shape ? [id, `${id}+breakGlass`] : [id];
});
approving.push(...restApproving);

/**
 * Approving procedures that address something other than an approval id and decide through the
 * guarded `decideApproval` (the same four-eyes guard the walk below exercises), each with the
 * test that walks its own refusals. `guardianReview.accept` takes a guardian proposal's id and
 * decides its `fix` approval: `server/domain/guardian/proof.int.test.ts` refuses the proposer
 * and a viewer and saves no version without another person.
 */
const DELEGATING: Record<string, string> = {
  "guardianReview.accept": "server/domain/guardian/proof.int.test.ts",
};
const walked = approving.filter((p) => !(p in DELEGATING));

interface Target {
  approvalId: string;
  runId: string | null;
  stepId: string | null;
  planHash: string | null;
}

/** How each approving procedure decides a target; null when it cannot address that kind. */
const CALLS: Record<string, (t: Target, decision: "approve" | "reject") => unknown> = {
  "approval.decide": (t, decision) => ({
    id: t.approvalId,
    decision,
    comment: "Reviewed.",
    ...(t.planHash ? { planHash: t.planHash } : {}),
  }),
  "approval.breakGlass": (t, decision) => ({
    id: t.approvalId,
    decision,
    reason: "An emergency, as the test says.",
  }),
  "run.resume": (t, decision) =>
    t.runId && t.stepId
      ? { runId: t.runId, stepId: t.stepId, decision, comment: "Reviewed." }
      : null,
  // REST: `{ id }` fills the path, `body` is the request's JSON.
  "rest:decideApproval": (t, decision) => ({
    id: t.approvalId,
    body: { decision, comment: "Reviewed.", ...(t.planHash ? { planHash: t.planHash } : {}) },
  }),
  "rest:decideApproval+breakGlass": (t, decision) => ({
    id: t.approvalId,
    body: { decision, breakGlass: true, reason: "An emergency, as the test says." },
  }),
};
/** Procedures that override approvers and quorum by design (an admin's flagged break-glass). */
const OVERRIDES = new Set(["approval.breakGlass", "rest:decideApproval+breakGlass"]);

/** HTTP statuses of the REST API as the tRPC codes the assertions below name. */
const STATUS_CODES: Record<number, string> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  422: "UNPROCESSABLE_CONTENT",
};

/** Calls a REST approving operation as `user`, signed in (the session's labels are emails). */
async function callRest(user: Person, path: string, input: unknown): Promise<string> {
  const route = ROUTES.find((r) => `rest:${r.operationId}` === path.split("+")[0])!;
  const { id, body } = input as { id: string; body: unknown };
  const res = await restClient(db)(route.method, route.path.replace("{id}", id), {
    session: { id: user.id, email: user.email, name: user.name },
    headers: { "x-trustflow-workspace": ws },
    body,
  });
  if (res.status < 300) return "OK";
  return `${STATUS_CODES[res.status] ?? res.status}: ${res.body.detail}`;
}

let db: Database;
let owner: TestUser;
let cast: Record<"ap1" | "ap2" | "ap3" | "admin2", Person>;
let ws: string;
const replayed: Array<{ approvalId: string; outcome: ApprovalOutcome }> = [];

beforeAll(async () => {
  db = await openTestDatabase();
  const c = await approvalCast(db, {
    ap1: "approver",
    ap2: "approver",
    ap3: "approver",
    admin2: "admin",
  });
  owner = c.owner;
  cast = c.people;
  ws = owner.workspace.id;
  await groupWith(db, owner.user, ws, "finance", [cast.ap1]);
  // The replay effect is recorded here (this test is about who decides, not what a replay does).
  servicesFor(db).approvalEffects.replay = async (_tx, approval, outcome) => {
    replayed.push({ approvalId: approval.id, outcome });
  };
});
afterAll(() => db?.close());

async function call(user: Person, path: string, input: unknown): Promise<string> {
  if (path.startsWith("rest:")) return callRest(user, path, input);
  try {
    await callProcedure(callerFor(db.prisma, user, ws), path, input);
    return "OK";
  } catch (err) {
    if (err instanceof TRPCError) return `${err.code}: ${err.message}`;
    throw err;
  }
}

const snapshot = (approvalId: string) => approvalSnapshot(db, ws, approvalId);

async function stepTarget(withYaml: string): Promise<Target> {
  const { runId } = await parkedRun(
    db,
    owner.user,
    ws,
    humanFlow("four-eyes", "human.approval@1", withYaml),
  );
  const a = await approvalOf(db, cast.ap1, ws, runId);
  return { approvalId: a.id, runId, stepId: "gate", planHash: null };
}

const PLAN_HASH = "a".repeat(64);

async function replayTarget(requester: Person, minApprovals = 1): Promise<Target> {
  const approval = await requestedApproval(db, {
    workspaceId: ws,
    kind: "replay",
    requester: { userId: requester.id, label: requester.email },
    minApprovals,
    subject: { plan: { mode: "resume", steps: [] }, inputs: {} },
    planHash: PLAN_HASH,
  });
  return { approvalId: approval.id, runId: null, stepId: null, planHash: PLAN_HASH };
}

describe("four-eyes on every approving procedure", () => {
  it("finds the approving procedures and knows how to call each one", () => {
    expect(approving).toEqual(
      expect.arrayContaining(["approval.decide", "approval.breakGlass", "run.resume"]),
    );
    expect(approving).toEqual(
      expect.arrayContaining(["rest:decideApproval", "rest:decideApproval+breakGlass"]),
    );
    for (const path of walked) expect(CALLS[path], `say how ${path} decides`).toBeDefined();
    for (const [path, file] of Object.entries(DELEGATING)) {
      expect(approving, `${path} is still an approving procedure`).toContain(path);
      expect(readFileSync(file, "utf8"), `${file} exercises ${path}`).toContain(path);
    }
  });

  for (const path of walked) {
    describe(path, () => {
      it("refuses the requester, for a run step and a replay, and changes nothing", async () => {
        // The owner (an admin, qualified by role) started the run / asked for the replay.
        const targets = [
          await stepTarget("approvers: { role: approver }\nmessage: Mine?"),
          await replayTarget(owner.user),
        ];
        let tried = 0;
        for (const t of targets) {
          for (const decision of ["approve", "reject"] as const) {
            const input = CALLS[path]!(t, decision);
            if (input === null) continue;
            tried++;
            const before = await snapshot(t.approvalId);
            expect(await call(owner.user, path, input)).toMatch(
              /^FORBIDDEN: .*(four-eyes|own request)/,
            );
            expect(await snapshot(t.approvalId)).toBe(before);
          }
        }
        expect(tried).toBeGreaterThan(0);
        // Someone else may (the rule refuses the requester, not the decision).
        const other = OVERRIDES.has(path) ? cast.admin2 : cast.ap2;
        expect(await call(other, path, CALLS[path]!(targets[0]!, "approve"))).toBe("OK");
      });

      it(
        OVERRIDES.has(path)
          ? "is final at once, for admins only (break-glass overrides N-of-M)"
          : "needs N distinct approvers of M (minApprovals)",
        async () => {
          const t = await stepTarget(
            "approvers: { role: approver }\nmessage: Two\nminApprovals: 2",
          );
          const input = CALLS[path]!(t, "approve");
          if (OVERRIDES.has(path)) {
            expect(await call(cast.ap1, path, input)).toMatch(/^FORBIDDEN/);
            expect(await call(cast.admin2, path, input)).toBe("OK");
            expect(
              (await db.prisma.approval.findUnique({ where: { id: t.approvalId } }))!.status,
            ).toBe("approved");
            return;
          }
          expect(await call(cast.ap1, path, input)).toBe("OK");
          const after1 = await db.prisma.approval.findUnique({ where: { id: t.approvalId } });
          expect(after1!.status).toBe("pending");
          expect(
            await db.prisma.runTask.count({ where: { runId: t.runId!, kind: "resume" } }),
          ).toBe(0);
          // The same person again does not make two.
          expect(await call(cast.ap1, path, input)).toMatch(/^FORBIDDEN: .*already decided/);
          expect(await call(cast.ap2, path, input)).toBe("OK");
          expect(
            (await db.prisma.approval.findUnique({ where: { id: t.approvalId } }))!.status,
          ).toBe("approved");
          const resume = await db.prisma.runTask.findFirst({
            where: { runId: t.runId!, kind: "resume" },
          });
          expect(resume!.payload).toMatchObject({
            approved: true,
            decidedBy: [cast.ap1.email, cast.ap2.email],
          });
          // Replays count distinct people too.
          const r = await replayTarget(cast.ap3, 2);
          const replayInput = CALLS[path]!(r, "approve");
          if (replayInput === null) return;
          expect(await call(cast.ap1, path, replayInput)).toBe("OK");
          expect(await call(cast.ap1, path, replayInput)).toMatch(/^FORBIDDEN/);
          expect(replayed.some((x) => x.approvalId === r.approvalId)).toBe(false);
          expect(await call(cast.ap2, path, replayInput)).toBe("OK");
          expect(replayed.find((x) => x.approvalId === r.approvalId)?.outcome.by).toEqual([
            cast.ap1.email,
            cast.ap2.email,
          ]);
        },
      );

      it("enforces group approvers", async () => {
        const t = await stepTarget("approvers: { group: finance }\nmessage: Finance only");
        const input = CALLS[path]!(t, "approve");
        const before = await snapshot(t.approvalId);
        // Outside finance (an approver, another admin): refused, unless break-glass (admins).
        expect(await call(cast.ap3, path, input)).toMatch(/^FORBIDDEN/);
        if (!OVERRIDES.has(path))
          expect(await call(cast.admin2, path, input)).toMatch(/^FORBIDDEN/);
        // In finance but not an admin: break-glass is still refused.
        if (OVERRIDES.has(path)) expect(await call(cast.ap1, path, input)).toMatch(/^FORBIDDEN/);
        expect(await snapshot(t.approvalId)).toBe(before);
        expect(await call(OVERRIDES.has(path) ? cast.admin2 : cast.ap1, path, input)).toBe("OK");
      });
    });
  }

  it("refuses a stale or missing plan hash, then decides the plan reviewed", async () => {
    const r = await replayTarget(cast.ap3);
    const before = await snapshot(r.approvalId);
    const stale = { id: r.approvalId, decision: "approve", planHash: "b".repeat(64) };
    expect(await call(cast.ap1, "approval.decide", stale)).toMatch(/^CONFLICT: Stale plan/);
    expect(
      await call(cast.ap1, "approval.decide", { id: r.approvalId, decision: "approve" }),
    ).toMatch(/^BAD_REQUEST: .*plan/);
    expect(await snapshot(r.approvalId)).toBe(before);
    expect(
      await call(cast.ap1, "approval.decide", {
        id: r.approvalId,
        decision: "approve",
        planHash: PLAN_HASH,
      }),
    ).toBe("OK");
    expect(replayed.find((x) => x.approvalId === r.approvalId)?.outcome).toMatchObject({
      decision: "approved",
      by: [cast.ap1.email],
    });
    // Decided: a second look answers CONFLICT.
    expect(
      await call(cast.ap2, "approval.decide", {
        id: r.approvalId,
        decision: "approve",
        planHash: PLAN_HASH,
      }),
    ).toMatch(/^CONFLICT/);
  });
});
