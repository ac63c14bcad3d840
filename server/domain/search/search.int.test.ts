import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { addMembership, callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import {
  ATTEMPT_ERROR_DOC,
  AUDIT_DOC,
  AUDIT_INDEXED,
  FLOW_DOC,
  RUN_ERROR_DOC,
  SEARCH_INDEXES,
  VERSION_DOC,
} from "./documents";
import { searchSql, type SearchGroup, type SearchKind, type SearchResult } from "./search";

let db: Database;
let owner: TestUser;
let viewer: TestUser;
let outsider: TestUser;
let flowId: string;
let otherFlowId: string;
let failedRunId: string;

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);
const viewerApi = () => callerFor(db.prisma, viewer.user, owner.workspace.id);
const outsiderApi = () => callerFor(db.prisma, outsider.user, outsider.workspace.id);

const group = (r: SearchResult, kind: SearchKind): SearchGroup => {
  const g = r.groups.find((x) => x.kind === kind);
  if (!g) throw new Error(`no ${kind} group`);
  return g;
};
const hitText = (parts: { text: string; hit: boolean }[]) =>
  parts
    .filter((p) => p.hit)
    .map((p) => p.text.toLowerCase())
    .join(" ");

async function fails(p: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await p;
  } catch (err) {
    return err as { code: string; message: string };
  }
  throw new Error("expected the call to fail");
}

/** A finished run of `workflowId` in `workspaceId`, failed at step `stepId` with `message`. */
async function failedRun(workspaceId: string, workflowId: string, stepId: string, message: string) {
  const id = randomUUID();
  const error = JSON.stringify({ name: "ConnectorError", message, retryable: false });
  await db.prisma.$executeRawUnsafe(
    `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", status, error, "startedBy", "finishedAt")
     VALUES ($1::uuid, $2::uuid, $3::uuid, '1.0.0', 'h', 'failed', $4::jsonb, 'someone@example.test', now())`,
    id,
    workspaceId,
    workflowId,
    error,
  );
  for (const attempt of [1, 2]) {
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "StepAttempt" ("runId", "stepId", attempt, status, "blockId", error, "idempotencyKey", "startedAt", "finishedAt")
       VALUES ($1::uuid, $2, $3, 'failed', 'crm.create_contact', $4::jsonb, $5, now(), now())`,
      id,
      stepId,
      attempt,
      error,
      `${id}:${stepId}:${attempt}`,
    );
  }
  return id;
}

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "search-owner");
  viewer = await makeUser(db.prisma, "search-viewer");
  outsider = await makeUser(db.prisma, "search-outsider");
  await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");

  const wf = await api().workflow.create({
    name: "Quarterly Reconciliation",
    description: "Matches ledger exports against the billing system",
  });
  flowId = wf.id;
  const current = await api().workflow.get({ id: flowId });
  await api().workflow.createVersion({
    id: flowId,
    version: "0.1.0",
    message: "First cut with zebrafish tolerance",
    dsl: current.draft,
  });
  // Its description mentions reconciliation only in passing: ranks below the flow named so.
  const other = await api().workflow.create({
    name: "Ledger Export",
    description: "Feeds the reconciliation flow",
  });
  otherFlowId = other.id;
  failedRunId = await failedRun(
    owner.workspace.id,
    otherFlowId,
    "push_invoice",
    "Upstream refused the payload: quokka quota exhausted",
  );

  // The outsider's workspace holds the same words: none of it may show up for the owner.
  const theirs = await outsiderApi().workflow.create({
    name: "Quarterly Reconciliation elsewhere",
    description: "zebrafish",
  });
  await failedRun(outsider.workspace.id, theirs.id, "push_invoice", "quokka quota exhausted");
}, 120_000);

afterAll(async () => {
  await db?.close();
});

describe("search", () => {
  it("finds a flow by its name, the best match first, and links to the studio", async () => {
    const r = await api().search.query({ q: "reconcil" });
    const flows = group(r, "flow");
    expect(flows.items.map((i) => i.id)).toEqual([flowId, otherFlowId]);
    expect(flows.items[0]!.href).toBe(`/studio/${flowId}`);
    expect(flows.items[0]!.rank).toBeGreaterThan(flows.items[1]!.rank);
    expect(r.terms).toEqual(["reconcil"]);
  });

  it("finds a version by its message and highlights the words", async () => {
    const r = await api().search.query({ q: "zebrafish", kinds: ["version"] });
    const versions = group(r, "version");
    expect(versions.items).toHaveLength(1);
    expect(versions.items[0]!.title).toBe("Quarterly Reconciliation v0.1.0");
    expect(versions.items[0]!.href).toBe(`/workflows/${flowId}`);
    expect(hitText(versions.items[0]!.snippet)).toBe("zebrafish");
    expect(r.groups.map((g) => g.kind)).toEqual(["version"]);
  });

  it("finds a run by its error, its id prefix, and its flow with a status", async () => {
    const byError = group(await api().search.query({ q: "quokka" }), "run");
    expect(byError.items.map((i) => i.id)).toEqual([failedRunId]);
    expect(byError.items[0]!.href).toBe(`/runs/${failedRunId}`);
    expect(hitText(byError.items[0]!.snippet)).toBe("quokka");

    const byId = group(await api().search.query({ q: failedRunId.slice(0, 8) }), "run");
    expect(byId.items.map((i) => i.id)).toEqual([failedRunId]);

    const byFlowAndStatus = group(await api().search.query({ q: "ledger failed" }), "run");
    expect(byFlowAndStatus.items.map((i) => i.id)).toEqual([failedRunId]);
    const wrongStatus = group(await api().search.query({ q: "ledger succeeded" }), "run");
    expect(wrongStatus.items).toEqual([]);
  });

  it("finds a step error once per step, linked to the run's step", async () => {
    const steps = group(await api().search.query({ q: "quota exhausted" }), "stepError");
    expect(steps.items).toHaveLength(1);
    expect(steps.items[0]!.id).toBe(`${failedRunId}/push_invoice`);
    expect(steps.items[0]!.detail).toContain("attempt 2");
    expect(steps.items[0]!.href).toBe(`/runs/${failedRunId}?step=push_invoice`);
    expect(hitText(steps.items[0]!.snippet)).toBe("quota exhausted");
  });

  it("finds audit entries by action words and payload, linked to the filtered log", async () => {
    const audit = group(
      await api().search.query({ q: "workflow create", kinds: ["audit"] }),
      "audit",
    );
    expect(audit.items.length).toBeGreaterThanOrEqual(2);
    expect(audit.items.every((i) => i.title.startsWith("workflow."))).toBe(true);
    const hrefs = audit.items.map((i) => new URL(i.href, "http://x"));
    expect(hrefs.every((u) => u.pathname === "/audit")).toBe(true);
    expect(hrefs.map((u) => u.searchParams.get("subjectId"))).toContain(flowId);
  });

  it("leaves the start and end entries every run writes out of the ledger's search, not people's run entries", async () => {
    const ws = owner.workspace.id;
    const base = await db.prisma.auditEntry.aggregate({
      where: { workspaceId: ws },
      _max: { seq: true },
    });
    const runId = randomUUID();
    const actions = [
      "run.start",
      "run.succeeded",
      "run.failed",
      "run.cancel",
      "run.replay.request",
    ];
    for (const [i, action] of actions.entries())
      await db.prisma.auditEntry.create({
        data: {
          workspaceId: ws,
          seq: (base._max.seq ?? 0) + i + 1,
          prevHash: "x",
          hash: "x",
          actorLabel: action === "run.cancel" ? "approver@example.test" : "engine",
          action,
          subjectType: "run",
          subjectId: runId,
          payload: { note: "wombat lifecycle" },
          at: new Date(),
        },
      });
    const audit = group(await api().search.query({ q: "wombat", kinds: ["audit"] }), "audit");
    // The run's own entries are found through the run (its id, flow and error), not here.
    expect(audit.items.map((i) => i.title).sort()).toEqual([
      "run.cancel · run",
      "run.replay.request · run",
    ]);
  });

  it("answers a viewer the same way", async () => {
    const r = await viewerApi().search.query({ q: "quokka" });
    expect(group(r, "run").items.map((i) => i.id)).toEqual([failedRunId]);
  });

  it("keeps each workspace's results to itself", async () => {
    const mine = await api().search.query({ q: "quokka zebrafish reconciliation", limit: 20 });
    const theirs = await outsiderApi().search.query({ q: "quokka", limit: 20 });
    expect(group(theirs, "run").items).toHaveLength(1);
    expect(group(theirs, "run").items[0]!.id).not.toBe(failedRunId);
    const all = [...mine.groups, ...theirs.groups].flatMap((g) => g.items.map((i) => i.id));
    expect(new Set(all).size).toBe(all.length);
    const flows = group(await api().search.query({ q: "elsewhere" }), "flow");
    expect(flows.items).toEqual([]);
  });

  it("refuses bad input cheaply and treats operators as plain text", async () => {
    const long = await fails(api().search.query({ q: "x".repeat(201) }));
    expect(long.code).toBe("BAD_REQUEST");
    expect(long.message).toContain("200 characters");
    const limit = await fails(api().search.query({ q: "a", limit: 500 }));
    expect(limit.code).toBe("BAD_REQUEST");
    // tsquery syntax is not interpreted: no error, and nothing is searched for.
    const ops = await api().search.query({ q: "& | ! ( ) : * <-> '" });
    expect(ops.terms).toEqual([]);
    expect(ops.groups.every((g) => g.items.length === 0)).toBe(true);
    const mixed = await api().search.query({ q: "quokka:* | !zebrafish" });
    expect(mixed.terms).toEqual(["quokka", "zebrafish"]);
  });

  it("repeats the migration's index expressions (each plan uses its GIN index)", async () => {
    // With sequential scans off and no other predicate, only an index on the very expression
    // can serve the match: a drift between documents.ts and the migration fails here.
    const probes: Record<keyof typeof SEARCH_INDEXES, string> = {
      flow: `SELECT 1 FROM "Workflow" w WHERE w."deletedAt" IS NULL AND ${FLOW_DOC} @@ to_tsquery('simple', 'quokka')`,
      version: `SELECT 1 FROM "WorkflowVersion" v WHERE ${VERSION_DOC} @@ to_tsquery('simple', 'quokka')`,
      run: `SELECT 1 FROM "Run" r WHERE r.error IS NOT NULL AND ${RUN_ERROR_DOC} @@ to_tsquery('simple', 'quokka')`,
      stepError: `SELECT 1 FROM "StepAttempt" a WHERE a.error IS NOT NULL AND ${ATTEMPT_ERROR_DOC} @@ to_tsquery('simple', 'quokka')`,
      audit: `SELECT 1 FROM "AuditEntry" e WHERE ${AUDIT_INDEXED} AND ${AUDIT_DOC} @@ to_tsquery('simple', 'quokka')`,
    };
    await db.prisma.$executeRawUnsafe("SET enable_seqscan = off");
    try {
      for (const [kind, index] of Object.entries(SEARCH_INDEXES)) {
        const rows = await db.prisma.$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(
          `EXPLAIN ${probes[kind as keyof typeof SEARCH_INDEXES]}`,
        );
        expect(rows.map((r) => r["QUERY PLAN"]).join("\n"), kind).toContain(index);
      }
    } finally {
      await db.prisma.$executeRawUnsafe("RESET enable_seqscan");
    }
  });

  it("sends SQL PostgreSQL accepts for every kind, words or not", async () => {
    for (const text of ["quokka", "failed", failedRunId.slice(0, 8), "failed ledger"]) {
      for (const kind of Object.keys(SEARCH_INDEXES) as SearchKind[]) {
        const built = searchSql(kind, text);
        if (built) await expect(planOf(kind, text)).resolves.toContain("Limit");
      }
    }
  });
});

/** EXPLAIN of the query `search` sends for one kind. */
async function planOf(kind: SearchKind, q: string): Promise<string> {
  const built = searchSql(kind, q);
  if (!built) throw new Error(`no SQL for ${kind}`);
  const rows = await db.prisma.$queryRawUnsafe<Array<{ "QUERY PLAN": string }>>(
    `EXPLAIN ${built.sql}`,
    owner.workspace.id,
    6,
    ...built.params,
  );
  return rows.map((r) => r["QUERY PLAN"]).join("\n");
}

describe("search on a seeded workspace (10,000 runs, 10,000 attempts, 10,000 audit entries)", () => {
  it("answers within a bound and still finds the needle", async () => {
    const ws = owner.workspace.id;
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "Run" (id, "workspaceId", "workflowId", version, "irHash", status, error, "createdAt")
       SELECT gen_random_uuid(), $1::uuid, $2::uuid, '1.0.0', 'h',
              (CASE WHEN i % 4 = 0 THEN 'failed' ELSE 'succeeded' END)::"RunStatus",
              CASE WHEN i % 4 = 0 THEN jsonb_build_object('name', 'HttpError',
                'message', 'upstream returned 503 for request ' || i || ' via gateway g' || (i % 97)) END,
              now() - make_interval(secs => i)
         FROM generate_series(1, 10000) AS i`,
      ws,
      flowId,
    );
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "StepAttempt" ("runId", "stepId", attempt, status, "blockId", error, "idempotencyKey", "startedAt")
       SELECT r.id, 'call_api', 1, CASE WHEN r.error IS NULL THEN 'succeeded' ELSE 'failed' END,
              'http.request', r.error, r.id::text, r."createdAt"
         FROM "Run" r WHERE r."workspaceId" = $1::uuid AND r."irHash" = 'h' AND r."workflowId" = $2::uuid`,
      ws,
      flowId,
    );
    const base = await db.prisma.auditEntry.aggregate({
      where: { workspaceId: ws },
      _max: { seq: true },
    });
    await db.prisma.$executeRawUnsafe(
      `INSERT INTO "AuditEntry" (id, "workspaceId", seq, "prevHash", hash, "actorLabel", action,
                                 "subjectType", "subjectId", payload, at)
       SELECT gen_random_uuid(), $1::uuid, $2::int + i, 'x', 'x', 'seed@example.test', 'run.replay.request',
              'run', gen_random_uuid()::text, jsonb_build_object('startedBy', 'seed', 'n', i), now()
         FROM generate_series(1, 10000) AS i`,
      ws,
      base._max.seq ?? 0,
    );
    await db.prisma.$executeRawUnsafe("ANALYZE");

    // Correct answers at volume; the query times are the benchmark's (bench/RESULTS.md), never
    // asserted here.
    const search = async (q: string) => ({ result: await api().search.query({ q }) });
    const needle = await search("quokka");
    expect(group(needle.result, "run").items.map((i) => i.id)).toEqual([failedRunId]);
    const common = await search("503 gateway");
    expect(group(common.result, "stepError").items).toHaveLength(5);
    expect(group(common.result, "stepError").more).toBe(true);
    expect(group(common.result, "run").items).toHaveLength(5);
    const status = await search("failed");
    expect(group(status.result, "run").items.every((i) => i.detail.includes("failed"))).toBe(true);
    const audit = await search("run replay request");
    expect(group(audit.result, "audit").items).toHaveLength(5);
  }, 120_000);
});
