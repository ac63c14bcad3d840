import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { sweepApprovals } from "@/server/domain/approval/approvals";
import type { Clock } from "@/server/engine/ports";
import {
  approvalCast,
  groupWith,
  humanFlow,
  parkedRun,
  requestedApproval,
  tickUntil,
  type Person,
} from "@/server/testing/approvals";
import { engineFor } from "@/server/testing/engine";
import { callerFor, type TestUser } from "@/server/testing/fixtures";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";
import { deliverDueWebhooks } from "./webhooks";

let db: Database;
let owner: TestUser;
let cast: Record<"ap1" | "ap2" | "ed" | "admin2" | "viewer", Person>;
let ws: string;

beforeAll(async () => {
  db = await openTestDatabase();
  const c = await approvalCast(db, {
    ap1: "approver",
    ap2: "approver",
    ed: "editor",
    admin2: "admin",
    viewer: "viewer",
  });
  owner = c.owner;
  cast = c.people;
  ws = owner.workspace.id;
  await groupWith(db, owner.user, ws, "finance", [cast.ed]);
});
afterAll(() => db?.close());

const as = (u: Person) => callerFor(db.prisma, u, ws);

/** A clock the test moves (ahead of the wall clock, so runs started now are due). */
function fakeClock(start = Date.now() + 60_000) {
  let t = start;
  const clock: Clock = { now: () => t, sleep: () => Promise.resolve() };
  return { clock, advance: (ms: number) => (t += ms), now: () => t };
}

/** Who was notified of `kind` about something whose title contains `about`. */
async function notified(kind: string, about: string) {
  const rows = await db.prisma.notification.findMany({
    where: { workspaceId: ws, kind, title: { contains: about } },
    select: { userId: true },
  });
  return rows.map((r) => r.userId).sort();
}
const ids = (...people: Array<{ id: string }>) => people.map((p) => p.id).sort();

describe("approvals are created where the wait begins", () => {
  it("an approval row exists right after the run parks, without any read", async () => {
    const flow = humanFlow(
      "parkrow",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Pay?",
    );
    const { runId } = await parkedRun(db, owner.user, ws, flow);
    // No list, count or get was called: the worker's park hook created it.
    const rows = await db.prisma.approval.findMany({ where: { runId } });
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ kind: "step", status: "pending", stepId: "gate" });
  });

  it("count and list write nothing; the sweep creates what a missed park left", async () => {
    // An engine without the hook: a worker that crashed between park and sync.
    const engine = engineFor(db, { onRunParked: undefined });
    const flow = humanFlow(
      "missed",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Missed?",
    );
    const { runId } = await parkedRun(db, owner.user, ws, flow, engine);
    const before = await db.prisma.approval.count();
    const notes = await db.prisma.notification.count();
    await as(cast.ap1).approval.count();
    await as(cast.ap1).approval.list({ status: "all" });
    expect(await db.prisma.approval.count()).toBe(before);
    expect(await db.prisma.approval.count({ where: { runId } })).toBe(0);
    expect(await db.prisma.notification.count()).toBe(notes);

    const swept = await sweepApprovals(servicesFor(db), { now: Date.now() });
    expect(swept.created).toBeGreaterThanOrEqual(1);
    expect(await db.prisma.approval.count({ where: { runId } })).toBe(1);
    // A second sweep finds nothing more to create.
    await sweepApprovals(servicesFor(db), { now: Date.now() });
    expect(await db.prisma.approval.count({ where: { runId } })).toBe(1);
  });
});

describe("in-app notifications", () => {
  it("a request notifies the people who may decide it, never the requester", async () => {
    const flow = humanFlow(
      "whohears",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Who hears",
    );
    await parkedRun(db, owner.user, ws, flow);
    // role: approver (the default) admits approvers and admins; the requester is an admin.
    expect(await notified("approval.requested", "whohears")).toEqual(
      ids(cast.ap1, cast.ap2, cast.admin2),
    );

    const grouped = humanFlow(
      "grouphears",
      "human.approval@1",
      "approvers: { group: finance }\nmessage: Finance?",
    );
    await parkedRun(db, owner.user, ws, grouped);
    // The guard's group rule: the editor in finance qualifies, the approvers do not.
    expect(await notified("approval.requested", "grouphears")).toEqual(ids(cast.ed));

    // The bell: the unread count, the list, mark read, mark all read.
    const bell = as(cast.ed).notification;
    const { unread } = await bell.unreadCount();
    expect(unread).toBeGreaterThanOrEqual(1);
    const list = await bell.list({ limit: 1 });
    expect(list.items[0]).toMatchObject({ kind: "approval.requested", read: false });
    expect(list.items[0]!.title).toContain("grouphears");
    await bell.markRead({ ids: [list.items[0]!.id] });
    expect((await bell.unreadCount()).unread).toBe(unread - 1);
    // Someone else's id changes nothing.
    expect(await as(cast.ap1).notification.markRead({ ids: [list.items[0]!.id] })).toEqual({
      updated: 0,
    });
    await bell.markAllRead();
    expect((await bell.unreadCount()).unread).toBe(0);
  });

  it("a decision notifies the requester", async () => {
    const flow = humanFlow(
      "decided",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Decide",
    );
    const { runId } = await parkedRun(db, owner.user, ws, flow);
    const a = await db.prisma.approval.findFirstOrThrow({ where: { runId } });
    await as(cast.ap1).approval.decide({ id: a.id, decision: "reject", comment: "Not now" });
    const notes = await db.prisma.notification.findMany({
      where: { workspaceId: ws, kind: "approval.decided", title: { contains: "decided" } },
    });
    expect(notes.map((n) => n.userId)).toEqual([owner.user.id]);
    expect(notes[0]!.title).toContain("rejected");
    expect(notes[0]!.body).toContain("Not now");
  });

  it("the sweep escalates on its clock and notifies the admins; expiry notifies the requester", async () => {
    const t = fakeClock();
    const engine = engineFor(db, { clock: t.clock, onRunParked: undefined });
    const flow = humanFlow(
      "escalates",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Anyone?\ntimeout: 1s\nonTimeout: escalate",
    );
    const { runId } = await parkedRun(db, owner.user, ws, flow, engine);
    await sweepApprovals(servicesFor(db), { now: t.now() });
    const a = await db.prisma.approval.findFirstOrThrow({ where: { runId } });
    expect(a.escalatedAt).toBeNull();
    t.advance(2_000);
    await engine.tick(); // the step's timer fires; the step stays parked
    await sweepApprovals(servicesFor(db), { now: t.now() });
    expect(
      (await db.prisma.approval.findUniqueOrThrow({ where: { id: a.id } })).escalatedAt,
    ).not.toBeNull();
    // The admins, not the requester (an admin too).
    expect(await notified("approval.escalated", "escalates")).toEqual(ids(cast.admin2));
    await sweepApprovals(servicesFor(db), { now: t.now() });
    expect(await notified("approval.escalated", "escalates")).toEqual(ids(cast.admin2));

    // A step whose timeout rejects it: the sweep expires its approval and tells the requester.
    const timed = humanFlow(
      "expires",
      "human.approval@1",
      "approvers: { role: approver }\nmessage: Quick\ntimeout: 1s",
    );
    const expiring = await parkedRun(db, owner.user, ws, timed, engine);
    await sweepApprovals(servicesFor(db), { now: t.now() });
    t.advance(2_000);
    await tickUntil(db, engine, expiring.runId, (st) => st === "failed");
    const stale = await db.prisma.approval.findFirstOrThrow({ where: { runId: expiring.runId } });
    expect(stale.status).toBe("pending");
    await sweepApprovals(servicesFor(db), { now: t.now() });
    expect((await db.prisma.approval.findUniqueOrThrow({ where: { id: stale.id } })).status).toBe(
      "expired",
    );
    expect(await notified("approval.expired", "expires")).toEqual(ids(owner.user));

    // A replay approval past its expiresAt: expired by the sweep at the sweep's time.
    const s = servicesFor(db);
    const replay = await requestedApproval(db, {
      workspaceId: ws,
      kind: "replay",
      requester: { userId: cast.ap1.id, label: cast.ap1.email },
      subject: { message: "expiring replay" },
      planHash: "h".repeat(64),
      expiresAt: t.now() + 60_000,
    });
    await sweepApprovals(s, { now: t.now() + 59_000 });
    expect((await db.prisma.approval.findUniqueOrThrow({ where: { id: replay.id } })).status).toBe(
      "pending",
    );
    await sweepApprovals(s, { now: t.now() + 61_000 });
    expect((await db.prisma.approval.findUniqueOrThrow({ where: { id: replay.id } })).status).toBe(
      "expired",
    );
    expect(
      await db.prisma.notification.findMany({
        where: { kind: "approval.expired", userId: cast.ap1.id },
        select: { userId: true },
      }),
    ).toHaveLength(1);
    expect(
      await db.prisma.auditEntry.count({
        where: { action: "approval.expire", subjectId: replay.id },
      }),
    ).toBe(1);
  });
});

describe("signed outgoing webhooks", () => {
  let server: http.Server;
  let url: string;
  let answer = 200;
  const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
        res.writeHead(answer).end("ok");
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/trustflow`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const request = (label: string) =>
    requestedApproval(db, {
      workspaceId: ws,
      kind: "replay",
      requester: { userId: cast.ap1.id, label: cast.ap1.email },
      subject: { message: label },
      planHash: "p".repeat(64),
    });

  it("admins manage endpoints; the secret is shown once; create, rotate and delete are in the ledger", async () => {
    await expect(
      as(cast.ap1).notification.webhooks.create({ url, events: ["approval.requested"] }),
    ).rejects.toMatchObject({ code: "FORBIDDEN" });
    await expect(
      as(owner.user).notification.webhooks.create({
        url: "https://user:pw@hooks.example.com/x",
        events: ["approval.requested"],
      }),
    ).rejects.toMatchObject({ code: "BAD_REQUEST" });
    const made = await as(owner.user).notification.webhooks.create({
      url: "https://hooks.example.com/x",
      events: ["approval.requested"],
    });
    expect(made.secret).toMatch(/^whsec_/);
    const listed = await as(owner.user).notification.webhooks.list();
    expect(JSON.stringify(listed)).not.toContain(made.secret);
    expect(JSON.stringify(await db.prisma.webhookEndpoint.findMany())).not.toContain(
      made.secret.slice(6),
    );
    const rotated = await as(owner.user).notification.webhooks.rotateSecret({
      id: made.endpoint.id,
    });
    expect(rotated.secret).not.toBe(made.secret);
    await as(owner.user).notification.webhooks.delete({ id: made.endpoint.id });
    const actions = await db.prisma.auditEntry.findMany({
      where: { workspaceId: ws, subjectId: made.endpoint.id },
      orderBy: { seq: "asc" },
      select: { action: true, payload: true },
    });
    expect(actions.map((a) => a.action)).toEqual([
      "webhook.create",
      "webhook.rotate-secret",
      "webhook.delete",
    ]);
    expect(JSON.stringify(actions)).not.toContain(made.secret.slice(6));
  });

  it("signs each delivery and sends it through the egress guard (loopback refused until allow-listed)", async () => {
    const t = fakeClock();
    const deps = { ...servicesFor(db).outgoingWebhooks, clock: t.clock };
    const made = await as(owner.user).notification.webhooks.create({
      url,
      events: ["approval.requested", "approval.decided"],
    });
    const approval = await request("signed one");
    const [delivery] = await db.prisma.webhookEndpointDelivery.findMany({
      where: { endpointId: made.endpoint.id },
    });
    expect(delivery).toMatchObject({
      status: "pending",
      attempts: 0,
      eventType: "approval.requested",
    });

    // http to 127.0.0.1 without an allow-list entry: the egress guard refuses it.
    await deliverDueWebhooks(deps);
    let row = await db.prisma.webhookEndpointDelivery.findUniqueOrThrow({
      where: { id: delivery!.id },
    });
    expect(received).toHaveLength(0);
    expect(row).toMatchObject({ status: "pending", attempts: 1 });
    expect(row.lastError).toBeTruthy();

    await db.prisma.egressAllow.create({
      data: { workspaceId: ws, host: "127.0.0.1", allowHttp: true, allowPrivate: true },
    });
    t.advance(60_000);
    await deliverDueWebhooks(deps);
    row = await db.prisma.webhookEndpointDelivery.findUniqueOrThrow({
      where: { id: delivery!.id },
    });
    expect(row).toMatchObject({
      status: "delivered",
      attempts: 2,
      lastStatus: 200,
      lastError: null,
    });
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    const parsed = JSON.parse(body) as Record<string, unknown>;
    expect(Object.keys(parsed).sort()).toEqual(["createdAt", "data", "id", "type", "workspaceId"]);
    expect(parsed).toMatchObject({ type: "approval.requested", workspaceId: ws });
    expect((parsed.data as { approval: { id: string } }).approval.id).toBe(approval.id);
    expect(headers["webhook-id"]).toBe(parsed.id);
    expect(headers["webhook-timestamp"]).toBe(String(Math.floor(t.now() / 1000)));
    // Verified independently: HMAC-SHA256 of "id.timestamp.body" keyed by the secret's bytes.
    const expected = createHmac("sha256", Buffer.from(made.secret.slice("whsec_".length), "base64"))
      .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
      .digest("base64");
    expect(headers["webhook-signature"]).toBe(`v1,${expected}`);

    // The log in Settings.
    const log = await as(owner.user).notification.webhooks.deliveries({
      endpointId: made.endpoint.id,
    });
    expect(log.items[0]).toMatchObject({ status: "delivered", attempts: 2, lastStatus: 200 });
    await as(owner.user).notification.webhooks.delete({ id: made.endpoint.id });
  });

  it("retries a 500 with exponential back-off and stops after the max attempts", async () => {
    received.length = 0;
    answer = 500;
    const t = fakeClock();
    const deps = {
      ...servicesFor(db).outgoingWebhooks,
      clock: t.clock,
      retry: { maxAttempts: 3, baseMs: 1_000 },
    };
    const made = await as(owner.user).notification.webhooks.create({
      url,
      events: ["approval.requested"],
    });
    await request("failing one");
    const byEndpoint = { where: { endpointId: made.endpoint.id } };
    await deliverDueWebhooks(deps); // attempt 1, next after 1 s
    expect(received).toHaveLength(1);
    let row = await db.prisma.webhookEndpointDelivery.findFirstOrThrow(byEndpoint);
    expect(row).toMatchObject({ status: "pending", attempts: 1, lastStatus: 500 });
    expect(row.nextAttemptAt.getTime()).toBe(t.now() + 1_000);
    t.advance(999);
    await deliverDueWebhooks(deps); // not due yet
    expect(received).toHaveLength(1);
    t.advance(1);
    await deliverDueWebhooks(deps); // attempt 2, next after 2 s
    expect(received).toHaveLength(2);
    row = await db.prisma.webhookEndpointDelivery.findFirstOrThrow(byEndpoint);
    expect(row.nextAttemptAt.getTime()).toBe(t.now() + 2_000);
    t.advance(2_000);
    await deliverDueWebhooks(deps); // attempt 3: the last
    row = await db.prisma.webhookEndpointDelivery.findFirstOrThrow(byEndpoint);
    expect(row).toMatchObject({ status: "failed", attempts: 3, lastStatus: 500 });
    expect(row.lastError).toContain("500");
    t.advance(3_600_000);
    await deliverDueWebhooks(deps);
    expect(received).toHaveLength(3);
    // The same event id on every attempt (receivers deduplicate by it).
    expect(new Set(received.map((r) => r.headers["webhook-id"])).size).toBe(1);
    answer = 200;
  });
});
