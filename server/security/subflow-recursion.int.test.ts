/**
 * Attack: sub-flow recursion (issue 11, item 1). A flow that calls itself, directly or through
 * another flow, used to start child runs without end; a foreach of thousands of fire-and-forget
 * sub-flows flooded the run table. Now the nesting depth is capped (TRUSTFLOW_MAX_SUBFLOW_DEPTH,
 * default 10) and so are a workspace's active runs (TRUSTFLOW_MAX_ACTIVE_RUNS, foreach children
 * included): the step that would cross a limit fails non-retryably naming it, nothing is written
 * for the refused child, and the engine keeps serving other runs.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { startEmbeddedWorker, type EmbeddedWorker } from "@/server/adapters/queue/embedded-worker";
import { engineFor, watchRunEnds } from "@/server/testing/engine";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import { servicesFor } from "@/server/testing/services";

/** Active runs one workspace may have in this file (small, so the cap is reached quickly). */
const CAP = 12;

let db: Database;
let worker: EmbeddedWorker;
/** `ended(runId)` resolves when the run ends (the listener is registered before any run starts). */
const { ended, stop: stopListening } = watchRunEnds();

beforeAll(async () => {
  db = await openTestDatabase();
  servicesFor(db).admission.configure({ maxActiveRuns: CAP });
  worker = startEmbeddedWorker(servicesFor(db), {
    engine: engineFor(db, { maxSubflowDepth: 10, maxActiveRuns: CAP }),
    pollMs: 20,
    concurrency: 8,
    perWorkspaceLimit: 8,
  });
});

afterAll(async () => {
  stopListening();
  await worker?.stop();
  await db?.close();
  servicesFor(db).admission.configure();
});

const flowText = (name: string, steps: string) =>
  `flow: ${name}\nversion: 1.0.0\nsla: T2\ntrigger:\n  manual: {}\nsteps:\n${steps}`;

const callStep = (target: string) => `  - id: call
    uses: control.subflow@1
    with:
      flow: ${target}@1
`;

/** A workspace with `flows` published as 1.0.0; returns its caller and workflow ids by name. */
async function workspaceWith(label: string, flows: Record<string, string>) {
  const owner = await makeUser(db.prisma, label);
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const ids: Record<string, string> = {};
  for (const [name, steps] of Object.entries(flows)) {
    const dsl = flowText(name, steps);
    const wf = await api.workflow.create({ name, dsl });
    await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl });
    ids[name] = wf.id;
  }
  return { owner, api, ids };
}

async function runsOf(workspaceId: string) {
  return db.driver.query<{ id: string; status: string; parentRunId: string | null }>(
    `SELECT "id"::text AS id, "status"::text AS status, "parentRunId"::text AS "parentRunId"
     FROM "Run" WHERE "workspaceId" = $1::uuid`,
    [workspaceId],
  );
}

describe("sub-flow recursion", () => {
  it("a flow that calls itself stops at depth 10 with the limit named, leaving no active run", async () => {
    const { owner, api, ids } = await workspaceWith("recurse", { recurse: callStep("recurse") });
    const started = await api.run.start({ workflowId: ids.recurse!, inputs: {} });
    const end = await ended(started.id);

    expect(end.status).toBe("failed");
    expect(end.error?.message).toContain("sub-flow depth limit is 10");
    expect(end.error?.message).toContain("TRUSTFLOW_MAX_SUBFLOW_DEPTH");
    // The root and ten nested levels, no more; each level failed, none left queued or waiting.
    const runs = await runsOf(owner.workspace.id);
    expect(runs).toHaveLength(11);
    expect(new Set(runs.map((r) => r.status))).toEqual(new Set(["failed"]));

    // The deepest run's step failed at once (one attempt, not retryable) naming the limit.
    const parents = new Set(runs.map((r) => r.parentRunId));
    const deepest = runs.find((r) => !parents.has(r.id))!;
    const attempts = await servicesFor(db).runs.listAttempts(deepest.id);
    expect(attempts).toHaveLength(1);
    expect(attempts[0]).toMatchObject({ stepId: "call", status: "failed" });
    expect(attempts[0]!.error).toMatchObject({
      retryable: false,
      detail: { limit: "subflow-depth", max: 10, depth: 10 },
    });
    // Nothing pending behind it: no task of any of these runs is still due.
    const pending = await db.driver.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM "RunTask" t JOIN "Run" r ON r."id" = t."runId"
       WHERE r."workspaceId" = $1::uuid AND t."doneAt" IS NULL`,
      [owner.workspace.id],
    );
    expect(pending[0]!.n).toBe(0);
  });

  it("recursion through another flow (ping → pong → ping) stops at the same depth", async () => {
    const { owner, api, ids } = await workspaceWith("pingpong", {
      ping: callStep("pong"),
      pong: callStep("ping"),
    });
    const started = await api.run.start({ workflowId: ids.ping!, inputs: {} });
    const end = await ended(started.id);
    expect(end.status).toBe("failed");
    expect(end.error?.message).toContain("TRUSTFLOW_MAX_SUBFLOW_DEPTH");
    expect(await runsOf(owner.workspace.id)).toHaveLength(11);
  });

  it("foreach children beyond the active-run cap are refused; nothing is half-written; the engine keeps serving", async () => {
    const { owner, api, ids } = await workspaceWith("fanout", {
      // A child that stays active: it waits for a person.
      hold: `  - id: ask
    uses: human.approval@1
    with:
      approvers: { role: approver }
      message: hold
`,
      spawn: `  - id: each
    uses: control.foreach@1
    with:
      items: \${{ [${Array.from({ length: 40 }, (_, i) => i).join(", ")}] }}
      continueOnError: true
      do:
        uses: control.subflow@1
        with:
          flow: hold@1
          wait: false
`,
    });
    const started = await api.run.start({ workflowId: ids.spawn!, inputs: {} });
    const end = await ended(started.id);
    expect(end.status).toBe("succeeded");

    // The parent counted against the cap while it ran: CAP - 1 children, the rest refused.
    const runs = await runsOf(owner.workspace.id);
    const children = runs.filter((r) => r.parentRunId === started.id);
    expect(children).toHaveLength(CAP - 1);
    expect(children.every((c) => c.status === "waiting")).toBe(true);
    const attempts = await servicesFor(db).runs.listAttempts(started.id);
    const refused = attempts.filter((a) => a.status === "failed");
    expect(refused).toHaveLength(40 - (CAP - 1));
    for (const a of refused) {
      expect(a.error?.message).toContain("TRUSTFLOW_MAX_ACTIVE_RUNS");
      expect(a.error).toMatchObject({ retryable: false, detail: { limit: "active-runs" } });
    }
    expect(end.output).toBeDefined();

    // A manual start beyond the cap is refused with the limit named, and writes nothing.
    const before = (await runsOf(owner.workspace.id)).length;
    await api.run.start({ workflowId: ids.hold!, inputs: {} }); // the 12th active run
    const ledgerBefore = await db.prisma.auditEntry.count({
      where: { workspaceId: owner.workspace.id, action: "run.start" },
    });
    await expect(api.run.start({ workflowId: ids.hold!, inputs: {} })).rejects.toMatchObject({
      code: "TOO_MANY_REQUESTS",
      message: expect.stringContaining("TRUSTFLOW_MAX_ACTIVE_RUNS"),
    });
    expect((await runsOf(owner.workspace.id)).length).toBe(before + 1);
    expect(
      await db.prisma.auditEntry.count({
        where: { workspaceId: owner.workspace.id, action: "run.start" },
      }),
    ).toBe(ledgerBefore);

    // Another workspace's runs are served meanwhile, and this one's once runs finish.
    const other = await workspaceWith("other", {
      quick: `  - id: t
    uses: data.transform@1
    with:
      fields: { ok: "'yes'" }
`,
    });
    const quick = await other.api.run.start({ workflowId: other.ids.quick!, inputs: {} });
    expect((await ended(quick.id)).status).toBe("succeeded");

    const waiting = (await runsOf(owner.workspace.id)).filter((r) => r.status === "waiting");
    await api.run.cancel({ id: waiting[0]!.id });
    const again = await api.run.start({ workflowId: ids.hold!, inputs: {} });
    expect(again.status).toBe("queued");
  });
});
