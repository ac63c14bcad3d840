/**
 * The REST API on a real database (PGlite), through its real handler: every operation's happy
 * path (answers parsed with the documented response schemas), the problem+json errors (401,
 * 403 scope and four-eyes, 400 with field paths, 404, 409, 422, 405, 413, 415), cross-site cookie
 * requests refused, and list paging with `cursor`.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { z } from "zod";
import type { Database } from "@/server/adapters/prisma";
import {
  approvalCast,
  humanFlow,
  mockCrmEngine,
  parkedRun,
  runOnClock,
  type Person,
} from "@/server/testing/approvals";
import { callerFor, type TestUser } from "@/server/testing/fixtures";
import { chainFlow } from "@/server/testing/mock-writes";
import { restClient, tokenOf, type RestAnswer } from "@/server/testing/rest";
import { openTestDatabase } from "@/server/testing/test-database";
import { MAX_BODY_BYTES } from "./dispatch";
import { ROUTES } from "./routes";
import {
  page,
  ZApproval,
  ZDeadLetter,
  ZReplayRequested,
  ZReprocessJob,
  ZReprocessRequested,
  ZRun,
  ZRunSummary,
  ZTrustEntry,
  ZWorkflow,
  ZWorkflowSummary,
} from "./schemas";
import { ZProblem } from "./problem";

let db: Database;
let rest: ReturnType<typeof restClient>;
let owner: TestUser;
let cast: Record<"ap1" | "ap2" | "viewer" | "admin2", Person>;
let ws: string;
const tokens = {} as Record<
  "ownerRun" | "ownerAdmin" | "ownerRead" | "ap1" | "ap2" | "ap1Read" | "viewer" | "admin2",
  string
>;
let flowId: string;

const FLOW = `flow: rest-calc
version: 1.0.0
sla: T2
trigger:
  manual: {}
inputs:
  amount: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0 }
outputs:
  double: \${{ steps.calc.output.double }}
`;

beforeAll(async () => {
  db = await openTestDatabase();
  rest = restClient(db);
  const c = await approvalCast(db, {
    ap1: "approver",
    ap2: "approver",
    viewer: "viewer",
    admin2: "admin",
  });
  owner = c.owner;
  cast = c.people;
  ws = owner.workspace.id;
  tokens.ownerRun = await tokenOf(db, owner.user, ws, "admin", ["run"]);
  tokens.ownerAdmin = await tokenOf(db, owner.user, ws, "admin", ["admin"]);
  tokens.ownerRead = await tokenOf(db, owner.user, ws, "admin", ["read"]);
  tokens.ap1 = await tokenOf(db, cast.ap1, ws, "approver", ["approve"]);
  tokens.ap1Read = await tokenOf(db, cast.ap1, ws, "approver", ["read"]);
  tokens.ap2 = await tokenOf(db, cast.ap2, ws, "approver", ["approve"]);
  tokens.viewer = await tokenOf(db, cast.viewer, ws, "viewer", ["read", "run"]);
  tokens.admin2 = await tokenOf(db, cast.admin2, ws, "admin", ["approve"]);
  const api = callerFor(db.prisma, owner.user, ws);
  const wf = await api.workflow.create({ name: "Rest Calc", dsl: FLOW });
  await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
  flowId = wf.id;
});
afterAll(() => db?.close());

/** A problem+json answer of `status` with every RFC 9457 member. */
function expectProblem(res: RestAnswer, status: number, detail?: RegExp) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toBe("application/problem+json");
  const p = ZProblem.parse(res.body);
  expect(p.status).toBe(status);
  expect(p.type).toMatch(/^\/developers\/api#problem-/);
  expect(p.instance).toMatch(/^\/api\/v1\//);
  if (detail) expect(p.detail).toMatch(detail);
  return p;
}

const parse = <S extends z.ZodType>(schema: S, res: RestAnswer, status = 200): z.output<S> => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  return schema.parse(res.body);
};

describe("authentication and routing", () => {
  it("answers 401 without a token or with a bad one, before reading anything", async () => {
    const none = await rest("GET", "/workflows");
    expectProblem(none, 401, /Sign in/);
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expectProblem(await rest("GET", "/runs/not-a-uuid", { token: "tf_nope" }), 401, /not valid/);
    expectProblem(
      await rest("POST", `/workflows/${flowId}/runs`, { token: "tf_nope", body: { inputs: {} } }),
      401,
    );
  });

  it("answers 404 for an unknown path and 405 with Allow for a wrong method", async () => {
    expectProblem(await rest("GET", "/nothing-here", { token: tokens.ownerRead }), 404);
    const wrong = await rest("DELETE", "/workflows", { token: tokens.ownerAdmin });
    expectProblem(wrong, 405);
    expect(wrong.headers.get("allow")).toBe("GET");
  });

  it("refuses cross-site cookie requests and non-JSON bodies", async () => {
    const runs = await db.prisma.run.count({ where: { workspaceId: ws } });
    const forged = await rest("POST", `/workflows/${flowId}/runs`, {
      session: owner.user,
      body: { inputs: { amount: 1 } },
      headers: { "sec-fetch-site": "cross-site" },
    });
    expectProblem(forged, 403, /Cross-site/);
    const otherOrigin = await rest("POST", `/workflows/${flowId}/runs`, {
      session: owner.user,
      body: { inputs: { amount: 1 } },
      headers: { origin: "https://evil.example" },
    });
    expectProblem(otherOrigin, 403, /Cross-origin/);
    const form = await rest("POST", `/workflows/${flowId}/runs`, {
      token: tokens.ownerRun,
      raw: "inputs=1",
      headers: { "content-type": "text/plain" },
    });
    expectProblem(form, 415);
    expect(await db.prisma.run.count({ where: { workspaceId: ws } })).toBe(runs);
    // The studio's own page (same origin, signed in) may call it.
    const own = await rest("POST", `/workflows/${flowId}/runs`, {
      session: owner.user,
      body: { inputs: { amount: 1 } },
      headers: { "sec-fetch-site": "same-origin", origin: "http://localhost:3000" },
    });
    expect(own.status).toBe(201);
  });

  it("refuses a body over the limit with 413", async () => {
    const big = JSON.stringify({ inputs: { blob: "x".repeat(MAX_BODY_BYTES) } });
    const res = await rest("POST", `/workflows/${flowId}/runs`, {
      token: tokens.ownerRun,
      raw: big,
    });
    expectProblem(res, 413, /limit/);
  });
});

describe("workflows", () => {
  it("lists workflows in pages with limit and cursor", async () => {
    const api = callerFor(db.prisma, owner.user, ws);
    for (const n of ["Paged One", "Paged Two"]) await api.workflow.create({ name: n });
    const first = parse(
      page(ZWorkflowSummary),
      await rest("GET", "/workflows?limit=2", { token: tokens.ownerRead }),
    );
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBe(first.items[1]!.id);
    const second = parse(
      page(ZWorkflowSummary),
      await rest("GET", `/workflows?limit=2&cursor=${first.nextCursor}`, {
        token: tokens.ownerRead,
      }),
    );
    expect(second.items.length).toBeGreaterThanOrEqual(1);
    expect(second.items.map((w) => w.id)).not.toContain(first.items[0]!.id);
    const all = [...first.items, ...second.items].map((w) => w.name);
    expect(all).toEqual(expect.arrayContaining(["Paged One", "Paged Two", "Rest Calc"]));
    expect(second.nextCursor).toBeNull();
    const calc = [...first.items, ...second.items].find((w) => w.name === "Rest Calc")!;
    expect(calc).toMatchObject({ slug: "rest-calc", versions: 1, state: "published" });
    expect(calc.latestVersion).toMatchObject({ version: "1.0.0" });
    // Bad paging: field by field.
    const bad = expectProblem(
      await rest("GET", "/workflows?limit=0&cursor=nope", { token: tokens.ownerRead }),
      400,
    );
    expect(bad.errors?.map((e) => [e.in, e.field])).toEqual([
      ["query", "limit"],
      ["query", "cursor"],
    ]);
    // A cursor that names no workflow of the list (any more): start again without it.
    const gone = expectProblem(
      await rest("GET", "/workflows?limit=2&cursor=00000000-0000-4000-8000-000000000000", {
        token: tokens.ownerRead,
      }),
      400,
    );
    expect(gone.errors?.[0]).toMatchObject({ in: "query", field: "cursor" });
  });

  it("gets a workflow by id or slug", async () => {
    const bySlug = parse(
      ZWorkflow,
      await rest("GET", "/workflows/rest-calc", { token: tokens.ap1Read }),
    );
    const byId = parse(
      ZWorkflow,
      await rest("GET", `/workflows/${flowId}`, { token: tokens.ap1Read }),
    );
    expect(bySlug.id).toBe(flowId);
    expect(byId).toEqual(bySlug);
    expect(bySlug.versions.map((v) => v.version)).toEqual(["1.0.0"]);
    expectProblem(await rest("GET", "/workflows/no-such-flow", { token: tokens.ap1Read }), 404);
  });
});

describe("runs", () => {
  it("starts a run (201, the same shape as GET /runs/{id}) by id or slug and version", async () => {
    const res = await rest("POST", "/workflows/rest-calc/runs", {
      token: tokens.ownerRun,
      body: { inputs: { amount: 21 }, version: "1.0.0" },
    });
    const run = parse(ZRun, res, 201);
    expect(res.headers.get("location")).toBe(`/api/v1/runs/${run.id}`);
    expect(run).toMatchObject({ workflowId: flowId, version: "1.0.0", inputs: { amount: 21 } });
    expect(run.steps).toEqual([expect.objectContaining({ id: "calc", block: "data.transform@1" })]);
    const got = parse(ZRun, await rest("GET", `/runs/${run.id}`, { token: tokens.ownerRead }));
    expect(Object.keys(got).sort()).toEqual(Object.keys(run).sort());
    expect(got.id).toBe(run.id);
    // `latest` and `draft` name the latest saved version and the draft.
    const latest = parse(
      ZRun,
      await rest("POST", `/workflows/${flowId}/runs`, {
        token: tokens.ownerRun,
        body: { inputs: { amount: 1 }, version: "latest" },
      }),
      201,
    );
    expect(latest.version).toBe("1.0.0");
    const draft = parse(
      ZRun,
      await rest("POST", `/workflows/${flowId}/runs`, {
        token: tokens.ownerRun,
        body: { inputs: { amount: 1 }, version: "draft" },
      }),
      201,
    );
    expect(draft.draft).toBe(true);
  });

  it("refuses starts with the right problem and starts nothing", async () => {
    const before = await db.prisma.run.count({ where: { workspaceId: ws } });
    const start = (token: string, body: unknown, id = flowId) =>
      rest("POST", `/workflows/${id}/runs`, { token, body });
    // A read token: the scope is missing.
    expectProblem(await start(tokens.ownerRead, { inputs: { amount: 1 } }), 403, /run scope/);
    // A viewer's token with the run scope: the role is missing.
    expectProblem(await start(tokens.viewer, { inputs: { amount: 1 } }), 403, /editor/);
    // Bad body: field paths.
    const bad = expectProblem(await start(tokens.ownerRun, { inputs: "x", version: "v1" }), 400);
    expect(bad.errors?.map((e) => e.field).sort()).toEqual(["inputs", "version"]);
    expect(bad.errors?.find((e) => e.field === "version")?.detail).toMatch(
      /draft, latest or a SemVer/,
    );
    const empty = await rest("POST", `/workflows/${flowId}/runs`, {
      token: tokens.ownerRun,
      raw: "",
    });
    expectProblem(empty, 400, /JSON object/);
    const notJson = await rest("POST", `/workflows/${flowId}/runs`, {
      token: tokens.ownerRun,
      raw: "{nope",
    });
    expectProblem(notJson, 400, /not JSON/);
    // Unknown workflow, unknown version.
    expectProblem(
      await start(tokens.ownerRun, { inputs: {} }, "00000000-0000-4000-8000-000000000000"),
      404,
    );
    const v = expectProblem(await start(tokens.ownerRun, { inputs: {}, version: "9.9.9" }), 404);
    expect(v.field).toBe("version");
    // Inputs the flow refuses: well-formed, refused by the domain.
    const inputs = expectProblem(
      await start(tokens.ownerRun, { inputs: { amount: "lots" } }),
      422,
      /inputs do not match/,
    );
    expect(inputs.field).toBe("inputs");
    expect(await db.prisma.run.count({ where: { workspaceId: ws } })).toBe(before);
  });

  it("gets runs (404 unknown, 400 not a uuid) and lists them in pages", async () => {
    expectProblem(
      await rest("GET", "/runs/00000000-0000-4000-8000-000000000000", { token: tokens.ownerRead }),
      404,
    );
    const bad = expectProblem(await rest("GET", "/runs/abc", { token: tokens.ownerRead }), 400);
    expect(bad.errors).toEqual([
      expect.objectContaining({ in: "path", field: "id", pointer: "/id", detail: "Not a run id." }),
    ]);
    const first = parse(
      page(ZRunSummary),
      await rest("GET", "/runs?limit=2", { token: tokens.ownerRead }),
    );
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBe(first.items[1]!.id);
    const second = parse(
      page(ZRunSummary),
      await rest("GET", `/runs?limit=2&cursor=${first.nextCursor}`, { token: tokens.ownerRead }),
    );
    expect(second.items.map((r) => r.id)).not.toContain(first.items[0]!.id);
    expect(second.items.length).toBeGreaterThan(0);
  });
});

/**
 * A failed version run of a 3-write chain (its second write timed out after writing, retries
 * ran out: a dead letter), of a new workflow or of `workflowId`.
 */
async function failedRun(workflowId?: string): Promise<string> {
  const { mock, clock, engine } = mockCrmEngine(
    db,
    `rest-${Math.random().toString(36).slice(2, 8)}`,
  );
  const api = callerFor(db.prisma, owner.user, ws);
  let id = workflowId;
  if (!id) {
    const wf = await api.workflow.create({
      name: `Chain ${Math.random().toString(36).slice(2, 7)}`,
    });
    await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: chainFlow(3, "crm") });
    id = wf.id;
  }
  const started = await api.run.start({ workflowId: id, version: "1.0.0" });
  mock.failAt({ runId: started.id, stepId: "w2", instant: "timeout-after-write" });
  const run = await runOnClock(engine, clock, started.id);
  expect(run.status).toBe("failed");
  return started.id;
}

describe("replays and decisions", () => {
  it("requests a replay (201: plan, hash, pending approval) and decides it under four eyes", async () => {
    const runId = await failedRun();
    expectProblem(
      await rest("POST", `/runs/${runId}/replays`, {
        token: tokens.ownerRead,
        body: { mode: "resume" },
      }),
      403,
      /run scope/,
    );
    const badMode = expectProblem(
      await rest("POST", `/runs/${runId}/replays`, {
        token: tokens.ownerRun,
        body: { mode: "from-step" },
      }),
      400,
    );
    expect(badMode.errors?.[0]).toMatchObject({ in: "body", field: "fromStep" });
    expectProblem(
      await rest("POST", `/runs/${runId}/replays`, {
        token: tokens.ownerRun,
        body: { mode: "resume", version: "draft" },
      }),
      400,
      /run's own version/,
    );
    const res = await rest("POST", `/runs/${runId}/replays`, {
      token: tokens.ownerRun,
      body: { mode: "resume" },
    });
    const requested = parse(ZReplayRequested, res, 201);
    expect(requested.plan.steps.map((s) => [s.id, s.action])).toEqual([
      ["w1", "reuse"],
      ["t1", "reuse"],
      ["w2", "execute"],
      ["t2", "execute"],
      ["w3", "execute"],
    ]);
    expect(requested.planHash).toBe(requested.plan.hash);
    expect(requested.approval).toMatchObject({
      kind: "replay",
      status: "pending",
      planHash: requested.planHash,
      runId,
    });
    const id = requested.approval.id;
    expect(res.headers.get("location")).toBe(`/api/v1/approvals/${id}`);
    // The created approval has the shape of its GET.
    const got = parse(ZApproval, await rest("GET", `/approvals/${id}`, { token: tokens.ap1Read }));
    expect(got).toEqual({ ...requested.approval, canDecide: false, whyNot: expect.any(String) });

    const decide = (token: string, body: unknown) =>
      rest("POST", `/approvals/${id}/decisions`, { token, body });
    const approve = { decision: "approve", planHash: requested.planHash };
    const before = await db.prisma.approvalDecision.count({ where: { approvalId: id } });
    // The requester (an admin, with an admin-scoped token) is refused: four eyes.
    expectProblem(await decide(tokens.ownerAdmin, approve), 403, /four-eyes/);
    // A read token: the approve scope is missing.
    expectProblem(await decide(tokens.ap1Read, approve), 403, /approve scope/);
    // Stale plan, missing plan, rejection without a comment, bad decision.
    const stale = expectProblem(
      await decide(tokens.ap1, { decision: "approve", planHash: "b".repeat(64) }),
      409,
      /Stale plan/,
    );
    expect(stale.field).toBe("planHash");
    expectProblem(await decide(tokens.ap1, { decision: "approve" }), 422, /plan/);
    const reject = expectProblem(await decide(tokens.ap1, { decision: "reject" }), 422, /comment/);
    expect(reject.field).toBe("comment");
    const bad = expectProblem(await decide(tokens.ap1, { decision: "maybe" }), 400);
    expect(bad.errors?.[0]).toMatchObject({ in: "body", field: "decision", pointer: "/decision" });
    // Break-glass: admins only, with a reason.
    expectProblem(
      await decide(tokens.ap1, {
        decision: "approve",
        breakGlass: true,
        reason: "An emergency, really.",
      }),
      403,
      /admins only/,
    );
    const noReason = expectProblem(
      await decide(tokens.admin2, { decision: "approve", breakGlass: true }),
      400,
    );
    expect(noReason.errors?.[0]).toMatchObject({ field: "reason" });
    expect(await db.prisma.approvalDecision.count({ where: { approvalId: id } })).toBe(before);
    expectProblem(
      await rest("POST", "/approvals/00000000-0000-4000-8000-000000000000/decisions", {
        token: tokens.ap1,
        body: approve,
      }),
      404,
    );

    // A second person approves the plan reviewed; the replay run starts, linked to the source.
    const decided = parse(ZApproval, await decide(tokens.ap1, approve));
    expect(decided.status).toBe("approved");
    expect(decided.decisions).toEqual([
      expect.objectContaining({ decision: "approve", userId: cast.ap1.id }),
    ]);
    const source = parse(ZRun, await rest("GET", `/runs/${runId}`, { token: tokens.ownerRead }));
    expect(source.lineage.replays).toHaveLength(1);
    // Decided: a second decision is a conflict.
    expectProblem(await decide(tokens.ap2, approve), 409, /already approved/);
  });

  it("submits a form's values, checked against its schema (422 when they do not match)", async () => {
    const { runId } = await parkedRun(
      db,
      owner.user,
      ws,
      humanFlow(
        "rest-form",
        "human.form@1",
        `assignees: { role: approver }
title: Billing contact
schema:
  type: object
  required: [email]
  properties:
    email: { type: string, minLength: 3 }`,
      ),
    );
    const list = parse(
      page(ZApproval),
      await rest("GET", `/approvals?runId=${runId}&kind=form`, { token: tokens.ap1Read }),
    );
    const id = list.items[0]!.id;
    expect(list.items[0]).toMatchObject({ kind: "form", form: { title: "Billing contact" } });
    const submit = (values: unknown) =>
      rest("POST", `/approvals/${id}/decisions`, {
        token: tokens.ap1,
        body: { decision: "submit", values },
      });
    expectProblem(await submit({ email: 3 }), 422, /do not match the form/);
    const done = parse(ZApproval, await submit({ email: "ops@example.test" }));
    expect(done.status).toBe("submitted");
  });

  it("refuses a second decision by the same person (403)", async () => {
    const { runId } = await parkedRun(
      db,
      owner.user,
      ws,
      humanFlow(
        "rest-two",
        "human.approval@1",
        "approvers: { role: approver }\nmessage: Two?\nminApprovals: 2",
      ),
    );
    const list = parse(
      page(ZApproval),
      await rest("GET", `/approvals?status=pending&runId=${runId}`, { token: tokens.ap1Read }),
    );
    expect(list.items).toHaveLength(1);
    const id = list.items[0]!.id;
    const decide = (token: string) =>
      rest("POST", `/approvals/${id}/decisions`, {
        token,
        body: { decision: "approve", comment: "Fine." },
      });
    expect(parse(ZApproval, await decide(tokens.ap1)).status).toBe("pending");
    expectProblem(await decide(tokens.ap1), 403, /already decided/);
    expect(parse(ZApproval, await decide(tokens.ap2)).status).toBe("approved");
  });

  it("lists pending approvals in pages", async () => {
    for (let i = 0; i < 3; i++)
      await parkedRun(
        db,
        owner.user,
        ws,
        humanFlow(
          `rest-page-${i}`,
          "human.approval@1",
          "approvers: { role: approver }\nmessage: Page",
        ),
      );
    const first = parse(
      page(ZApproval),
      await rest("GET", "/approvals?status=pending&limit=2", { token: tokens.ap1Read }),
    );
    expect(first.items).toHaveLength(2);
    expect(first.items.every((a) => a.status === "pending")).toBe(true);
    expect(first.nextCursor).toBe(first.items[1]!.id);
    const second = parse(
      page(ZApproval),
      await rest("GET", `/approvals?status=pending&limit=2&cursor=${first.nextCursor}`, {
        token: tokens.ap1Read,
      }),
    );
    expect(second.items.length).toBeGreaterThan(0);
    expect(second.items.map((a) => a.id)).not.toContain(first.items[0]!.id);
    const bad = expectProblem(
      await rest("GET", "/approvals?status=open&limit=1&limit=2", { token: tokens.ap1Read }),
      400,
    );
    expect(bad.errors?.map((e) => e.field)).toEqual(["limit"]);
    const unknown = expectProblem(
      await rest("GET", "/approvals?state=pending", { token: tokens.ap1Read }),
      400,
      /Unknown parameter/,
    );
    expect(unknown.errors?.[0]).toMatchObject({ in: "query", field: "state" });
    expectProblem(
      await rest("GET", `/approvals/${first.items[0]!.id}?verbose=1`, { token: tokens.ap1Read }),
      400,
      /takes none/,
    );
  });
});

describe("dead letters", () => {
  it("lists dead letters in pages and reprocesses them behind an approval (202)", async () => {
    const first = await failedRun();
    const { workflowId } = (await db.prisma.run.findUnique({ where: { id: first } }))!;
    await failedRun(workflowId!);
    const list = (q: string, token = tokens.ap1Read) =>
      rest("GET", `/dead-letters?workflowId=${workflowId}${q}`, { token });
    const p1 = parse(page(ZDeadLetter), await list("&limit=1"));
    expect(p1.items).toHaveLength(1);
    expect(p1.items[0]).toMatchObject({ stepId: "w2", status: "open", block: "crm.deal.update" });
    expect(p1.nextCursor).toBe(p1.items[0]!.id);
    const p2 = parse(page(ZDeadLetter), await list(`&limit=1&cursor=${p1.nextCursor}`));
    expect(p2.items).toHaveLength(1);
    expect(p2.items[0]!.id).not.toBe(p1.items[0]!.id);
    expect(p2.nextCursor).toBeNull();
    const bad = expectProblem(await list("&status=gone&from=yesterday"), 400);
    expect(bad.errors?.map((e) => e.field).sort()).toEqual(["from", "status"]);

    const ids = [p1.items[0]!.id, p2.items[0]!.id];
    const reprocess = (token: string, body: unknown) =>
      rest("POST", "/dead-letters/reprocess", { token, body });
    expectProblem(await reprocess(tokens.ownerRead, { ids }), 403, /run scope/);
    const both = expectProblem(
      await reprocess(tokens.ownerRun, { ids, filter: { workflowId } }),
      400,
    );
    expect(both.errors?.[0]).toMatchObject({ in: "body", field: "ids" });
    expect(await db.prisma.reprocessJob.count()).toBe(0);

    const res = await reprocess(tokens.ownerRun, { ids, canary: 1, ratePerMinute: 30 });
    const requested = parse(ZReprocessRequested, res, 202);
    const { job, approval } = requested;
    expect(res.headers.get("location")).toBe(`/api/v1/dead-letters/reprocess/${job.id}`);
    expect(job).toMatchObject({ state: "pending-approval", canary: 1, ratePerMinute: 30 });
    expect(job.progress.total).toBe(2);
    expect(approval).toMatchObject({
      kind: "reprocess",
      status: "pending",
      planHash: job.planHash,
    });
    // The job has the shape of its GET.
    const got = parse(
      ZReprocessJob,
      await rest("GET", `/dead-letters/reprocess/${job.id}`, { token: tokens.ap1Read }),
    );
    expect(got).toEqual(job);
    expectProblem(
      await rest("GET", "/dead-letters/reprocess/00000000-0000-4000-8000-000000000000", {
        token: tokens.ap1Read,
      }),
      404,
    );

    // Approved by a second person with the plan's hash; never by its requester.
    const decide = (token: string, body: unknown) =>
      rest("POST", `/approvals/${approval.id}/decisions`, { token, body });
    expectProblem(
      await decide(tokens.ownerAdmin, { decision: "approve", planHash: job.planHash }),
      403,
      /four-eyes/,
    );
    expectProblem(await decide(tokens.ap1, { decision: "approve" }), 422, /plan/);
    const decided = parse(
      ZApproval,
      await decide(tokens.ap1, { decision: "approve", planHash: job.planHash }),
    );
    expect(decided.status).toBe("approved");
    const after = parse(
      ZReprocessJob,
      await rest("GET", `/dead-letters/reprocess/${job.id}`, { token: tokens.ap1Read }),
    );
    expect(after.state).toBe("canary");
  });
});

describe("trust", () => {
  it("lists trust scores by kind with a read token; a bad kind is a field error", async () => {
    for (const kind of ["block", "endpoint", "model", "flow"]) {
      const listed = parse(
        page(ZTrustEntry),
        await rest("GET", `/trust?kind=${kind}`, { token: tokens.ownerRead }),
      );
      expect(listed.nextCursor).toBeNull();
      for (const e of listed.items) expect(e.kind).toBe(kind);
    }
    const bad = expectProblem(
      await rest("GET", "/trust?kind=planet&limit=0", { token: tokens.ownerRead }),
      400,
    );
    expect(bad.errors?.map((e) => [e.in, e.field])).toEqual([
      ["query", "kind"],
      ["query", "limit"],
    ]);
  });
});

it("every operation of the table declares its role and scope", () => {
  for (const r of ROUTES) {
    expect(r.role, r.operationId).toBeTruthy();
    expect(r.scope, r.operationId).toBeTruthy();
  }
});
