/**
 * The workspace secret store: values flows need (`secrets.<name>` in expressions), sealed like
 * connector credentials (AES-256-GCM through the {@link CredentialVault}, bound to workspace and
 * name), write-only: the API shows names, hints and dates, never a value. Admins and editors set
 * and delete; viewers see the names. Every change is a ledger entry naming the secret, never its
 * value or hint. The engine decrypts a workspace's secrets for a run that reads them
 * ({@link workspaceSecretsLoader}) and redacts the values from everything it stores.
 */
import { appendAudit } from "../audit/ledger";
import type { CredentialVault } from "../connector/ports";
import { secretHint } from "../connector/connectors";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import {
  ZSecretNameInput,
  SECRETS_PER_WORKSPACE,
  ZSetSecretInput,
  type SecretNameInput,
  type SetSecretInput,
} from "./schemas";

/** Binds a ciphertext to its workspace and name (AES-GCM additional data). */
export const secretAad = (workspaceId: string, name: string) =>
  `trustflow:secret:${workspaceId}:${name}`;

/** What anyone in the workspace sees of a secret. */
const select = { name: true, hint: true, createdAt: true, updatedAt: true } as const;

function requireEditor(actor: Actor) {
  if (!hasRole(actor.role, "editor")) {
    throw new AppError("FORBIDDEN", {
      message: "Only editors and admins of this workspace may change its secrets.",
    });
  }
}

/** The workspace's secrets by name: names, hints and dates only. */
export async function listSecrets(db: Db, actor: Actor) {
  return db.workspaceSecret.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { name: "asc" },
    select,
  });
}

/** Creates or replaces a secret. Returns what the list shows (never the value). */
export async function setSecret(
  db: Db,
  actor: Actor,
  raw: SetSecretInput,
  deps: { vault: CredentialVault },
) {
  requireEditor(actor);
  const input = ZSetSecretInput.parse(raw);
  const sealed = deps.vault.seal(input.value, secretAad(actor.workspaceId, input.name));
  const hint = secretHint(input.value);
  return db.$transaction(async (tx) => {
    const prior = await tx.workspaceSecret.findUnique({
      where: { workspaceId_name: { workspaceId: actor.workspaceId, name: input.name } },
      select: { id: true },
    });
    if (
      !prior &&
      (await tx.workspaceSecret.count({ where: { workspaceId: actor.workspaceId } })) >=
        SECRETS_PER_WORKSPACE
    ) {
      throw new AppError("PRECONDITION_FAILED", {
        message: `A workspace holds at most ${SECRETS_PER_WORKSPACE} secrets (limit ${SECRETS_PER_WORKSPACE}): delete one first.`,
        details: { field: "name" },
      });
    }
    // An upsert: two editors saving the same name at once both succeed (the last one wins).
    const row = await tx.workspaceSecret.upsert({
      where: { workspaceId_name: { workspaceId: actor.workspaceId, name: input.name } },
      update: { ...sealed, hint },
      create: {
        ...sealed,
        hint,
        workspaceId: actor.workspaceId,
        name: input.name,
        createdById: actor.userId,
      },
      select: { id: true, ...select },
    });
    await appendAudit(tx, actor, {
      action: prior ? "secret.replace" : "secret.create",
      subjectType: "secret",
      subjectId: row.id,
      // The name only: never the value, its ciphertext or its hint.
      payload: { name: input.name },
    });
    const { id: _id, ...view } = row;
    return view;
  });
}

/** Deletes a secret: runs that read it fail with "no such key" from then on. */
export async function deleteSecret(db: Db, actor: Actor, raw: SecretNameInput) {
  requireEditor(actor);
  const input = ZSecretNameInput.parse(raw);
  return db.$transaction(async (tx) => {
    const row = await tx.workspaceSecret.findUnique({
      where: { workspaceId_name: { workspaceId: actor.workspaceId, name: input.name } },
      select: { id: true },
    });
    if (!row) throw notFound("Secret");
    await tx.workspaceSecret.delete({ where: { id: row.id } });
    await appendAudit(tx, actor, {
      action: "secret.delete",
      subjectType: "secret",
      subjectId: row.id,
      payload: { name: input.name },
    });
    return { name: input.name };
  });
}

/**
 * The engine's `secrets` port: a workspace's secrets, decrypted, by name. Read per run that
 * references `secrets` (never cached across runs, so a replaced or deleted secret takes effect at
 * the next run). A value that fails to decrypt (an unknown key) fails the run's start clearly.
 */
export function workspaceSecretsLoader(db: Db, vault: () => CredentialVault) {
  return async (workspaceId: string): Promise<Record<string, string>> => {
    const rows = await db.workspaceSecret.findMany({
      where: { workspaceId },
      select: { name: true, ciphertext: true, iv: true, tag: true, keyId: true },
    });
    const out: Record<string, string> = {};
    for (const r of rows) out[r.name] = vault().open(r, secretAad(workspaceId, r.name));
    return out;
  };
}
