/**
 * Webhook-triggered flows for tests: a flow saved with a webhook secret (`seedWebhookFlow`), and
 * deliveries to it signed as a sender signs them (`signedDelivery`), for `receiveWebhook`.
 */
import { randomBytes } from "node:crypto";
import { createKeyring } from "@/server/adapters/connectors/credentials";
import { keyringVault } from "@/server/adapters/connectors/vault";
import type { CredentialVault } from "@/server/domain/connector/ports";
import { signWebhook } from "@/server/domain/trigger/signature";
import { rotateWebhookSecret, type WebhookDelivery } from "@/server/domain/trigger/webhooks";
import type { Db } from "@/server/domain/types";
import { servicesOfClient } from "@/server/wiring/services";
import { adminActor, callerFor, type TestUser } from "./fixtures";

/** A vault under a fresh random key (secrets sealed in one test file open only there). */
export function testVault(): CredentialVault {
  return keyringVault(createKeyring(randomBytes(32)));
}

/** A webhook flow as a sender knows it: where to deliver, and the secret to sign with. */
export interface WebhookFlow {
  /** The workflow's id. */
  id: string;
  workspaceSlug: string;
  flowName: string;
  secret: string;
}

/**
 * Saves `dsl` (a flow with a webhook trigger) as workflow `name` in `owner`'s workspace and
 * issues its webhook secret, as the owner (an admin) would.
 */
export async function seedWebhookFlow(
  db: Db,
  vault: CredentialVault,
  owner: TestUser,
  flow: { name: string; dsl: string },
): Promise<WebhookFlow> {
  const api = callerFor(db, owner.user, owner.workspace.id);
  const wf = await api.workflow.create(flow);
  const services = servicesOfClient(db);
  if (!services) throw new Error("seedWebhookFlow: open the database with openTestDatabase.");
  const { secret } = await rotateWebhookSecret({ ...services, vault }, adminActor(owner), {
    workflowId: wf.id,
  });
  const flowName = /^flow: (\S+)/m.exec(flow.dsl)?.[1];
  if (!flowName) throw new Error("seedWebhookFlow: the flow text names no flow.");
  return { id: wf.id, workspaceSlug: owner.workspace.slug, flowName, secret };
}

/**
 * A delivery of `body` to `hook`, signed with its secret at `at` (unix seconds; default now), or
 * carrying `signature` as given (a replayed or forged header).
 */
export function signedDelivery(
  hook: Pick<WebhookFlow, "workspaceSlug" | "flowName" | "secret">,
  body: string,
  opts: { at?: number; signature?: string; deliveryId?: string | null; wait?: boolean } = {},
): WebhookDelivery {
  return {
    workspaceSlug: hook.workspaceSlug,
    flowName: hook.flowName,
    body,
    signature:
      opts.signature ?? signWebhook(hook.secret, body, opts.at ?? Math.floor(Date.now() / 1000)),
    deliveryId: opts.deliveryId ?? null,
    wait: opts.wait ?? false,
  };
}
