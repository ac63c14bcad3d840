/**
 * Resolves a workspace's connector for a system from the database, with its credential
 * decrypted, for {@link createConnectorRuntime}. Imported (OpenAPI) connectors bring their
 * operations, rebuilt from the parse stored at import (never by parsing the document per run).
 */
import type { PrismaClient } from "@/server/adapters/prisma";
import { mockBaseUrl, openCredential, type AuthSettings } from "@/server/domain/connector/types";
import { CONNECTOR_SYSTEMS } from "@/server/domain/connector/schemas";
import { NonRetryableError } from "@/server/engine/errors";
import { defaultKeyring, type Keyring } from "./credentials";
import type { AuthConfig } from "./framework/types";
import { importFromSpec, importOpenApi, isOpenApiSpec, type OpenApiImport } from "./openapi";
import type { ResolveConnector, ResolvedConnector } from "./runtime";
import { keyringVault } from "./vault";

export interface DbResolverOptions {
  keyring?: Keyring;
  /**
   * When set, a workspace with slug `demo` and no connector for `crm`, `billing` or `clm` uses the
   * built-in mock service (`mock://<system>`, in-process), so the demo works out of the box. The
   * origin itself is no longer used (kept for callers).
   */
  demoOrigin?: string;
  /** Parses a document imported before its parse was stored (default: {@link importOpenApi}). */
  parseOpenApi?: (name: string, document: string) => OpenApiImport;
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

/** Imported connectors' operations kept per resolver (connector id and version). */
const OPERATIONS_CACHE_SIZE = 256;

export function dbConnectorResolver(
  db: PrismaClient,
  opts: DbResolverOptions = {},
): ResolveConnector {
  const parse = opts.parseOpenApi ?? importOpenApi;
  const imports = new Map<string, OpenApiImport["operations"]>();

  /**
   * An imported connector's operations, from the parse stored at import (`openapiSpec`), read
   * once per connector version. A row imported before the parse was stored is parsed once and
   * the result written back (updatedAt kept).
   */
  async function operationsOf(row: { id: string; name: string; updatedAt: Date }) {
    const cacheKey = `${row.id}:${row.updatedAt.toISOString()}`;
    const cached = imports.get(cacheKey);
    if (cached) return cached;
    const stored = await db.connector.findUnique({
      where: { id: row.id },
      select: { openapi: true, openapiSpec: true },
    });
    if (!stored || stored.openapi === null) return undefined;
    let imported: OpenApiImport;
    if (isOpenApiSpec(stored.openapiSpec)) imported = importFromSpec(stored.openapiSpec);
    else {
      imported = parse(row.name, stored.openapi);
      await db.connector.update({
        where: { id: row.id },
        data: { openapiSpec: imported.spec as object, updatedAt: row.updatedAt },
      });
    }
    if (imports.size >= OPERATIONS_CACHE_SIZE) imports.delete(imports.keys().next().value!);
    imports.set(cacheKey, imported.operations);
    return imported.operations;
  }

  return async (workspaceId, system): Promise<ResolvedConnector | null> => {
    // Without the document and its parse: those are read once per connector version below.
    const row = await db.connector.findFirst({
      where: { workspaceId, system },
      orderBy: { createdAt: "asc" },
      select: {
        id: true,
        name: true,
        system: true,
        baseUrl: true,
        authScheme: true,
        authConfig: true,
        updatedAt: true,
        credential: true,
      },
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
            baseUrl: mockBaseUrl(system),
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
    // Built-in systems have no document; an imported connector's system is its name.
    if (!(CONNECTOR_SYSTEMS as readonly string[]).includes(row.system)) {
      const operations = await operationsOf(row);
      if (operations) resolved.operations = operations;
    }
    return resolved;
  };
}
