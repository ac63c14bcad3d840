/** Inputs of the connector use cases (zod), with messages fit for a form. */
import { z } from "zod";

export const CONNECTOR_SYSTEMS = ["crm", "billing", "clm"] as const;
export const CONNECTOR_AUTH_SCHEMES = [
  "none",
  "api_key",
  "bearer",
  "basic",
  "oauth2_client_credentials",
] as const;
export type ConnectorAuthScheme = (typeof CONNECTOR_AUTH_SCHEMES)[number];

const name = z
  .string()
  .trim()
  .regex(
    /^[a-z][a-z0-9_-]{1,39}$/,
    "Use 2-40 lower-case letters, digits, - or _, starting with a letter.",
  );
const httpUrl = (what: string) =>
  z
    .string()
    .trim()
    .max(2000, "Use at most 2000 characters.")
    .refine((s) => {
      try {
        const u = new URL(s);
        // `mock://crm`: the built-in mock services, reached in-process.
        if (u.protocol === "mock:")
          return (CONNECTOR_SYSTEMS as readonly string[]).includes(u.hostname);
        return ["http:", "https:"].includes(u.protocol);
      } catch {
        return false;
      }
    }, `Give ${what} as an absolute http(s) URL, e.g. https://api.example.com/v1.`);
const authHeader = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9-]{1,64}$/, "A header name: letters, digits and -, e.g. X-API-Key.");
const scope = z.string().trim().max(500, "Use at most 500 characters.");

export const ZCreateConnectorInput = z.object({
  name,
  system: z.enum(CONNECTOR_SYSTEMS, "Choose crm, billing or clm."),
  baseUrl: httpUrl("the base URL"),
  authScheme: z.enum(CONNECTOR_AUTH_SCHEMES).default("none"),
  authHeader: authHeader.optional(),
  tokenUrl: httpUrl("the token URL").optional(),
  scope: scope.optional(),
});
export type CreateConnectorInput = z.infer<typeof ZCreateConnectorInput>;

/**
 * Write-only: `secret` is the API key, bearer token, basic password or OAuth2 client secret;
 * `username` (basic) and `clientId` (OAuth2) travel with it and are encrypted too.
 */
const credentialFields = {
  secret: z.string().min(1, "Enter the secret.").max(4096, "Use at most 4096 characters."),
  username: z.string().trim().min(1).max(200).optional(),
  clientId: z.string().trim().min(1).max(200).optional(),
};

export const ZUpdateConnectorInput = z.object({
  id: z.uuid("Not a connector id."),
  name: name.optional(),
  baseUrl: httpUrl("the base URL").optional(),
  authScheme: z.enum(CONNECTOR_AUTH_SCHEMES).optional(),
  authHeader: authHeader.optional(),
  tokenUrl: httpUrl("the token URL").optional(),
  scope: scope.optional(),
  /**
   * The credential again, required when the base URL (or the OAuth2 token URL) moves to another
   * origin while a credential is stored: a secret given for one host never follows the connector
   * to another.
   */
  credential: z.object(credentialFields).optional(),
});
export type UpdateConnectorInput = z.infer<typeof ZUpdateConnectorInput>;

export const ZConnectorIdInput = z.object({ id: z.uuid("Not a connector id.") });

export const ZSetCredentialInput = z.object({
  connectorId: z.uuid("Not a connector id."),
  ...credentialFields,
});
export type SetCredentialInput = z.infer<typeof ZSetCredentialInput>;

export const ZImportOpenApiInput = z.object({
  name: z
    .string()
    .trim()
    .regex(
      /^[a-z][a-z0-9_]{1,39}$/,
      "Use 2-40 lower-case letters, digits or _, starting with a letter: it prefixes the block ids.",
    ),
  /** The OpenAPI 3.0/3.1 document, JSON or YAML text. */
  document: z
    .string()
    .min(1, "Paste the OpenAPI document.")
    .max(2_000_000, "The document is larger than 2 MB."),
  /** Default: the document's first `servers` URL. */
  baseUrl: httpUrl("the base URL").optional(),
  authScheme: z.enum(CONNECTOR_AUTH_SCHEMES).optional(),
});
export type ImportOpenApiInput = z.infer<typeof ZImportOpenApiInput>;

/**
 * `connector.importOpenApi`: a pasted `document`, or a `url` the server fetches through the
 * egress guard (https; private addresses only when allow-listed). Exactly one of them.
 */
export const ZImportOpenApiRequest = ZImportOpenApiInput.extend({
  document: ZImportOpenApiInput.shape.document.optional(),
  url: httpUrl("the document URL").optional(),
}).refine((v) => (v.document === undefined) !== (v.url === undefined), {
  message: "Paste the OpenAPI document or give its URL (one of them).",
  path: ["document"],
});
export type ImportOpenApiRequest = z.infer<typeof ZImportOpenApiRequest>;

/** `connector.lookupRecords`: the records a block input can name (the Run form's id pickers). */
export const ZLookupRecordsInput = z.object({
  /** The block, as a step writes it: `billing.account.get@1`. */
  uses: z
    .string()
    .trim()
    .max(200, "Use at most 200 characters.")
    .regex(
      /^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_-]*)+@(0|[1-9][0-9]*)$/,
      "Name a block: kind.name@major.",
    ),
  /** The block input that takes the id: `accountId`. */
  field: z
    .string()
    .trim()
    .regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "Name one input of the block."),
  /** Keeps records whose id or label contains this (case-insensitive). */
  query: z.string().max(100, "Use at most 100 characters.").default(""),
  limit: z.number().int().min(1).max(100).default(50),
});
export type LookupRecordsInput = z.infer<typeof ZLookupRecordsInput>;
