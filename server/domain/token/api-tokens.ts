import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import type { Actor, Db, Role } from "../types";

/** Tokens look like `tf_<43 url-safe chars>`; only their SHA-256 is stored. */
const PREFIX = "tf_";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

export const ZCreateTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token.").max(80, "Use at most 80 characters."),
});
export const ZRevokeTokenInput = z.object({ id: z.uuid() });

export async function createApiToken(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZCreateTokenInput>,
) {
  const secret = PREFIX + randomBytes(32).toString("base64url");
  return db.$transaction(async (tx) => {
    const token = await tx.apiToken.create({
      data: {
        workspaceId: actor.workspaceId,
        userId: actor.userId,
        name: input.name,
        tokenHash: hashToken(secret),
        prefix: secret.slice(0, 10),
      },
    });
    await appendAudit(tx, actor, {
      action: "token.create",
      subjectType: "api-token",
      subjectId: token.id,
      payload: { name: token.name, prefix: token.prefix },
    });
    // The secret is returned once and never again.
    return { id: token.id, name: token.name, prefix: token.prefix, secret };
  });
}

export async function listApiTokens(db: Db, actor: Actor) {
  return db.apiToken.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      name: true,
      prefix: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
      user: { select: { email: true } },
    },
  });
}

export async function revokeApiToken(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZRevokeTokenInput>,
) {
  return db.$transaction(async (tx) => {
    const token = await tx.apiToken.findFirst({
      where: { id: input.id, workspaceId: actor.workspaceId },
    });
    if (!token) throw notFound("API token");
    if (token.revokedAt) {
      throw new AppError("CONFLICT", { message: "This token is already revoked." });
    }
    const updated = await tx.apiToken.update({
      where: { id: token.id },
      data: { revokedAt: new Date() },
    });
    await appendAudit(tx, actor, {
      action: "token.revoke",
      subjectType: "api-token",
      subjectId: token.id,
      payload: { name: token.name, prefix: token.prefix },
    });
    return { id: updated.id, revokedAt: updated.revokedAt };
  });
}

/** Resolves a bearer token to the actor it stands for, or null when unknown or revoked. */
export async function authenticateApiToken(db: Db, secret: string): Promise<Actor | null> {
  if (!secret.startsWith(PREFIX) || secret.length > 200) return null;
  const token = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(secret) },
    include: { user: { include: { memberships: true } } },
  });
  if (!token || token.revokedAt) return null;
  const membership = token.user.memberships.find((m) => m.workspaceId === token.workspaceId);
  if (!membership) return null;
  await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: new Date() } });
  return {
    userId: token.userId,
    label: `token:${token.name}`,
    workspaceId: token.workspaceId,
    role: membership.role as Role,
    via: "token",
  };
}
