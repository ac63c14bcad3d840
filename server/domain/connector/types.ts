/**
 * Connector data the use cases share with the adapters that read connectors at run time
 * (`server/adapters/connectors/store.ts`): the row's non-secret auth settings, the credential
 * payload and how its ciphertext is bound to its row, the built-in mock services' base URLs.
 * Pure: no I/O (the vault is a port).
 */
import type { CredentialVault } from "./ports";

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

/** Decrypts a connector's credential (for the runtime; never returned by the API). */
export function openCredential(
  vault: CredentialVault,
  workspaceId: string,
  c: { ciphertext: string; iv: string; tag: string; keyId: string; connectorId: string },
): CredentialPayload {
  return JSON.parse(vault.open(c, credentialAad(workspaceId, c.connectorId))) as CredentialPayload;
}

/**
 * Base URL of the built-in mock service of `system`: `mock://<system>`. The egress guard serves
 * it in-process with the run's workspace as tenant (no socket, no loopback hole).
 */
export function mockBaseUrl(system: string): string {
  return `mock://${system}`;
}
