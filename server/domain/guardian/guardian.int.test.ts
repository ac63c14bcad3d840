/**
 * The guardian end to end on PGlite (issue 18, items 1–3 and 5): real runs fail (a drifted
 * upstream response, a 429 storm, an expired credential); once reconciled, the consumer groups
 * their failed attempts once each, triages the groups, and proposes patches of the failing
 * version for the patchable ones; tRPC and REST read them; a person's merge and split move the
 * members, are audited, and steer the next failures.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { page } from "@/server/rest/schemas";
import { ZGuardianGroup, ZGuardianProposal } from "@/server/rest/guardian-schemas";
import { reconcileEndedRuns } from "@/server/domain/run/reconcile-runs";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import type { Engine } from "@/server/engine/engine";
import { NonRetryableError, RetryAfterError } from "@/server/engine/errors";
import { builtinRuntimes } from "@/server/engine/runtimes/registry";
import { engineFor, runManyToEnd } from "@/server/testing/engine";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { restClient, tokenOf } from "@/server/testing/rest";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { groupFailedRuns } from "./consumer";

let db: Database;
let engine: Engine;
let owner: Awaited<ReturnType<typeof makeUser>>;
let viewer: Awaited<ReturnType<typeof makeUser>>;
let workflowId: string;

const flow = (version: string) => `# contact sync: the profile service feeds the CRM.
flow: guardian-sync
version: ${version}
steps:
  - id: fetch          # the profile service
    uses: http.request@1
    with:
      method: GET
      url: https://profiles.example.com/v1/people
  - id: shape
    uses: data.transform@1
    with:
      fields:
        email: steps.fetch.output.body.email   # mapped by hand
  - id: sync
    uses: crm.contact.update@1
    retry: { max: 0 }
    with:
      id: CON-1
      email: \${{ steps.shape.output.email }}
`;

let upstream: Record<string, unknown> = { email: "ada@example.com" };
let syncFault: "none" | "429" | "401" = "none";

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "guardian");
  viewer = await makeUser(db.prisma, "guardian-viewer");
  await addMembership(db.prisma, viewer.user.id, owner.workspace.id, "viewer");
  const runtimes = builtinRuntimes();
  runtimes.register("http.request", {
    execute: () => ({ status: 200, headers: {}, body: { id: "P-1", ...upstream } }),
  });
  runtimes.register("crm.contact.update", {
    execute() {
      if (syncFault === "429")
        throw new RetryAfterError(
          20_000,
          `crm PATCH /contacts/CON-1 failed with HTTP 429: rate limit exceeded (request ${crypto.randomUUID()})`,
          { detail: { status: 429 } },
        );
      if (syncFault === "401")
        throw new NonRetryableError(
          `crm PATCH /contacts/CON-1 failed with HTTP 401: token expired at 2026-12-0${Math.floor(Math.random() * 9) + 1}T1${Math.floor(Math.random() * 9)}:00:00Z`,
          { classification: { category: "auth", severity: "high" }, detail: { status: 401 } },
        );
      return { id: "CON-1", updatedAt: new Date().toISOString() };
    },
  });
  engine = engineFor(db, { runtimes });
  const api = callerFor(db.prisma, owner.user, owner.workspace.id);
  const wf = await api.workflow.create({ name: "Guardian Sync", dsl: flow("1.0.0") });
  await api.workflow.createVersion({ id: wf.id, version: "1.0.0", dsl: flow("1.0.0") });
  workflowId = wf.id;
});
afterAll(() => db?.close());

const api = () => callerFor(db.prisma, owner.user, owner.workspace.id);

async function runMany(count: number, version: string) {
  const r = compileFlow(flow(version));
  if (!r.ir) throw new Error(r.diagnostics.map((d) => d.message).join("\n"));
  return runManyToEnd(
    engine,
    { workspaceId: owner.workspace.id, workflowId, version, ir: r.ir },
    count,
  );
}

async function reconcileAndGroup() {
  const deps = servicesFor(db).reconciliation;
  for (let i = 0; i < 20; i++) if (!(await reconcileEndedRuns(deps, { limit: 500 })).more) break;
  return groupFailedRuns(db.prisma);
}

describe("the guardian", () => {
  it("groups, triages and proposes fixes for failures as they happen", async () => {
    expect((await runMany(3, "1.0.0")).every((r) => r!.status === "succeeded")).toBe(true);
    await api().workflow.createVersion({ id: workflowId, version: "1.1.0", dsl: flow("1.1.0") });
    upstream = { emailAddress: "ada@example.com" }; // the profile service renamed its field
    await runMany(4, "1.1.0");
    upstream = { email: "ada@example.com" };
    syncFault = "429";
    await runMany(5, "1.1.0");
    syncFault = "401";
    const last = await runMany(3, "1.1.0");
    expect(last.every((r) => r!.status === "failed")).toBe(true);

    const batch = await reconcileAndGroup();
    expect(batch).toMatchObject({ runs: 15, failures: 12, groups: 3, more: false });
    expect(batch.proposals).toBeGreaterThanOrEqual(2);
    // Each run is read once.
    expect((await groupFailedRuns(db.prisma)).runs).toBe(0);

    const { items } = await api().guardian.groups({});
    const byClass = Object.fromEntries(items.map((g) => [g.class, g]));
    expect(Object.keys(byClass).sort()).toEqual(["drift", "external", "resilience"]);
    expect(byClass.drift).toMatchObject({ stepId: "shape", count: 4, failingVersion: "1.1.0" });
    expect(byClass.drift!.drift).toContainEqual(
      expect.objectContaining({ kind: "renamed", path: "body.email", to: "body.emailAddress" }),
    );
    expect(byClass.resilience).toMatchObject({
      httpStatus: 429,
      count: 5,
      errorName: "RetryAfterError",
    });
    expect(byClass.resilience!.template).toBe(
      "crm PATCH /contacts/<id> failed with HTTP <n>: rate limit exceeded (request <uuid>)",
    );
    expect(byClass.resilience!.why.join(" ")).toMatch(/Same flow, step "sync"/);
    expect(byClass.external).toMatchObject({ httpStatus: 401, count: 3, proposals: 0 });

    const drift = await api().guardian.group({ id: byClass.drift!.id });
    expect(drift.members).toHaveLength(4);
    expect(drift.hints.versionDiff).toMatchObject({ failing: "1.1.0", lastGood: "1.0.0" });
    expect(drift.hints.summary.join(" ")).toMatch(/1.0.0 last succeeded/);
    const [rename] = drift.proposalList;
    expect(rename).toMatchObject({
      rule: "rename-field",
      baseVersion: "1.1.0",
      status: "proposed",
      current: true,
    });
    expect(rename!.text).toContain(
      "email: steps.fetch.output.body.emailAddress   # mapped by hand",
    );
    expect(rename!.baseText).toBe(flow("1.1.0"));
    expect(compileFlow(rename!.text).ok).toBe(true);

    const backoff = await api().guardian.proposals({ group: byClass.resilience!.id });
    expect(backoff.map((p) => p.rule)).toEqual(["backoff-retry-after"]);
    expect(backoff[0]!.text).toContain("initial_delay: 20s");
    expect(backoff[0]!.text).toContain("# contact sync: the profile service feeds the CRM.");
    expect(backoff[0]!.bump).toBe("patch");
  });

  it("serves groups and proposals on the REST API with a read token", async () => {
    const rest = restClient(db);
    const token = await tokenOf(db, owner.user, owner.workspace.id, "admin", ["read"]);
    const res = await rest("GET", "/guardian/groups?limit=2", { token });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    const first = page(ZGuardianGroup).parse(res.body);
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).not.toBeNull();
    const next = await rest(
      "GET",
      `/guardian/groups?limit=2&cursor=${encodeURIComponent(first.nextCursor!)}`,
      { token },
    );
    expect(page(ZGuardianGroup).parse(next.body).items).toHaveLength(1);
    const drift = [...first.items, ...page(ZGuardianGroup).parse(next.body).items].find(
      (g) => g.class === "drift",
    )!;
    const props = await rest("GET", `/guardian/proposals?group=${drift.id}`, { token });
    expect(props.status).toBe(200);
    const list = (props.body as { items: unknown[] }).items.map((p) => ZGuardianProposal.parse(p));
    expect(list[0]!.rule).toBe("rename-field");
    const bad = await rest("GET", "/guardian/proposals?group=nope", { token });
    expect(bad.status).toBe(400);
    const badCursor = await rest("GET", "/guardian/groups?cursor=zzz", { token });
    expect(badCursor.status).toBe(400);
  });

  it("turns a person's merge and split into audited rules the next failures obey", async () => {
    const { items } = await api().guardian.groups({});
    const ext = items.find((g) => g.class === "external")!;
    const res = items.find((g) => g.class === "resilience")!;
    const asViewer = callerFor(db.prisma, viewer.user, owner.workspace.id);
    await expect(asViewer.guardian.merge({ into: res.id, from: [ext.id] })).rejects.toThrow(
      /editor role/,
    );

    const merged = await api().guardian.merge({
      into: res.id,
      from: [ext.id],
      reason: "one CRM incident",
    });
    expect(merged.merged).toBe(1);
    const after = await api().guardian.group({ id: res.id });
    expect(after.count).toBe(8);
    expect(after.templates).toHaveLength(2);
    expect(after.why.join(" ")).toMatch(/merged 1 group\(s\) into this one: one CRM incident/);
    expect((await api().guardian.groups({})).items.map((g) => g.id)).not.toContain(ext.id);

    // A new 401 joins the merged group.
    await runMany(1, "1.1.0");
    await reconcileAndGroup();
    expect((await api().guardian.group({ id: res.id })).count).toBe(9);

    // Split the 401s off again: the members move, and the next 401 goes to the split group.
    const tpl = after.templates.find((t) => /token expired/.test(t.template))!.template;
    const split = await api().guardian.split({ id: res.id, template: tpl, reason: "two causes" });
    expect(split.moved).toBe(4);
    const parted = await api().guardian.group({ id: split.id });
    expect(parted).toMatchObject({ count: 4, split: true, class: "external" });
    expect((await api().guardian.group({ id: res.id })).count).toBe(5);
    await runMany(1, "1.1.0");
    await reconcileAndGroup();
    expect((await api().guardian.group({ id: split.id })).count).toBe(5);
    await expect(api().guardian.split({ id: split.id, template: tpl })).rejects.toThrow(
      /nothing to split/,
    );

    const audit = await db.prisma.auditEntry.findMany({
      where: { workspaceId: owner.workspace.id, subjectType: "guardian_group" },
      orderBy: { seq: "asc" },
    });
    expect(audit.map((a) => a.action)).toEqual(["guardian.merge", "guardian.split"]);
    expect(await db.prisma.guardianRule.count({ where: { workspaceId: owner.workspace.id } })).toBe(
      2,
    );
  });
});
