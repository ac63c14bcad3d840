import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { callerFor, makeUser, type TestUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let owner: TestUser;
let kept: { id: string };
let gone: { id: string };
let tokenId: string;
let runId: string;

const FLOW = `flow: audited
version: 1.0.0
trigger:
  manual: {}
inputs:
  amount: { type: number }
steps:
  - id: calc
    uses: data.transform@1
    with:
      fields: { double: double(inputs.amount) * 2.0 }
`;

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "lister");
  const asOwner = callerFor(db.prisma, owner.user, owner.workspace.id);
  kept = await asOwner.workflow.create({ name: "Quote to cash" });
  gone = await asOwner.workflow.create({ name: "Old flow" });
  await asOwner.workflow.delete({ id: gone.id });
  tokenId = (await asOwner.token.create({ name: "ci" })).id;
  runId = (await asOwner.run.start({ workflowId: kept.id, dsl: FLOW, inputs: { amount: 1 } })).id;
});
afterAll(() => db?.close());

describe("audit list", () => {
  it("names each subject as it is now, and says when it no longer exists", async () => {
    const asOwner = callerFor(db.prisma, owner.user, owner.workspace.id);
    const { entries } = await asOwner.audit.list({});
    const subject = (type: string, id: string) =>
      entries.find((e) => e.subjectType === type && e.subjectId === id)?.subject;
    expect(subject("workflow", kept.id)).toEqual({ name: "Quote to cash", exists: true });
    expect(subject("workflow", gone.id)).toEqual({ name: "", exists: false });
    expect(subject("api-token", tokenId)).toEqual({ name: "ci", exists: true });
    // A run reads as the run view titles it.
    expect(subject("run", runId)).toEqual({ name: "Quote to cash (draft)", exists: true });
    // The workspace and the user have no lookup: null, and the UI links by type alone.
    expect(entries.find((e) => e.subjectType === "user")?.subject).toBeNull();
  });

  it("filters one subject's history", async () => {
    const asOwner = callerFor(db.prisma, owner.user, owner.workspace.id);
    const { entries } = await asOwner.audit.list({ subjectType: "workflow", subjectId: gone.id });
    expect(entries.map((e) => e.action)).toEqual(["workflow.delete", "workflow.create"]);
  });

  it("never describes another workspace's subject", async () => {
    const other = await makeUser(db.prisma, "other");
    const asOther = callerFor(db.prisma, other.user, other.workspace.id);
    const { entries } = await asOther.audit.list({ subjectId: kept.id });
    expect(entries).toEqual([]);
  });

  it("offers every subject type, run and connector included", async () => {
    const types = await callerFor(db.prisma, owner.user, owner.workspace.id).audit.subjectTypes();
    expect(types.map((t) => t.type)).toEqual(
      expect.arrayContaining(["workflow", "run", "connector", "api-token", "membership"]),
    );
  });
});
