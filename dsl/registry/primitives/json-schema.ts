/**
 * Small builders for the JSON Schemas (draft 2020-12) of the primitive blocks. They keep the
 * definitions readable; the output is plain data.
 */
import type { JsonSchema } from "../../types";

/** A closed object: listed properties only, `required` as given. */
export function obj(
  properties: Record<string, JsonSchema>,
  required: string[] = [],
  extra: JsonSchema = {},
): JsonSchema {
  return { type: "object", properties, required, additionalProperties: false, ...extra };
}

/** A string, with an optional description and extra keywords. */
export function str(description?: string, extra: JsonSchema = {}): JsonSchema {
  return { type: "string", ...(description ? { description } : {}), ...extra };
}

/** A string restricted to `values`. */
export function oneOfValues(values: string[], description?: string): JsonSchema {
  return { type: "string", enum: values, ...(description ? { description } : {}) };
}

/** An array of `items`. */
export function arr(items: JsonSchema, extra: JsonSchema = {}): JsonSchema {
  return { type: "array", items, ...extra };
}

/** An ISO 4217 currency code. */
export const currency: JsonSchema = {
  type: "string",
  pattern: "^[A-Z]{3}$",
  description: "ISO 4217 currency code, e.g. `EUR`",
};

/** A non-negative amount in the major unit of `currency` (e.g. 1250.5 EUR). */
export const amount: JsonSchema = {
  type: "number",
  minimum: 0,
  description: "Amount in the currency's major unit",
};

/** An RFC 3339 timestamp. */
export const timestamp: JsonSchema = { type: "string", format: "date-time" };

/** An email address. */
export const email: JsonSchema = { type: "string", format: "email", maxLength: 254 };

/** A duration such as `30s`, `15m`, `48h`, `7d`. */
export const duration: JsonSchema = {
  type: "string",
  pattern: "^[0-9]+(ms|s|m|h|d)$",
  description: "Duration: a number followed by ms, s, m, h or d",
};

/** A pinned block reference `id@major`. */
export const blockRef: JsonSchema = {
  type: "string",
  pattern: "^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_-]*)+@(0|[1-9][0-9]*)$",
  description: "A pinned block reference, e.g. `crm.contact.update@1`",
};

/** A nested step to run (foreach, parallel branches): a block and its inputs. */
export const nestedStep: JsonSchema = obj(
  { uses: blockRef, with: { type: "object", description: "Inputs of the nested block" } },
  ["uses"],
);

/** Free-form key/value metadata (string values). */
export const metadata: JsonSchema = {
  type: "object",
  additionalProperties: { type: "string", maxLength: 500 },
  maxProperties: 50,
};

/** A customer as the CRM, billing and CLM systems exchange it. */
export const customer: JsonSchema = obj(
  {
    id: str("Customer id in the source system"),
    name: str("Legal or display name", { minLength: 1 }),
    email,
  },
  ["id", "name", "email"],
);

/** A postal address. */
export const address: JsonSchema = obj(
  {
    line1: str(),
    line2: str(),
    city: str(),
    postalCode: str(),
    region: str(),
    country: str("ISO 3166-1 alpha-2", { pattern: "^[A-Z]{2}$" }),
  },
  ["line1", "city", "country"],
);

/** A JSON Schema given as data (e.g. the structured output an agent must produce). */
export const jsonSchemaValue: JsonSchema = {
  type: "object",
  description: "A JSON Schema (draft 2020-12)",
};
