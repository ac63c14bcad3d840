/** Seeding for the webhook benchmarks: a workspace, webhook flows and their secret. */
import { randomBytes, randomUUID } from "node:crypto";
import { createKeyring, sealSecret } from "@/server/adapters/connectors/credentials";
import type { Database } from "@/server/adapters/prisma";
import { makeUser } from "@/server/testing/fixtures";

/**
 * The 2-step webhook flow answering with its output. Its optional `event` input carries the
 * sender's event id, as real senders' bodies do: the replay guard keys on the signed content,
 * so two deliveries signed in the same second must differ in their bodies.
 */
export const HOOK_FLOW = `flow: hook2
version: 1.0.0
sla: T2
trigger:
  webhook: {}
inputs:
  event: { type: string, required: false }
steps:
  - id: first
    uses: data.transform@1
    with:
      fields: { hop: "'one'" }
  - id: second
    uses: data.transform@1
    needs: [first]
    with:
      fields: { hop: "'two'" }
outputs:
  hop: \${{ steps.second.output.hop }}
`;

/** A delivery's body: a fresh event id (the signed content of every delivery is unique). */
export const eventBody = () => JSON.stringify({ event: randomUUID() });

/** Creates a workspace with the webhook flow and its secret; returns what a sender needs. */
export async function seedWebhook(
  db: Pick<Database, "prisma">,
  key: Buffer,
  flowText = HOOK_FLOW,
  extra: string[] = [],
  label = "hook",
) {
  const owner = await makeUser(db.prisma, label);
  const secret = `whsec_${randomBytes(24).toString("base64url")}`;
  const paths: Record<string, string> = {};
  for (const text of [flowText, ...extra]) {
    const name = /^flow: (\S+)/m.exec(text)![1]!;
    const wf = await db.prisma.workflow.create({
      data: { workspaceId: owner.workspace.id, name, draft: text, createdById: owner.user.id },
    });
    const sealed = sealSecret(createKeyring(key), secret, `webhook:${owner.workspace.id}:${wf.id}`);
    await db.prisma.webhookSecret.create({
      data: {
        workspaceId: owner.workspace.id,
        workflowId: wf.id,
        flowName: name,
        ...sealed,
        hint: secret.slice(-4),
      },
    });
    paths[name] = `/api/hooks/${owner.workspace.slug}/${name}`;
  }
  return { secret, paths };
}
