/**
 * Imports (or re-imports) an OpenAPI document as a connector: the document parsed once through
 * the port, the parse stored with the row, the base URL checked by the egress guard, a stored
 * credential never carried to another host, the change on the audit ledger.
 */
import { appendAudit } from "../audit/ledger";
import { checkConnectorUrls } from "../egress/check-urls";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import { connectorSelect, findConnector, nameTaken, view } from "./connector-rows";
import { checkCredentialStays } from "./credential-host";
import type { ConnectorDeps } from "./ports";
import type { ImportOpenApiInput } from "./schemas";
import type { AuthSettings } from "./types";

/** Imports (or re-imports) an OpenAPI document as connector `name`. */
export async function importOpenApiConnector(
  db: Db,
  actor: Actor,
  input: ImportOpenApiInput,
  deps: Pick<ConnectorDeps, "parseOpenApi">,
) {
  let parsed;
  try {
    parsed = deps.parseOpenApi(input.name, input.document);
  } catch (err) {
    throw new AppError("INVALID_INPUT", {
      message: (err as Error).message,
      details: { field: "document" },
      cause: err,
    });
  }
  const baseUrl = input.baseUrl ?? parsed.baseUrl;
  if (!baseUrl || !/^https?:\/\//.test(baseUrl)) {
    throw new AppError("INVALID_INPUT", {
      message: "The document names no absolute server URL: give the base URL.",
      details: { field: "baseUrl" },
    });
  }
  await checkConnectorUrls(db, actor.workspaceId, { baseUrl });
  return db.$transaction(async (tx) => {
    const existing = await tx.connector.findFirst({
      where: { workspaceId: actor.workspaceId, name: input.name },
    });
    if (existing && existing.openapi === null) throw nameTaken(input.name);
    if (existing) {
      // A re-import may not carry the stored credential to another host (enter it again after).
      const prior = await findConnector(tx, actor, existing.id);
      checkCredentialStays(
        prior,
        { baseUrl, tokenUrl: ((prior.authConfig ?? {}) as AuthSettings).tokenUrl },
        false,
        "first move the connector there with its credential given again (connector.update), then re-import",
      );
    }
    const data = {
      system: input.name,
      baseUrl,
      openapi: input.document,
      // The parse, kept: reads and runs never parse the document again.
      openapiSpec: parsed.spec as object,
      ...(input.authScheme ? { authScheme: input.authScheme } : {}),
    };
    const row = existing
      ? await tx.connector.update({ where: { id: existing.id }, data, select: connectorSelect })
      : await tx.connector.create({
          data: { ...data, workspaceId: actor.workspaceId, name: input.name },
          select: connectorSelect,
        });
    await appendAudit(tx, actor, {
      action: existing ? "connector.reimport" : "connector.import",
      subjectType: "connector",
      subjectId: row.id,
      payload: {
        name: row.name,
        title: parsed.title,
        version: parsed.version,
        blocks: parsed.blocks.map((b) => b.id),
      },
    });
    return { ...view(row), blocks: parsed.blocks, warnings: parsed.warnings };
  });
}
