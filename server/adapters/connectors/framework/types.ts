/**
 * Types of the connector framework: a connector is a system name, a base URL, an auth scheme and
 * a set of typed operations, each bound to one block definition (`id@major`) of the registry.
 */
import type { BlockDefinition } from "@/dsl";

export type HttpMethod = "GET" | "POST" | "PUT" | "PATCH" | "DELETE";

/** Query values; `undefined` entries are left out. */
export type QueryValues = Record<string, string | number | boolean | undefined>;

/**
 * How one block maps onto one REST call. Input and output schemas come from the block
 * definition (`definition`), never from the operation: the registry is the single source.
 */
export interface OperationSpec {
  /** `id@major` of the block this operation executes, e.g. `billing.invoice.create@4`. */
  block: string;
  method: HttpMethod;
  /** Path under the base URL; `{name}` placeholders are filled from the inputs (URL-encoded). */
  path: string;
  query?: (inputs: Record<string, unknown>) => QueryValues;
  /** The JSON body; default for POST/PUT/PATCH: the inputs themselves. */
  body?: (inputs: Record<string, unknown>) => unknown;
  /** Extra headers derived from the inputs (e.g. header parameters of an OpenAPI operation). */
  headers?: (inputs: Record<string, unknown>) => Record<string, string | undefined>;
  /** REST response body -> block output; default: the body as is (projected onto the schema). */
  response?: (body: unknown, inputs: Record<string, unknown>) => unknown;
}

/** An operation with its resolved block definition. */
export interface Operation extends OperationSpec {
  definition: BlockDefinition;
}

/** Auth parameters and secrets, resolved (decrypted) at call time. */
export type AuthConfig =
  | { type: "none" }
  | { type: "api_key"; header?: string; key: string }
  | { type: "bearer"; token: string }
  | { type: "basic"; username: string; password: string }
  | {
      type: "oauth2_client_credentials";
      tokenUrl: string;
      clientId: string;
      clientSecret: string;
      scope?: string;
    };

export type AuthScheme = AuthConfig["type"];
export const AUTH_SCHEMES = [
  "none",
  "api_key",
  "bearer",
  "basic",
  "oauth2_client_credentials",
] as const satisfies readonly AuthScheme[];

/** A connector endpoint the runtime can call: where, how to authenticate, and what it offers. */
export interface ConnectorEndpoint {
  /** `crm`, `billing`, `clm`, or an imported connector's name. */
  system: string;
  /** Absolute base URL; operation paths are appended to it. */
  baseUrl: string;
  auth: AuthConfig;
  /** Headers sent with every call (e.g. `X-Mock-Tenant`). */
  headers?: Record<string, string>;
}
