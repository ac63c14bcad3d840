/**
 * Connector use cases: list, get, create, update, delete. Every change appends to the audit
 * ledger in the same transaction; no secret, ciphertext or hint ever reaches it.
 *
 * The other use cases live beside this file and are re-exported here: `credentials.ts` (set a
 * credential, write-only; rotate credentials to the current key), `import-openapi-connector.ts`
 * (import an OpenAPI document), `ensure-demo-connectors.ts` (the demo workspace's mock
 * connectors). `connector-rows.ts` holds what they share (the row's view, finding a row), and
 * `credential-host.ts` the rule that a stored credential never follows a connector to another
 * host.
 */
import type { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { checkConnectorUrls } from "../egress/check-urls";
import { AppError, notFound } from "../errors";
import type { Actor, Db } from "../types";
import {
  checkAuth,
  connectorSelect,
  findConnector,
  isUniqueViolation,
  nameTaken,
  settingsOf,
  view,
} from "./connector-rows";
import { checkCredentialStays } from "./credential-host";
import { storeCredential } from "./credentials";
import type { ConnectorDeps } from "./ports";
import type {
  ConnectorAuthScheme,
  CreateConnectorInput,
  UpdateConnectorInput,
  ZConnectorIdInput,
} from "./schemas";
import type { AuthSettings } from "./types";

export type { ConnectorView } from "./connector-rows";
export { rotateCredentials, secretHint, setCredential } from "./credentials";
export { ensureDemoConnectors } from "./ensure-demo-connectors";
export { importOpenApiConnector } from "./import-openapi-connector";

export async function listConnectors(db: Db, actor: Actor) {
  const rows = await db.connector.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: [{ system: "asc" }, { name: "asc" }],
    select: connectorSelect,
  });
  return rows.map(view);
}

/**
 * One connector with the blocks it offers (an imported connector's block definitions), read from
 * the parse stored at import. A row imported before the parse was stored is parsed once here and
 * the result written back; the document is never parsed per read.
 */
export async function getConnector(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZConnectorIdInput>,
  deps: Pick<ConnectorDeps, "parseOpenApi" | "readOpenApiSpec">,
) {
  const row = await db.connector.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
    select: { ...connectorSelect, openapiSpec: true },
  });
  if (!row) throw notFound("Connector");
  if (row.openapi === null) return { ...view(row), blocks: [] };
  const stored = deps.readOpenApiSpec(row.openapiSpec);
  if (stored) return { ...view(row), blocks: stored.blocks };
  let parsed;
  try {
    parsed = deps.parseOpenApi(row.name, row.openapi);
  } catch (err) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `The stored OpenAPI document can no longer be imported; import it again. ${(err as Error).message}`,
      cause: err,
    });
  }
  // Keep updatedAt: storing the parse is not a change of the connector.
  await db.connector.update({
    where: { id: row.id },
    data: { openapiSpec: parsed.spec as object, updatedAt: row.updatedAt },
  });
  return { ...view(row), blocks: parsed.blocks };
}

export async function createConnector(db: Db, actor: Actor, input: CreateConnectorInput) {
  const settings = settingsOf(input);
  checkAuth(input.authScheme, settings);
  // Egress guard at save time: no credentials in URLs, no refused address literals.
  await checkConnectorUrls(db, actor.workspaceId, {
    baseUrl: input.baseUrl,
    tokenUrl: settings.tokenUrl,
  });
  try {
    return await db.$transaction(async (tx) => {
      // One connector per built-in system: the runtime resolves `crm.*` blocks to it.
      const same = await tx.connector.findFirst({
        where: { workspaceId: actor.workspaceId, system: input.system },
      });
      if (same) {
        throw new AppError("CONFLICT", {
          message: `This workspace already has a ${input.system} connector ("${same.name}"); edit it instead.`,
          details: { field: "system" },
        });
      }
      const row = await tx.connector.create({
        data: {
          workspaceId: actor.workspaceId,
          name: input.name,
          system: input.system,
          baseUrl: input.baseUrl,
          authScheme: input.authScheme,
          authConfig: settings as object,
        },
        select: connectorSelect,
      });
      await appendAudit(tx, actor, {
        action: "connector.create",
        subjectType: "connector",
        subjectId: row.id,
        payload: {
          name: row.name,
          system: row.system,
          baseUrl: row.baseUrl,
          authScheme: row.authScheme,
        },
      });
      return view(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name);
    throw err;
  }
}

export async function updateConnector(
  db: Db,
  actor: Actor,
  input: UpdateConnectorInput,
  deps?: Pick<ConnectorDeps, "vault">,
) {
  try {
    return await db.$transaction(async (tx) => {
      const prior = await findConnector(tx, actor, input.id);
      const scheme = (input.authScheme ?? prior.authScheme) as ConnectorAuthScheme;
      const settings = settingsOf(input, (prior.authConfig ?? {}) as AuthSettings);
      checkAuth(scheme, settings);
      await checkConnectorUrls(tx, actor.workspaceId, {
        baseUrl: input.baseUrl,
        tokenUrl: input.tokenUrl,
      });
      checkCredentialStays(
        prior,
        { baseUrl: input.baseUrl ?? prior.baseUrl, tokenUrl: settings.tokenUrl },
        input.credential !== undefined,
      );
      if (input.credential !== undefined && !deps) {
        throw new Error("updateConnector: a credential needs the vault (deps)");
      }
      const row = await tx.connector.update({
        where: { id: prior.id },
        data: {
          ...(input.name !== undefined ? { name: input.name } : {}),
          ...(input.baseUrl !== undefined ? { baseUrl: input.baseUrl } : {}),
          authScheme: scheme,
          authConfig: settings as object,
        },
        select: connectorSelect,
      });
      const changed = Object.keys(input).filter((k) => k !== "id");
      await appendAudit(tx, actor, {
        action: "connector.update",
        subjectType: "connector",
        subjectId: row.id,
        payload: { name: row.name, changed, baseUrl: row.baseUrl, authScheme: row.authScheme },
      });
      if (input.credential !== undefined && deps) {
        await storeCredential(tx, actor, row, input.credential, deps.vault);
        return view(await findConnector(tx, actor, row.id));
      }
      return view(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(input.name ?? "");
    throw err;
  }
}

export async function deleteConnector(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZConnectorIdInput>,
) {
  return db.$transaction(async (tx) => {
    const row = await findConnector(tx, actor, input.id);
    await tx.connector.delete({ where: { id: row.id } });
    await appendAudit(tx, actor, {
      action: "connector.delete",
      subjectType: "connector",
      subjectId: row.id,
      payload: { name: row.name, system: row.system },
    });
    return { id: row.id };
  });
}
