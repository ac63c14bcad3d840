/**
 * Connector use cases: list, get, create, update, delete, set a credential (write-only),
 * import an OpenAPI document, rotate credentials to the current key. Every change appends to
 * the audit ledger in the same transaction; no secret, ciphertext or hint ever reaches it.
 */
import type { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { checkConnectorUrls } from "../egress/check-urls";
import { AppError, notFound } from "../errors";
import type { Actor, Db, Tx } from "../types";
import type { ConnectorDeps, CredentialVault } from "./ports";
import {
  CONNECTOR_SYSTEMS,
  type ConnectorAuthScheme,
  type CreateConnectorInput,
  type ImportOpenApiInput,
  type SetCredentialInput,
  type UpdateConnectorInput,
  type ZConnectorIdInput,
} from "./schemas";

/** Non-secret auth settings kept on the connector row. */
export interface AuthSettings {
  header?: string;
  tokenUrl?: string;
  scope?: string;
}

/** The encrypted credential payload. */
export interface CredentialPayload {
  secret: string;
  username?: string;
  clientId?: string;
}

/** Binds a ciphertext to its workspace and connector (AES-GCM additional data). */
export const credentialAad = (workspaceId: string, connectorId: string) =>
  `trustflow:credential:${workspaceId}:${connectorId}`;

/** At most the last four characters, and only of a secret long enough to stay unguessable. */
export function secretHint(secret: string): string {
  return secret.length >= 12 ? `…${secret.slice(-4)}` : "";
}

const connectorSelect = {
  id: true,
  name: true,
  system: true,
  baseUrl: true,
  authScheme: true,
  authConfig: true,
  openapi: true,
  createdAt: true,
  updatedAt: true,
  credential: { select: { hint: true, updatedAt: true, keyId: true } },
} as const;

type Row = {
  id: string;
  name: string;
  system: string;
  baseUrl: string;
  authScheme: string;
  authConfig: unknown;
  openapi: string | null;
  createdAt: Date;
  updatedAt: Date;
  credential: { hint: string; updatedAt: Date; keyId: string } | null;
};

/** What the API shows of a connector: never the secret nor its ciphertext. */
function view(row: Row) {
  return {
    id: row.id,
    name: row.name,
    system: row.system,
    kind: row.openapi === null ? ("builtin" as const) : ("openapi" as const),
    baseUrl: row.baseUrl,
    authScheme: row.authScheme as ConnectorAuthScheme,
    authSettings: (row.authConfig ?? {}) as AuthSettings,
    credential: row.credential
      ? { hint: row.credential.hint, updatedAt: row.credential.updatedAt }
      : null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
export type ConnectorView = ReturnType<typeof view>;

function settingsOf(
  input: { authHeader?: string; tokenUrl?: string; scope?: string },
  prior: AuthSettings = {},
): AuthSettings {
  const s: AuthSettings = { ...prior };
  if (input.authHeader !== undefined) s.header = input.authHeader;
  if (input.tokenUrl !== undefined) s.tokenUrl = input.tokenUrl;
  if (input.scope !== undefined) s.scope = input.scope;
  return s;
}

function checkAuth(scheme: ConnectorAuthScheme, settings: AuthSettings) {
  if (scheme === "oauth2_client_credentials" && !settings.tokenUrl) {
    throw new AppError("INVALID_INPUT", {
      message: "OAuth2 client credentials need the token URL.",
      details: { field: "tokenUrl" },
    });
  }
}

async function findConnector(db: Db | Tx, actor: Actor, id: string) {
  const row = await db.connector.findFirst({
    where: { id, workspaceId: actor.workspaceId },
    select: connectorSelect,
  });
  if (!row) throw notFound("Connector");
  return row;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

function nameTaken(name: string) {
  return new AppError("CONFLICT", {
    message: `A connector named "${name}" already exists in this workspace.`,
    details: { field: "name" },
  });
}

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

/** `scheme://host:port` of a URL, or the text itself when it does not parse. */
function originOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

/**
 * The places a stored credential would newly be sent to: the base URL's or the OAuth2 token URL's
 * origin (scheme, host and port) changing. Empty when nothing moves.
 */
function movedOrigins(
  prior: { baseUrl: string; tokenUrl?: string },
  next: { baseUrl: string; tokenUrl?: string },
): { field: "baseUrl" | "tokenUrl"; from: string; to: string }[] {
  const moved: { field: "baseUrl" | "tokenUrl"; from: string; to: string }[] = [];
  for (const field of ["baseUrl", "tokenUrl"] as const) {
    const from = originOf(prior[field]);
    const to = originOf(next[field]);
    if (from !== undefined && to !== undefined && from !== to) moved.push({ field, from, to });
  }
  return moved;
}

/**
 * Refuses to point a connector holding a credential at another host unless the credential is
 * given again in the same change: the stored secret was entered for the old host and must never
 * follow the connector to a new one (a changed URL would otherwise exfiltrate it).
 */
function checkCredentialStays(
  prior: Row,
  next: { baseUrl: string; tokenUrl?: string },
  credentialGiven: boolean,
  remedy = "enter the credential again in the same change",
) {
  if (!prior.credential || credentialGiven) return;
  const moved = movedOrigins(
    { baseUrl: prior.baseUrl, tokenUrl: ((prior.authConfig ?? {}) as AuthSettings).tokenUrl },
    next,
  );
  const first = moved[0];
  if (!first) return;
  throw new AppError("INVALID_INPUT", {
    message: `The ${first.field === "baseUrl" ? "base URL" : "token URL"} moves from ${first.from} to ${first.to}: ${remedy}. The stored credential was given for ${first.from} and is never sent to another host.`,
    details: { field: "credential" },
  });
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

/** Stores (or replaces) the connector's secret, encrypted. Returns the hint only. */
export async function setCredential(
  db: Db,
  actor: Actor,
  input: SetCredentialInput,
  deps: Pick<ConnectorDeps, "vault">,
) {
  return db.$transaction(async (tx) => {
    const row = await findConnector(tx, actor, input.connectorId);
    const cred = await storeCredential(tx, actor, row, input, deps.vault);
    return { connectorId: row.id, hint: cred.hint, updatedAt: cred.updatedAt };
  });
}

/** Checks, seals and upserts a connector's credential, with its ledger entry (inside `tx`). */
async function storeCredential(
  tx: Tx,
  actor: Actor,
  row: Pick<Row, "id" | "name" | "authScheme" | "credential">,
  input: Omit<SetCredentialInput, "connectorId">,
  vault: CredentialVault,
) {
  const scheme = row.authScheme as ConnectorAuthScheme;
  if (scheme === "none") {
    throw new AppError("PRECONDITION_FAILED", {
      message: "This connector uses no authentication: choose an auth scheme first.",
      details: { field: "authScheme" },
    });
  }
  if (scheme === "basic" && !input.username) {
    throw new AppError("INVALID_INPUT", {
      message: "Basic auth needs a username.",
      details: { field: "username" },
    });
  }
  if (scheme === "oauth2_client_credentials" && !input.clientId) {
    throw new AppError("INVALID_INPUT", {
      message: "OAuth2 needs the client id.",
      details: { field: "clientId" },
    });
  }
  const payload: CredentialPayload = {
    secret: input.secret,
    ...(scheme === "basic" ? { username: input.username } : {}),
    ...(scheme === "oauth2_client_credentials" ? { clientId: input.clientId } : {}),
  };
  const sealed = vault.seal(JSON.stringify(payload), credentialAad(actor.workspaceId, row.id));
  const hint = secretHint(input.secret);
  const data = { ...sealed, hint, workspaceId: actor.workspaceId };
  const cred = await tx.credential.upsert({
    where: { connectorId: row.id },
    create: { connectorId: row.id, ...data },
    update: data,
    select: { hint: true, updatedAt: true },
  });
  await tx.connector.update({ where: { id: row.id }, data: { updatedAt: new Date() } });
  await appendAudit(tx, actor, {
    action: "connector.credential.set",
    subjectType: "connector",
    subjectId: row.id,
    // Which connector and scheme; never the secret, its ciphertext or its hint.
    payload: { name: row.name, scheme, replaced: row.credential !== null },
  });
  return cred;
}

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

/**
 * Re-encrypts every credential of the workspace that an older key sealed, with the current key.
 * Run after adding a new `TRUSTFLOW_CREDENTIALS_KEY` (the old one in `..._KEYS_OLD`).
 */
export async function rotateCredentials(db: Db, actor: Actor, deps: Pick<ConnectorDeps, "vault">) {
  return db.$transaction(async (tx) => {
    const creds = await tx.credential.findMany({ where: { workspaceId: actor.workspaceId } });
    let rotated = 0;
    for (const c of creds) {
      const next = reseal(deps.vault, c, actor.workspaceId);
      if (!next) continue;
      await tx.credential.update({ where: { id: c.id }, data: next });
      rotated++;
    }
    await appendAudit(tx, actor, {
      action: "connector.credential.rotate",
      subjectType: "workspace",
      subjectId: actor.workspaceId,
      payload: { rotated, total: creds.length },
    });
    return { rotated, total: creds.length };
  });
}

function reseal(
  vault: CredentialVault,
  c: { ciphertext: string; iv: string; tag: string; keyId: string; connectorId: string },
  workspaceId: string,
) {
  try {
    return vault.reseal(c, credentialAad(workspaceId, c.connectorId));
  } catch (err) {
    throw new AppError("PRECONDITION_FAILED", {
      message: `A credential cannot be decrypted with the configured keys: ${(err as Error).message}`,
      cause: err,
    });
  }
}

/** Decrypts a connector's credential (for the runtime; never returned by the API). */
export function openCredential(
  vault: CredentialVault,
  workspaceId: string,
  c: { ciphertext: string; iv: string; tag: string; keyId: string; connectorId: string },
): CredentialPayload {
  return JSON.parse(vault.open(c, credentialAad(workspaceId, c.connectorId))) as CredentialPayload;
}

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

/**
 * Base URL of the built-in mock service of `system`: `mock://<system>`. The egress guard serves
 * it in-process with the run's workspace as tenant (no socket, no loopback hole).
 */
export function mockBaseUrl(system: string): string {
  return `mock://${system}`;
}
