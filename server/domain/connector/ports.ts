/**
 * What the connector use cases need from adapters: encryption of secrets and OpenAPI parsing.
 * The tRPC router passes the real ones (`server/adapters/connectors/vault.ts`); tests may pass
 * their own.
 */
import type { BlockDefinition } from "@/dsl";

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

/** One page of a mock service's records (the Run form's id pickers). */
export interface MockRecordPage {
  /** The collection that holds the records: `accounts`, `contracts`… */
  collection: string;
  /** What one record is, for people: "billing account". */
  noun: string;
  items: Array<{ id: string; label: string }>;
  /** Records matching the query (items holds at most `limit` of them). */
  total: number;
}

/** Reads the built-in mock services' records of one tenant (`server/adapters/connectors/mock`). */
export interface MockRecordLookup {
  /**
   * The live records of the collection of `system` whose ids match `idPattern`, filtered by
   * `query` (id or label, case-insensitive); null when no collection's ids match the pattern.
   */
  list(args: {
    system: "crm" | "billing" | "clm";
    tenant: string;
    idPattern: RegExp;
    query: string;
    limit: number;
  }): MockRecordPage | null;
}
