/**
 * Tests reach loopback receivers (`startMockServer`, `node:http` fakes) the way a workspace admin
 * would allow an internal host: an `EgressAllow` entry for 127.0.0.1 with plain http and private
 * addresses allowed. The egress guard itself stays as strict as in production.
 */
import type { EgressLookup } from "@/server/adapters/egress/guard";
import type { PrismaClient } from "@/server/adapters/prisma";

/** Allow-lists 127.0.0.1 (http, private) for each workspace; idempotent. */
export async function allowLoopback(
  db: Pick<PrismaClient, "egressAllow">,
  ...workspaceIds: string[]
): Promise<void> {
  for (const workspaceId of workspaceIds) {
    await db.egressAllow.upsert({
      where: { workspaceId_host: { workspaceId, host: "127.0.0.1" } },
      create: {
        workspaceId,
        host: "127.0.0.1",
        allowHttp: true,
        allowPrivate: true,
        reason: "test receiver",
      },
      update: { allowHttp: true, allowPrivate: true },
    });
  }
}

/** A DNS lookup that fails the test's call if reached: for guards that must refuse before one. */
export const noDnsLookup: EgressLookup = () =>
  Promise.reject(new Error("no DNS lookup may happen"));
