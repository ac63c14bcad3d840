/**
 * The fallback model rule in the background (issue 18, item 3) on PGlite: the consumer writes
 * rule proposals without the router's configuration, so the model loop writes the fallback
 * model proposal of an agent group that failed on its model, once per failing version, naming
 * the configured models of the step's task the failures did not involve. The router's models
 * come from a test port (the wiring reads TRUSTFLOW_MODELS).
 */
import { randomUUID } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import type { FailureRecord } from "./fingerprint";
import { writeFallbackProposals } from "./model-loop";
import type { GuardianModelPort } from "./model-ports";
import { triage } from "./triage";

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let workflowId = "";

const FLOW = `# mail triage: the model sorts the support mail
flow: mail-triage
version: 1.0.0
trigger:
  manual: {}
inputs:
  text: { type: string }
steps:
  - id: sort              # the model decides
    uses: agent.classify@1
    model: { route: gpt-a }
    with:
      text: \${{ inputs.text }}
      labels: [billing, bug, other]
`;

/** The router's configuration as the port gives it: two models that classify, one that drafts. */
const port: GuardianModelPort = {
  configured: () => [],
  ask: () => Promise.reject(new Error("not asked in this test")),
  capableOf: (blockId) => (blockId.startsWith("agent.classify") ? ["gpt-a", "gpt-b"] : ["gpt-c"]),
};

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "fallback-owner");
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const wf = await api.workflow.create({ name: "Mail triage", dsl: FLOW });
  await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: FLOW });
  workflowId = wf.id;
});
afterAll(async () => {
  await db?.close();
});

describe("the fallback model rule in the model loop", () => {
  it("writes the fallback proposal of an agent group failing on its model, once per version", async () => {
    const ws = owner.workspace.id;
    const record = (runId: string): FailureRecord => ({
      workspaceId: ws,
      runId,
      stepId: "sort",
      attempt: 1,
      workflowId,
      flowName: "mail-triage",
      version: "1.0.0",
      irHash: "sha256:mail-triage",
      blockId: "agent.classify@1",
      errorName: "RetryAfterError",
      message: "Every model was rate limited (gpt-a: rate limited).",
      code: null,
      httpStatus: 429,
      category: "integration",
      retryable: true,
      retryAfterMs: 1000,
      deadLetterId: null,
      recovered: false,
      at: Date.now(),
    });
    const records = [record(randomUUID()), record(randomUUID()), record(randomUUID())];
    const t = triage(records);
    expect(t).toMatchObject({ class: "resilience", resilience: "rate-limit" });
    const groupId = randomUUID();
    const past = new Date(Date.now() - 60_000);
    await db.prisma.guardianGroup.create({
      data: {
        id: groupId,
        workspaceId: ws,
        workflowId,
        flowName: "mail-triage",
        stepId: "sort",
        blockId: "agent.classify@1",
        operation: "",
        errorName: "RetryAfterError",
        httpStatus: 429,
        strictKey: "k",
        template: "Every model was rate limited (gpt-a: rate limited).",
        rulesVersion: 1,
        class: t.class,
        triage: t as object,
        count: 3,
        firstSeenAt: past,
        lastSeenAt: past,
        firstRunId: records[0]!.runId,
        lastRunId: records[2]!.runId,
        failingVersion: "1.0.0",
        failingIrHash: "sha256:mail-triage",
        updatedAt: past,
      },
    });
    await db.prisma.guardianMember.createMany({
      data: records.map((r) => ({
        groupId,
        workspaceId: ws,
        runId: r.runId,
        stepId: "sort",
        attempt: 1,
        fingerprint: "f",
        template: "t",
        message: r.message,
        version: "1.0.0",
        irHash: r.irHash,
        similarity: 1,
        record: r as object,
        seenAt: past,
      })),
    });

    expect(await writeFallbackProposals({ db: db.prisma, guardianModel: port })).toBe(1);
    const proposals = await db.prisma.guardianProposal.findMany({ where: { groupId } });
    // Only the fallback rule: the consumer writes the back-off.
    expect(proposals.map((p) => p.rule)).toEqual(["fallback-model"]);
    const p = proposals[0]!;
    expect(parse(p.text).steps[0].model).toEqual({ route: "gpt-a", fallback: ["gpt-b"] });
    expect(p.text).toContain("  - id: sort              # the model decides\n");
    expect(p).toMatchObject({ status: "proposed", proposedBy: "guardian", baseVersion: "1.0.0" });
    // Once per failing version.
    expect(await writeFallbackProposals({ db: db.prisma, guardianModel: port })).toBe(0);
  });
});
