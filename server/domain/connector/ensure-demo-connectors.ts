/** The demo workspace's connectors to the built-in mock services. */
import { appendAudit } from "../audit/ledger";
import type { Db } from "../types";
import { CONNECTOR_SYSTEMS } from "./schemas";
import { mockBaseUrl } from "./types";

/**
 * Creates the demo workspace's CRM, billing and CLM connectors, pointing at the built-in mock
 * services (`mock://<system>`, reached in-process with the workspace as tenant). Idempotent:
 * existing systems are kept.
 */
export async function ensureDemoConnectors(db: Db, workspaceId: string) {
  const created: string[] = [];
  await db.$transaction(async (tx) => {
    for (const system of CONNECTOR_SYSTEMS) {
      const exists = await tx.connector.findFirst({ where: { workspaceId, system } });
      if (exists) continue;
      const row = await tx.connector.create({
        data: {
          workspaceId,
          name: `${system}-mock`,
          system,
          baseUrl: mockBaseUrl(system),
        },
      });
      created.push(system);
      await appendAudit(
        tx,
        { workspaceId, userId: null, label: "system:seed" },
        {
          action: "connector.create",
          subjectType: "connector",
          subjectId: row.id,
          payload: { name: row.name, system, baseUrl: row.baseUrl, authScheme: "none" },
        },
      );
    }
  });
  return { created };
}
