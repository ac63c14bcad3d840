/**
 * Connector credentials: set (write-only: sealed by the vault, only a hint shown back) and rotate
 * to the current key. Each change appends to the audit ledger in the same transaction; no secret,
 * ciphertext or hint ever reaches it.
 */
import { appendAudit } from "../audit/ledger";
import { AppError } from "../errors";
import type { Actor, Db, Tx } from "../types";
import { findConnector, type Row } from "./connector-rows";
import type { ConnectorDeps, CredentialVault } from "./ports";
import type { ConnectorAuthScheme, SetCredentialInput } from "./schemas";
import { credentialAad, type CredentialPayload } from "./types";

/** At most the last four characters, and only of a secret long enough to stay unguessable. */
export function secretHint(secret: string): string {
  return secret.length >= 12 ? `…${secret.slice(-4)}` : "";
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
export async function storeCredential(
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
