/**
 * What the connector use cases need from adapters: encryption of secrets and OpenAPI parsing.
 * The tRPC router passes the real ones (`server/adapters/connectors/vault.ts`); tests may pass
 * their own.
 */
import type { BlockDefinition } from "@/dsl/types";

export interface SealedSecret {
  ciphertext: string;
  iv: string;
  tag: string;
  keyId: string;
}

export interface CredentialVault {
  /** Encrypts with the current key, bound to `aad` (workspace and connector). */
  seal(plaintext: string, aad: string): SealedSecret;
  open(sealed: SealedSecret, aad: string): string;
  /** Re-encrypts with the current key; null when already current. */
  reseal(sealed: SealedSecret, aad: string): SealedSecret | null;
}

export interface ImportedDocument {
  title: string;
  version: string;
  baseUrl?: string;
  blocks: BlockDefinition[];
  warnings: string[];
  /** The parse as JSON, kept on the connector row (`openapiSpec`) so it is never parsed again. */
  spec: unknown;
}

/**
 * Parses an OpenAPI document into block definitions; throws an Error listing the problems (a
 * bound that trips names its limit). Called once per import; never per read or per run.
 */
export type OpenApiParser = (connectorName: string, document: string) => ImportedDocument;

export interface ConnectorDeps {
  vault: CredentialVault;
  parseOpenApi: OpenApiParser;
  /** The import from a stored `openapiSpec`; null when absent or of an older format. */
  readOpenApiSpec: (spec: unknown) => ImportedDocument | null;
}
