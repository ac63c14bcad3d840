import { createHash, randomBytes } from "node:crypto";
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import { AppError, notFound } from "../errors";
import { TOKEN_SCOPES, type Actor, type Db, type Role, type TokenScope } from "../types";

/** Tokens look like `tf_<43 url-safe chars>`; only their SHA-256 is stored. */
const PREFIX = "tf_";

export const hashToken = (token: string) => createHash("sha256").update(token).digest("hex");

/** Lifetimes offered at creation, in days; the default is 90. */
export const TOKEN_LIFETIMES_DAYS = [7, 30, 90, 365] as const;
export const DEFAULT_TOKEN_LIFETIME_DAYS = 90;
const DAY_MS = 24 * 60 * 60 * 1000;

export const ZCreateTokenInput = z.object({
  name: z.string().trim().min(1, "Name the token.").max(80, "Use at most 80 characters."),
  /** At least one; least privilege (`read`) when left out. */
  scopes: z
    .array(z.enum(TOKEN_SCOPES))
    .min(1, "Choose at least one scope.")
    .max(TOKEN_SCOPES.length)
    .default(["read"]),
  expiresInDays: z
    .number()
    .int()
    .refine((d) => (TOKEN_LIFETIMES_DAYS as readonly number[]).includes(d), {
      message: `Choose a lifetime of ${TOKEN_LIFETIMES_DAYS.join(", ")} days.`,
    })
    .default(DEFAULT_TOKEN_LIFETIME_DAYS),
});
export const ZRevokeTokenInput = z.object({ id: z.uuid() });

export async function createApiToken(
  db: Db,
  actor: Actor,
  input: z.infer<typeof ZCreateTokenInput>,
) {
  if (actor.via !== "session") {
    // Also enforced by the procedure: a token never mints tokens (its power would outlive it).
    throw new AppError("FORBIDDEN", {
      message: "API tokens are created from a signed-in browser session, not with a token.",
    });
  }
  const secret = PREFIX + randomBytes(32).toString("base64url");
  const scopes = TOKEN_SCOPES.filter((s) => input.scopes.includes(s));
  const expiresAt = new Date(Date.now() + input.expiresInDays * DAY_MS);
  return db.$transaction(async (tx) => {
    const token = await tx.apiToken.create({
      data: {
        workspaceId: actor.workspaceId,
        userId: actor.userId,
        name: input.name,
        tokenHash: hashToken(secret),
        prefix: secret.slice(0, 10),
        scopes,
        expiresAt,
      },
    });
    await appendAudit(tx, actor, {
      action: "token.create",
      subjectType: "api-token",
      subjectId: token.id,
      payload: {
        name: token.name,
        prefix: token.prefix,
        scopes,
        expiresAt: expiresAt.toISOString(),
      },
    });
    // The secret is returned once and never again.
    return { id: token.id, name: token.name, prefix: token.prefix, scopes, expiresAt, secret };
  });
}

/** The workspace's tokens, with scopes, expiry and whether they still work (`active`). */
export async function listApiTokens(db: Db, actor: Actor) {
  const now = Date.now();
  const tokens = await db.apiToken.findMany({
    where: { workspaceId: actor.workspaceId },
    orderBy: { createdAt: "desc" },
    select: {
      id: true,
      name: true,
      prefix: true,
      createdAt: true,
      lastUsedAt: true,
      revokedAt: true,
      scopes: true,
      expiresAt: true,
      user: { select: { email: true } },
    },
  });
  return tokens.map((t) => ({
    ...t,
    expired: !t.expiresAt || t.expiresAt.getTime() <= now,
  }));
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

export type TokenCheck = { ok: true; actor: Actor } | { ok: false; message: string };

/**
 * Resolves a bearer token to the actor it stands for, on every request (nothing is cached, so a
 * revocation, an expiry, a demotion or a departure of the creator takes effect on the next call).
 * The actor's role is the creator's current role in the token's workspace; its scopes bound it
 * further (`actorMay`).
 */
export async function verifyApiToken(
  db: Db,
  secret: string,
  now = new Date(),
): Promise<TokenCheck> {
  const unknown = { ok: false, message: "This API token is not valid." } as const;
  if (!secret.startsWith(PREFIX) || secret.length > 200) return unknown;
  const token = await db.apiToken.findUnique({
    where: { tokenHash: hashToken(secret) },
    include: { user: { include: { memberships: true } } },
  });
  if (!token) return unknown;
  if (token.revokedAt) {
    return { ok: false, message: `This API token was revoked on ${day(token.revokedAt)}.` };
  }
  if (!token.expiresAt || token.expiresAt <= now) {
    return {
      ok: false,
      message: `This API token expired${token.expiresAt ? ` on ${day(token.expiresAt)}` : ""}; create a new one in Settings → API tokens.`,
    };
  }
  const membership = token.user.memberships.find((m) => m.workspaceId === token.workspaceId);
  if (!membership) {
    return {
      ok: false,
      message: "The creator of this API token is no longer a member of its workspace.",
    };
  }
  const scopes = TOKEN_SCOPES.filter((s) => token.scopes.includes(s));
  if (scopes.length === 0) return { ok: false, message: "This API token has no scopes." };
  await db.apiToken.update({ where: { id: token.id }, data: { lastUsedAt: now } });
  return {
    ok: true,
    actor: {
      userId: token.userId,
      label: `token:${token.name}`,
      workspaceId: token.workspaceId,
      role: membership.role as Role,
      via: "token",
      scopes: scopes satisfies TokenScope[],
    },
  };
}

/** `verifyApiToken` for callers that only need the actor: null when refused. */
export async function authenticateApiToken(db: Db, secret: string): Promise<Actor | null> {
  const check = await verifyApiToken(db, secret);
  return check.ok ? check.actor : null;
}

const day = (d: Date) => d.toISOString().slice(0, 10);
