/**
 * What the connector use cases share: the columns read of a connector row, the view the API shows
 * of it (never the secret nor its ciphertext), its auth settings and their check, finding a row in
 * the actor's workspace, and the conflict a taken name gives.
 */
import { AppError, notFound } from "../errors";
import type { Actor, Db, Tx } from "../types";
import type { ConnectorAuthScheme } from "./schemas";
import type { AuthSettings } from "./types";

export const connectorSelect = {
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

export type Row = {
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
export function view(row: Row) {
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

export function settingsOf(
  input: { authHeader?: string; tokenUrl?: string; scope?: string },
  prior: AuthSettings = {},
): AuthSettings {
  const s: AuthSettings = { ...prior };
  if (input.authHeader !== undefined) s.header = input.authHeader;
  if (input.tokenUrl !== undefined) s.tokenUrl = input.tokenUrl;
  if (input.scope !== undefined) s.scope = input.scope;
  return s;
}

export function checkAuth(scheme: ConnectorAuthScheme, settings: AuthSettings) {
  if (scheme === "oauth2_client_credentials" && !settings.tokenUrl) {
    throw new AppError("INVALID_INPUT", {
      message: "OAuth2 client credentials need the token URL.",
      details: { field: "tokenUrl" },
    });
  }
}

export async function findConnector(db: Db | Tx, actor: Actor, id: string) {
  const row = await db.connector.findFirst({
    where: { id, workspaceId: actor.workspaceId },
    select: connectorSelect,
  });
  if (!row) throw notFound("Connector");
  return row;
}

export function isUniqueViolation(err: unknown): boolean {
  return typeof err === "object" && err !== null && (err as { code?: unknown }).code === "P2002";
}

export function nameTaken(name: string) {
  return new AppError("CONFLICT", {
    message: `A connector named "${name}" already exists in this workspace.`,
    details: { field: "name" },
  });
}
