/**
 * Resolves a workspace's connector for a system from the database, with its credential
 * decrypted, for {@link createConnectorRuntime}. Imported (OpenAPI) connectors bring their
 * operations, parsed once per document version.
 */
import type { PrismaClient } from "@/server/adapters/prisma";
import {
  mockBaseUrl,
  openCredential,
  type AuthSettings,
} from "@/server/domain/connector/connectors";
import { NonRetryableError } from "@/server/engine/errors";
import { defaultKeyring, type Keyring } from "./credentials";
import type { AuthConfig } from "./framework/types";
import { importOpenApi } from "./openapi";
import type { ResolveConnector, ResolvedConnector } from "./runtime";
import { keyringVault } from "./vault";

export interface DbResolverOptions {
  keyring?: Keyring;
  /**
   * When set, a workspace with slug `demo` and no connector for `crm`, `billing` or `clm` uses the
   * app's mock service at this origin (so the demo works out of the box).
   */
  demoOrigin?: string;
}

/** The app's own origin: NEXTAUTH_URL, else http://localhost:$PORT. */
export function appOrigin(env: Record<string, string | undefined> = process.env): string {
  return (env.NEXTAUTH_URL ?? `http://localhost:${env.PORT ?? 3000}`).replace(/\/+$/, "");
}

function authOf(
  scheme: string,
  settings: AuthSettings,
  secret: { secret: string; username?: string; clientId?: string } | null,
): AuthConfig {
  if (scheme === "none") return { type: "none" };
  if (!secret) {
    throw new NonRetryableError(
      `the connector uses ${scheme} auth but has no credential: set one on the Connectors page`,
      {
        classification: { category: "auth", severity: "high" },
      },
    );
  }
  switch (scheme) {
    case "api_key":
      return {
        type: "api_key",
        key: secret.secret,
        ...(settings.header ? { header: settings.header } : {}),
      };
    case "bearer":
      return { type: "bearer", token: secret.secret };
    case "basic":
      return { type: "basic", username: secret.username ?? "", password: secret.secret };
    case "oauth2_client_credentials":
      return {
        type: "oauth2_client_credentials",
        tokenUrl: settings.tokenUrl ?? "",
        clientId: secret.clientId ?? "",
        clientSecret: secret.secret,
        ...(settings.scope ? { scope: settings.scope } : {}),
      };
    default:
      throw new NonRetryableError(`unknown auth scheme ${scheme}`, {
        classification: { category: "system", severity: "high" },
      });
  }
}

export function dbConnectorResolver(
  db: PrismaClient,
  opts: DbResolverOptions = {},
): ResolveConnector {
  const parsed = new Map<string, ReturnType<typeof importOpenApi>>();
  return async (workspaceId, system): Promise<ResolvedConnector | null> => {
    const row = await db.connector.findFirst({
      where: { workspaceId, system },
      orderBy: { createdAt: "asc" },
      include: { credential: true },
    });
    if (!row) {
      if (opts.demoOrigin && ["crm", "billing", "clm"].includes(system)) {
        const ws = await db.workspace.findUnique({
          where: { id: workspaceId },
          select: { slug: true },
        });
        if (ws?.slug === "demo")
          return {
            system,
            baseUrl: mockBaseUrl(opts.demoOrigin, system, workspaceId),
            auth: { type: "none" },
          };
      }
      return null;
    }
    const secret = row.credential
      ? openCredential(keyringVault(opts.keyring ?? defaultKeyring()), workspaceId, row.credential)
      : null;
    const resolved: ResolvedConnector = {
      system,
      baseUrl: row.baseUrl,
      auth: authOf(row.authScheme, (row.authConfig ?? {}) as AuthSettings, secret),
    };
    if (row.openapi !== null) {
      const cacheKey = `${row.id}:${row.updatedAt.toISOString()}`;
      let imported = parsed.get(cacheKey);
      if (!imported) {
        imported = importOpenApi(row.name, row.openapi);
        parsed.set(cacheKey, imported);
      }
      resolved.operations = imported.operations;
    }
    return resolved;
  };
}
