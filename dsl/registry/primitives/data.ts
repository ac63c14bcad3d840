/** Data blocks: pure transformations (`sideEffect: none`). */
import type { BlockDefinition } from "../../types";
import { arr, jsonSchemaValue, obj, oneOfValues, str } from "./json-schema";

const data = {
  kind: "data",
  sideEffect: "none",
  baselineTrust: 0.99,
  tags: ["data"],
} satisfies Partial<BlockDefinition>;

/** Data blocks. */
export const dataBlocks: BlockDefinition[] = [
  {
    ...data,
    id: "data.transform",
    version: "1.0.0",
    title: "Transform",
    docs: "Builds a new object: each key of `fields` is a CEL expression over `inputs` and `steps.<id>.output`. Output is the object of results.\n\n```yaml\nwith:\n  fields:\n    fullName: steps.contact.output.firstName + ' ' + steps.contact.output.lastName\n```",
    inputSchema: obj(
      {
        fields: {
          type: "object",
          minProperties: 1,
          maxProperties: 200,
          additionalProperties: str("CEL expression", { minLength: 1 }),
        },
      },
      ["fields"],
    ),
    outputSchema: { type: "object", description: "One key per entry of `fields`" },
    example: { fields: { total: "inputs.quantity * inputs.unitPrice" } },
  },
  {
    ...data,
    id: "data.json.repair",
    version: "1.0.0",
    title: "Repair JSON",
    docs: "Parses almost-JSON (trailing commas, single quotes, code fences, truncated output of a model) into a value, optionally checked against `schema`. Lists what it changed.",
    inputSchema: obj({ text: str(undefined, { maxLength: 1000000 }), schema: jsonSchemaValue }, [
      "text",
    ]),
    outputSchema: obj({ value: {}, repaired: { type: "boolean" }, changes: arr(str()) }, [
      "value",
      "repaired",
      "changes",
    ]),
    example: { text: "```json\n{'subject': 'Welcome',}\n```" },
  },
  {
    ...data,
    id: "data.schema.validate",
    version: "1.0.0",
    title: "Validate against schema",
    docs: "Validates `value` against a JSON Schema (2020-12). `mode: fail` fails the step on errors; `mode: report` returns them.",
    inputSchema: obj(
      { value: {}, schema: jsonSchemaValue, mode: oneOfValues(["fail", "report"]) },
      ["value", "schema"],
    ),
    outputSchema: obj(
      {
        valid: { type: "boolean" },
        errors: arr(obj({ path: str("JSON Pointer"), message: str() }, ["path", "message"])),
      },
      ["valid", "errors"],
    ),
    example: {
      value: { email: "ada@example.com" },
      schema: { type: "object", required: ["email"] },
      mode: "report",
    },
  },
];
