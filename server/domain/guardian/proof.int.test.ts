/**
 * Proof before review and release (issue 18, items 4–5) on PGlite, with real runs: a billing
 * service answers 429 (a local server, every connection counted), the guardian groups the
 * failures and proposes a back-off; the proof replays the recorded 429s in sandbox sessions and
 * lets the retries the fix adds reach the session's mock (fixed 3/3, no regression, nothing
 * leaves the process); proofs tell a fix that does not fix and one that regresses; a newer
 * version voids a proposal; the four-eyes guard refuses the proposer; an approver releases the
 * fix as a new version and, as chosen, the reprocessing of the failed runs' dead letters on it,
 * which another approver approves and which succeeds.
 */
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { ensureDemoConnectors } from "@/server/domain/connector/connectors";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import type { Engine } from "@/server/engine/engine";
import { allowLoopback } from "@/server/testing/egress";
import { engineFor, tickToEnd, whileTicking } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { ZGuardianProposal } from "@/server/rest/guardian-schemas";
import { restClient, tokenOf } from "@/server/testing/rest";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { groupFailedRuns } from "./consumer";
import { proveProposal } from "./proof";
import type { Proof } from "./proof-evaluate";
import { proveWaiting } from "./proof-loop";
import { onFixDecided } from "./review";
import { releaseProposal } from "./release";
import { advanceReprocessJobs } from "@/server/domain/deadletter/runner";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let approver: Awaited<ReturnType<typeof makeUser>>;
let editor: Awaited<ReturnType<typeof makeUser>>;
let server: net.Server;
let port = 0;
let connections = 0;
const sockets = new Set<net.Socket>();
let workflowId = "";
let billingUrl = "";

const FLOW = (version: string) => `# accounts: read the billing account of a customer
flow: guarded-accounts
version: ${version}
trigger:
  manual: {}
inputs:
  accountId: { type: string }
steps:
  - id: account        # billing's account API
    uses: billing.account.get@1
    retry: { max: 0 }
    with: { accountId: "\${{ inputs.accountId }}" }
`;

const as = (u: Awaited<ReturnType<typeof makeUser>>) =>
  callerFor(db.prisma, u.user, owner.workspace.id);

async function setBilling(url: string | null) {
  await db.prisma.connector.updateMany({
    where: { workspaceId: owner.workspace.id, system: "billing" },
    data: { baseUrl: url ?? billingUrl },
  });
}

async function startRuns(n: number, version: string) {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const r = await as(owner).run.start({
      workflowId,
      version,
      inputs: { accountId: "ACC-5521" },
    });
    ids.push((await tickToEnd(engine, r.id)).id);
  }
  return ids;
}

function spyOnNetwork() {
  const calls: string[] = [];
  const record =
    (name: string) =>
    (...args: unknown[]) => {
      calls.push(`${name} ${String(args[0])}`);
      throw new Error(`${name} was called during a proof`);
    };
  const spies = [
    vi.spyOn(globalThis, "fetch").mockImplementation(record("fetch") as typeof fetch),
    vi.spyOn(http, "request").mockImplementation(record("http.request") as never),
    vi.spyOn(https, "request").mockImplementation(record("https.request") as never),
    vi.spyOn(net, "connect").mockImplementation(record("net.connect") as never),
    vi.spyOn(net, "createConnection").mockImplementation(record("net.createConnection") as never),
  ];
  return { calls, restore: () => spies.forEach((s) => s.mockRestore()) };
}

/** A proposal of the group written by hand (a person's, or one made to fail its proof). */
async function handProposal(groupId: string, text: string, proposedBy = "guardian", rule = "hand") {
  const base = await db.prisma.guardianProposal.findFirstOrThrow({ where: { groupId } });
  return db.prisma.guardianProposal.create({
    data: {
      ...base,
      id: crypto.randomUUID(),
      rule,
      text,
      status: "proposed",
      proof: undefined,
      approvalId: null,
      proposedBy,
      changes: [],
    },
  });
}

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "proof-owner");
  approver = await makeUser(db.prisma, "proof-approver");
  editor = await makeUser(db.prisma, "proof-editor");
  await addMembership(db.prisma, approver.user.id, owner.workspace.id, "approver");
  await addMembership(db.prisma, editor.user.id, owner.workspace.id, "approver");
  await ensureDemoConnectors(db.prisma, owner.workspace.id);
  billingUrl = (await db.prisma.connector.findFirstOrThrow({
    where: { workspaceId: owner.workspace.id, system: "billing" },
  }))!.baseUrl;
  server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on("close", () => sockets.delete(socket));
    socket.on("error", () => socket.destroy());
    const body = '{"error":"rate limit exceeded"}';
    socket.end(
      `HTTP/1.1 429 Too Many Requests\r\nretry-after: 1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`,
    );
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  port = (server.address() as net.AddressInfo).port;
  await allowLoopback(db.prisma, owner.workspace.id);
  engine = engineFor(db);
  const wf = await as(owner).workflow.create({ name: "Guarded accounts", dsl: FLOW("1.0.0") });
  await as(owner).workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW("1.0.0") });
  workflowId = wf.id;
});
afterAll(async () => {
  vi.restoreAllMocks();
  for (const socket of sockets) socket.destroy();
  await new Promise((r) => server?.close(r));
  await db?.close();
});

describe("a guardian fix: proved, reviewed under four eyes, released and replayed", () => {
  let groupId = "";
  let fixId = "";
  let failedRunIds: string[] = [];

  it("proves the back-off on the recorded 429s: fixed 3/3, no regression, zero outbound", async () => {
    // Two good runs (the regression set), then billing answers 429 for three.
    expect(await startRuns(2, "1.0.0")).toHaveLength(2);
    await setBilling(`http://127.0.0.1:${port}`);
    const failed = await startRuns(3, "1.0.0");
    failedRunIds = failed;
    const runs = await db.prisma.run.findMany({ where: { id: { in: failed } } });
    expect(runs.every((r) => r.status === "failed")).toBe(true);
    expect(connections).toBe(3);
    const deps = servicesFor(db).reconciliation;
    for (let i = 0; i < 10; i++) if (!(await reconcileEndedRuns(deps, { limit: 500 })).more) break;
    await groupFailedRuns(db.prisma);
    const fix = await db.prisma.guardianProposal.findFirstOrThrow({
      where: { workflowId, rule: "backoff-retry-after" },
    });
    groupId = fix.groupId;
    fixId = fix.id;

    const before = connections;
    const net = spyOnNetwork();
    let proof;
    try {
      proof = await whileTicking(
        engine,
        proveProposal(servicesFor(db), { ...actorOf(editor) }, fix.id),
      );
    } finally {
      net.restore();
    }
    expect(net.calls).toEqual([]);
    expect(proof?.status, JSON.stringify(proof)).toBe("passed");
    expect(connections).toBe(before);
    expect(proof).toMatchObject({
      status: "passed",
      fixed: 3,
      of: 3,
      regressions: 0,
      regressionOf: 2,
    });
    const failing = proof!.runs.filter((r) => r.kind === "failing");
    for (const r of failing) {
      expect(r.outcome).toBe("fixed");
      expect(r.failingStep).toMatchObject({ stepId: "account", status: "succeeded" });
      expect(["valid", "none"]).toContain(r.failingStep!.contract);
      // The recorded 429 was replayed, the retry the fix adds met the session's mock.
      expect(r.steps[0]).toMatchObject({ stepId: "account", recorded: 1, source: "recording" });
      expect(r.steps[0]!.mocked).toBeGreaterThanOrEqual(1);
    }
    expect(proof!.runs.filter((r) => r.kind === "regression").map((r) => r.outcome)).toEqual([
      "passed",
      "passed",
    ]);
    // Each run had its own session, closed once the run ended.
    const sessions = await db.prisma.sandboxSession.findMany({
      where: { id: { in: proof!.sessionIds } },
    });
    expect(sessions).toHaveLength(5);
    expect(sessions.every((s) => s.closedAt !== null)).toBe(true);
    const stored = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: fix.id } });
    expect(stored.status).toBe("proven");
    expect(stored.approvalId).not.toBeNull();
    // It waits in the Approvals inbox.
    const inbox = await as(approver).approval.list({ kind: "fix" });
    expect(inbox.items.map((a) => a.id)).toContain(stored.approvalId);
  }, 120_000);

  it("tells a fix that does not fix, and one that breaks the successful runs", async () => {
    // Proved in the background, as the guardian.
    const same = await handProposal(
      groupId,
      FLOW("1.0.0").replace("read the billing", "read a billing"),
      "guardian",
      "no-op",
    );
    expect(await whileTicking(engine, proveWaiting(servicesFor(db), 2))).toBe(1);
    const notFixed = (
      await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: same.id } })
    ).proof as unknown as Proof;
    expect(notFixed.by).toBe("guardian");
    expect(notFixed).toMatchObject({ status: "failed", fixed: 0, of: 3, regressions: 0 });
    expect(notFixed!.runs.find((r) => r.kind === "failing")!.outcome).toBe("not-fixed");
    const broken = FLOW("1.0.0")
      .replace("retry: { max: 0 }", "retry: { max: 3, initial_delay: 1s }")
      .concat(
        '  - id: shape\n    uses: data.transform@1\n    needs: [account]\n    with:\n      fields:\n        owner: int("not a number")\n',
      );
    const regressing = await handProposal(groupId, broken, "guardian", "regressing");
    const proof = await whileTicking(
      engine,
      proveProposal(servicesFor(db), actorOf(editor), regressing.id),
    );
    expect(proof, JSON.stringify(proof?.runs.map((r) => r.note))).toMatchObject({
      status: "failed",
      fixed: 3,
      regressions: 2,
    });
    const rows = await db.prisma.guardianProposal.findMany({
      where: { id: { in: [same.id, regressing.id] } },
    });
    expect(rows.map((r) => [r.status, r.approvalId])).toEqual([
      ["unproven", null],
      ["unproven", null],
    ]);
    // Without a passing proof there is nothing to accept.
    await expect(as(approver).guardianReview.accept({ id: same.id })).rejects.toThrow(
      /did not pass its sandbox proof/,
    );
  }, 120_000);

  it("abandons a proof that waits for its runs when the process stops, and queues it again", async () => {
    const interrupted = await handProposal(
      groupId,
      FLOW("1.0.0").replace("read the billing", "read the Billing"),
      "guardian",
      "interrupted",
    );
    const sessionName = `Guardian proof ${interrupted.id.slice(0, 8)} on run`;
    const proofRuns = async () => {
      const sessions = await db.prisma.sandboxSession.findMany({
        where: { name: { startsWith: sessionName } },
        select: { id: true },
      });
      return db.prisma.run.findMany({
        where: { sandboxSessionId: { in: sessions.map((x) => x.id) } },
        select: { id: true },
      });
    };
    const stopping = new AbortController();
    // The engine is not ticked: the proof's first run is started and never ends.
    const errors: unknown[] = [];
    const proving = proveWaiting(servicesFor(db), 2, (err) => errors.push(err), stopping.signal);
    await expect.poll(async () => (await proofRuns()).length, { timeout: 30_000 }).toBe(1);
    stopping.abort(new Error("the process is stopping"));
    // The wait ends at once (PROOF_RUN_TIMEOUT_MS is minutes), nothing stored, no error logged.
    expect(await proving).toBe(1);
    expect(errors).toEqual([]);
    const row = await db.prisma.guardianProposal.findUniqueOrThrow({
      where: { id: interrupted.id },
    });
    expect([row.status, row.proof, row.approvalId]).toEqual(["proposed", null, null]);
    // Its session was closed; its run ends (in the closed session) when the engine runs again.
    for (const r of await proofRuns()) await tickToEnd(engine, r.id);
    await db.prisma.guardianProposal.delete({ where: { id: interrupted.id } });
  }, 120_000);

  it("refuses the proposer and anyone without the approver role: no patch without another person", async () => {
    const versions = await db.prisma.workflowVersion.count({ where: { workflowId } });
    // A fix proposed by a member (the editor, who also holds the approver role).
    const fix = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: fixId } });
    const mine = await handProposal(groupId, fix.text, editor.user.id, "by-a-member");
    await whileTicking(engine, proveProposal(servicesFor(db), actorOf(owner), mine.id));
    await expect(as(editor).guardianReview.accept({ id: mine.id })).rejects.toThrow(
      /another person must decide/,
    );
    const viewer = await makeUser(db.prisma, "proof-viewer");
    await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
    await expect(as(viewer).guardianReview.accept({ id: fixId })).rejects.toThrow();
    expect(await db.prisma.workflowVersion.count({ where: { workflowId } })).toBe(versions);
    // The member's own proposal is rejected by another approver, with its reason kept.
    await as(approver).guardianReview.reject({
      id: mine.id,
      reason: "Duplicate of the guardian's fix.",
    });
    const rejected = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: mine.id } });
    expect(rejected).toMatchObject({
      status: "rejected",
      rejectReason: "Duplicate of the guardian's fix.",
    });
  }, 120_000);

  it("releases the accepted fix as a new version and replays the failed runs to success", async () => {
    const accepted = await as(approver).guardianReview.accept({
      id: fixId,
      comment: "Proof is convincing.",
      replay: true,
    });
    expect(accepted.release).toMatchObject({ status: "released", version: "1.0.1" });
    const v = await db.prisma.workflowVersion.findFirstOrThrow({
      where: { workflowId, version: "1.0.1" },
    });
    expect(v.authorId).toBe(approver.user.id);
    expect(v.dsl).toContain("version: 1.0.1");
    expect(v.dsl).toContain("# billing's account API"); // comments survive
    // The release asked, once, for the replays chosen with it: the three failed runs left open
    // dead letters, so they are one reprocess job on the new version (issue 15's approval-gated
    // reprocessing), requested by the approver, whichever caller released the fix.
    const asked = await vi.waitFor(
      async () => {
        const [rv] = await as(owner).guardianReview.reviews({ ids: [fixId] });
        const rel = rv?.release;
        if (!rel?.replaysAsked || (!rel.reprocess && rel.replays.length < 3))
          throw new Error("replays not asked yet");
        return rel;
      },
      { timeout: 30_000, interval: 100 },
    );
    expect(asked.replays).toHaveLength(0);
    expect(asked.reprocess).toMatchObject({ total: 3, state: "pending-approval" });
    const job = await db.prisma.reprocessJob.findUniqueOrThrow({
      where: { id: asked.reprocess!.jobId },
    });
    expect(job).toMatchObject({ requesterId: approver.user.id, selection: { version: "1.0.1" } });
    // The outage is over; the reprocessing, requested by the approver, is approved by another one.
    await setBilling(null);
    const jobApproval = await as(owner).approval.get({ id: asked.reprocess!.approvalId! });
    await expect(
      as(approver).approval.decide({
        id: jobApproval.id,
        decision: "approve",
        planHash: jobApproval.planHash!,
      }),
    ).rejects.toThrow(/another person must decide/);
    await as(owner).approval.decide({
      id: jobApproval.id,
      decision: "approve",
      planHash: jobApproval.planHash!,
    });
    // The job's runner starts its items at the job's pace (one a second), each replay run ticked
    // to its end.
    const runner = servicesFor(db);
    await vi.waitFor(
      async () => {
        await advanceReprocessJobs(runner);
        const running = await db.prisma.reprocessItem.findMany({
          where: { jobId: job.id, state: "running" },
          select: { replayRunId: true },
        });
        for (const it of running) if (it.replayRunId) await tickToEnd(engine, it.replayRunId);
        const j = await db.prisma.reprocessJob.findUniqueOrThrow({ where: { id: job.id } });
        if (j.state !== "completed" && j.state !== "stopped") throw new Error(`job ${j.state}`);
      },
      { timeout: 60_000, interval: 250 },
    );
    const ended = await db.prisma.reprocessJob.findUniqueOrThrow({ where: { id: job.id } });
    expect(ended).toMatchObject({ state: "completed", succeeded: 3, failed: 0 });
    const replayRuns = await db.prisma.run.findMany({
      where: { replayOfRunId: { in: failedRunIds } },
    });
    expect(replayRuns).toHaveLength(3);
    for (const r of replayRuns) {
      expect(r.status).toBe("succeeded");
      expect(r.version).toBe("1.0.1");
    }
    const [review] = await as(owner).guardianReview.reviews({ ids: [fixId] });
    expect(review).toMatchObject({
      status: "released",
      approval: { status: "approved", requesterLabel: "guardian" },
      release: { version: "1.0.1", releasedBy: approver.user.email },
    });
    expect(review!.release!.replays.every((r) => r.replayStatus === "succeeded")).toBe(true);
    // The REST answer carries the patch, the proof, the approval and the release.
    const token = await tokenOf(db, owner.user, owner.workspace.id, "admin", ["read"]);
    const res = await restClient(db)("GET", `/guardian/proposals?group=${groupId}`, { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const served = (res.body as { items: unknown[] }).items
      .map((x) => ZGuardianProposal.parse(x))
      .find((x) => x.id === fixId)!;
    expect(served.text).toContain("backoff: exponential");
    expect(served.proof).toMatchObject({ status: "passed", fixed: 3, of: 3 });
    expect(served.approval).toMatchObject({ status: "approved", requesterLabel: "guardian" });
    expect(served.approval!.decisions).toEqual([
      expect.objectContaining({ label: approver.user.email, decision: "approve" }),
    ]);
    expect(served.release).toMatchObject({ version: "1.0.1" });
    expect(served.release!.reprocess).toMatchObject({ total: 3, succeeded: 3, state: "completed" });
    const metrics = await as(owner).guardianReview.metrics({});
    expect(metrics).toMatchObject({
      releases: 1,
      failuresFixedAfterRelease: { fixed: 3, replayed: 3 },
    });
    expect(metrics.acceptanceRate).toBeCloseTo(0.5); // one released, one rejected
    expect(metrics.timeToFixMs.median).toBeGreaterThan(0);
    const ledger = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectId: fixId },
      select: { action: true },
    });
    expect(ledger.map((e) => e.action)).toEqual(
      expect.arrayContaining(["guardian.proposal.prove", "guardian.proposal.release"]),
    );
    // Releasing again changes nothing.
    expect(await releaseProposal(servicesFor(db), fixId)).toMatchObject({ version: "1.0.1" });
    expect(
      await onFixDecided(
        servicesFor(db),
        { id: "00000000-0000-4000-8000-000000000000", workspaceId: owner.workspace.id },
        { decision: "approved", by: [], comment: null },
      ),
    ).toBeNull();
  }, 120_000);

  it("voids a proposal once a newer version is saved", async () => {
    const fix = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: fixId } });
    // Every other proposal of the group patches 1.0.0; 1.0.1 is now the newest.
    const stale = await handProposal(groupId, fix.text, "guardian", "stale");
    const proof = await proveProposal(servicesFor(db), actorOf(owner), stale.id);
    expect(proof).toBeNull();
    const row = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: stale.id } });
    expect(row.status).toBe("void");
    expect(row.rejectReason).toMatch(/Version 1\.0\.1 of the flow was saved after version 1\.0\.0/);
    await expect(as(approver).guardianReview.accept({ id: stale.id })).rejects.toThrow(/void/);
  }, 60_000);
});

describe("a proof kept up with its group", () => {
  it("proves the failures recorded while it runs, and proves again when the group grows before anyone decides", async () => {
    const flow = FLOW("1.0.0").replace("flow: guarded-accounts", "flow: guarded-accounts-2");
    const wf = await as(owner).workflow.create({ name: "Guarded accounts 2", dsl: flow });
    await as(owner).workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: flow });
    const start = async (n: number) => {
      const ids: string[] = [];
      for (let i = 0; i < n; i++) {
        const r = await as(owner).run.start({
          workflowId: wf.id,
          version: "1.0.0",
          inputs: { accountId: "ACC-5521" },
        });
        ids.push((await tickToEnd(engine, r.id)).id);
      }
      return ids;
    };
    const group = async () => {
      const deps = servicesFor(db).reconciliation;
      for (let i = 0; i < 10; i++)
        if (!(await reconcileEndedRuns(deps, { limit: 500 })).more) break;
      await groupFailedRuns(db.prisma);
    };
    await setBilling(null);
    await start(2);
    await setBilling(`http://127.0.0.1:${port}`);
    const failed = await start(3);
    await group();
    const fix = await db.prisma.guardianProposal.findFirstOrThrow({
      where: { workflowId: wf.id, rule: "backoff-retry-after" },
    });
    // The third failure as if recorded while the proof runs: out of the group when it starts,
    // back in once its first run has ended.
    const third = await db.prisma.guardianMember.findFirstOrThrow({
      where: { groupId: fix.groupId, runId: failed[2] },
    });
    await db.prisma.guardianMember.delete({ where: { id: third.id } });
    const deps = servicesFor(db);
    const listAttempts = deps.runs.listAttempts.bind(deps.runs);
    const spy = vi.spyOn(deps.runs, "listAttempts").mockImplementationOnce(async (runId) => {
      await db.prisma.guardianMember.create({ data: third as never });
      return listAttempts(runId);
    });
    let proof;
    try {
      proof = await whileTicking(engine, proveProposal(deps, actorOf(editor), fix.id));
    } finally {
      spy.mockRestore();
    }
    expect(proof).toMatchObject({ status: "passed", fixed: 3, of: 3, regressionOf: 2 });
    expect(
      proof!.runs
        .filter((r) => r.kind === "failing")
        .map((r) => r.sourceRunId)
        .sort(),
    ).toEqual([...failed].sort());
    const proven = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: fix.id } });
    expect(proven.status).toBe("proven");
    const firstApproval = proven.approvalId!;
    expect(firstApproval).not.toBeNull();

    // A fourth failure is recorded before anyone decided: the approval is voided and the fix is
    // proved again on all four, then asked about again.
    const fourth = await start(1);
    await group();
    const back = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: fix.id } });
    expect([back.status, back.approvalId]).toEqual(["proposed", null]);
    const voided = await db.prisma.approval.findUniqueOrThrow({ where: { id: firstApproval } });
    expect(voided.status).toBe("voided");
    await expect(
      as(approver).guardianReview.accept({ id: fix.id, comment: "Proof is convincing." }),
    ).rejects.toThrow(/being proved again: its group recorded failures after its last proof/);
    const entry = await db.prisma.auditEntry.findFirstOrThrow({
      where: { subjectId: fix.id, action: "guardian.proposal.reprove" },
    });
    expect(entry.payload).toMatchObject({
      voidedApprovalId: firstApproval,
      provedOn: 3,
      recordedSince: 1,
    });
    expect(await whileTicking(engine, proveWaiting(servicesFor(db), 2))).toBe(1);
    const again = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: fix.id } });
    expect(again.status).toBe("proven");
    expect(again.proof).toMatchObject({ status: "passed", fixed: 4, of: 4 });
    expect((again.proof as unknown as Proof).runs.map((r) => r.sourceRunId)).toEqual(
      expect.arrayContaining([...failed, ...fourth]),
    );
    expect(again.approvalId).not.toBeNull();
    expect(again.approvalId).not.toBe(firstApproval);
    const inbox = await as(approver).approval.list({ kind: "fix" });
    expect(inbox.items.map((a) => a.id)).toContain(again.approvalId);
    expect(inbox.items.map((a) => a.id)).not.toContain(firstApproval);

    // Decided first, it stands: a later failure changes neither the approval nor the proposal.
    await as(approver).guardianReview.reject({ id: fix.id, reason: "Not now." });
    await start(1);
    await group();
    const decided = await db.prisma.guardianProposal.findUniqueOrThrow({ where: { id: fix.id } });
    expect(decided.status).toBe("rejected");
    expect(
      await db.prisma.auditEntry.count({
        where: { subjectId: fix.id, action: "guardian.proposal.reprove" },
      }),
    ).toBe(1);
  }, 180_000);
});

function actorOf(u: Awaited<ReturnType<typeof makeUser>>) {
  return {
    userId: u.user.id,
    label: u.user.email,
    workspaceId: owner.workspace.id,
    role: u === owner ? ("admin" as const) : ("approver" as const),
    via: "session" as const,
  };
}
