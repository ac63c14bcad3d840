/**
 * The guardian in the loop (issue 18, item 6) on PGlite: a new failure group is announced once
 * — in-app to the members who can act on it, and as a signed webhook sent through the egress
 * guard — with a link to the group on the Guardian page; later failures of the same group
 * announce nothing more.
 */
import { createHmac } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Database } from "@/server/adapters/prisma";
import { deliverDueWebhooks } from "@/server/domain/notification/webhooks";
import { addMembership, callerFor, makeUser } from "@/server/testing/fixtures";
import { guardianBed, type GuardianBed } from "@/server/testing/guardian";
import { servicesFor } from "@/server/testing/services";
import { openTestDatabase } from "@/server/testing/test-database";

let db: Database;
let bed: GuardianBed;
let server: http.Server;
let url = "";
const received: Array<{ headers: http.IncomingHttpHeaders; body: string }> = [];

beforeAll(async () => {
  db = await openTestDatabase();
  bed = await guardianBed(db, "loop-owner", "guardian-in-the-loop");
  server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString("utf8") });
      res.writeHead(200).end("ok");
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/guardian`;
}, 120_000);
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
  await db?.close();
});

describe("a new failure group", () => {
  it("is announced once, in-app and as a signed webhook through the egress guard", async () => {
    const ws = bed.owner.workspace.id;
    const editor = await makeUser(db.prisma, "loop-editor");
    const viewer = await makeUser(db.prisma, "loop-viewer");
    await addMembership(db.prisma, editor.user.id, ws, "editor");
    await addMembership(db.prisma, viewer.user.id, ws, "viewer");
    const owner = callerFor(db.prisma, bed.owner.user, ws);
    const hook = await owner.notification.webhooks.create({ url, events: ["guardian.group"] });
    await db.prisma.egressAllow.create({
      data: { workspaceId: ws, host: "127.0.0.1", allowHttp: true, allowPrivate: true },
    });

    await bed.runs(3);
    await bed.group();
    const group = await db.prisma.guardianGroup.findFirstOrThrow({ where: { workspaceId: ws } });
    const notes = await db.prisma.notification.findMany({
      where: { workspaceId: ws, kind: "guardian.group" },
    });
    expect(notes.map((n) => n.userId).sort()).toEqual([bed.owner.user.id, editor.user.id].sort());
    expect(notes[0]).toMatchObject({
      link: `/guardian?group=${group.id}`,
      title: 'New failure group: RetryAfterError (HTTP 429) at step "sync" of guardian-in-the-loop',
    });
    expect(notes[0]!.body).toMatch(/^3 failures so far, triaged as resilience\./);
    // The bell lists it.
    const bell = await callerFor(db.prisma, editor.user, ws).notification.list({ limit: 10 });
    expect(bell.items.map((i) => i.kind)).toContain("guardian.group");

    // More failures of the same group: nothing more is announced.
    await bed.runs(2);
    await bed.group();
    expect(
      await db.prisma.guardianGroup.findUniqueOrThrow({ where: { id: group.id } }),
    ).toMatchObject({ count: 5 });
    expect(
      await db.prisma.notification.count({ where: { workspaceId: ws, kind: "guardian.group" } }),
    ).toBe(2);
    const deliveries = await db.prisma.webhookEndpointDelivery.findMany({
      where: { endpointId: hook.endpoint.id },
    });
    expect(deliveries).toHaveLength(1);
    expect(deliveries[0]).toMatchObject({ eventType: "guardian.group", status: "pending" });

    // The sender signs it and sends it through the egress guard (127.0.0.1 allow-listed above).
    await deliverDueWebhooks(servicesFor(db).outgoingWebhooks);
    expect(received).toHaveLength(1);
    const { headers, body } = received[0]!;
    const parsed = JSON.parse(body) as {
      type: string;
      data: { group: { id: string; class: string; count: number }; link: string };
    };
    expect(parsed).toMatchObject({
      type: "guardian.group",
      data: {
        group: { id: group.id, class: "resilience", count: 3 },
        link: `/guardian?group=${group.id}`,
      },
    });
    const expected = createHmac("sha256", Buffer.from(hook.secret.slice("whsec_".length), "base64"))
      .update(`${headers["webhook-id"]}.${headers["webhook-timestamp"]}.${body}`)
      .digest("base64");
    expect(headers["webhook-signature"]).toBe(`v1,${expected}`);
  }, 120_000);
});
