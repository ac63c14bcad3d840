/**
 * Wires the connector use cases to their adapters: the AES-256-GCM vault over the keyring from
 * the environment, and the OpenAPI importer.
 */
import type { ConnectorDeps, CredentialVault } from "@/server/domain/connector/ports";
import { defaultKeyring, openSecret, resealSecret, sealSecret, type Keyring } from "./credentials";
import { importFromSpec, importOpenApi, isOpenApiSpec } from "./openapi";

export function keyringVault(keyring: Keyring): CredentialVault {
  return {
    seal: (plaintext, aad) => sealSecret(keyring, plaintext, aad),
    open: (sealed, aad) => openSecret(keyring, sealed, aad),
    reseal: (sealed, aad) => resealSecret(keyring, sealed, aad),
  };
}

/** The production dependencies; the keyring is read lazily (only credential calls need it). */
export function connectorDeps(keyring?: Keyring): ConnectorDeps {
  let vault: CredentialVault | undefined;
  const lazy = () => (vault ??= keyringVault(keyring ?? defaultKeyring()));
  return {
    vault: {
      seal: (p, a) => lazy().seal(p, a),
      open: (s, a) => lazy().open(s, a),
      reseal: (s, a) => lazy().reseal(s, a),
    },
    parseOpenApi: (name, document) => importOpenApi(name, document),
    readOpenApiSpec: (spec) => (isOpenApiSpec(spec) ? importFromSpec(spec) : null),
  };
}
