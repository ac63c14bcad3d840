/**
 * AI agent blocks (`system: llm`). Every agent step takes the step-level `model:` settings:
 * `route` (the task type the router uses to pick a model), `fallback` (models tried in order) and
 * `budget_usd` (a hard per-run cap; `agent-budget-required@1` makes it mandatory).
 */
import type { BlockDefinition, JsonSchema } from "../../types";
import { arr, blockRef, jsonSchemaValue, obj, oneOfValues, str } from "./json-schema";

const confidence: JsonSchema = { type: "number", minimum: 0, maximum: 1 };
const text = str("The text to work on", { minLength: 1, maxLength: 200000 });
const instructions = str("Extra instructions for the model", { maxLength: 4000 });
/** Kinds that are never tools: they park, fan out, start runs or call models themselves. */
const NOT_TOOL_KINDS: ReadonlySet<BlockDefinition["kind"]> = new Set([
  "agent",
  "control",
  "human",
  "trigger",
]);

/**
 * The output schema of a step of `block`: an agent step's literal `with.output` schema (an object
 * with a string `type` and no expression in it) refines the block's open one; any other step has
 * its block's. The compiler and the editor's hovers ask the same question.
 */
export function stepOutputSchemaOf(
  block: Pick<BlockDefinition, "kind" | "outputSchema">,
  literalOutput: unknown,
): JsonSchema | undefined {
  const o = literalOutput;
  if (
    block.kind === "agent" &&
    o &&
    typeof o === "object" &&
    !Array.isArray(o) &&
    typeof (o as JsonSchema).type === "string" &&
    !JSON.stringify(o).includes("${{")
  ) {
    return o as JsonSchema;
  }
  return block.outputSchema;
}

/**
 * Whether an agent step may name `b` in its `tools`: blocks that write nothing (side effect
 * `none` or `read`) and are not agent, control, human or trigger blocks. Writes are not callable
 * as tools yet (they would need the step's consent, compensation and approvals).
 */
export function isAgentToolBlock(b: Pick<BlockDefinition, "kind" | "sideEffect">): boolean {
  return (b.sideEffect === "none" || b.sideEffect === "read") && !NOT_TOOL_KINDS.has(b.kind);
}

/** Registry blocks the model may call while it works (read-only blocks only). */
const tools: JsonSchema = arr(
  { ...blockRef, description: "A block the model may call, e.g. `crm.contact.get@1`" },
  {
    maxItems: 10,
    uniqueItems: true,
    description:
      "Blocks the model may call as tools (`id@major`). Only blocks without writes (side effect `none` or `read`) can be tools; calls per step are bounded.",
  },
);
const agent = {
  kind: "agent",
  system: "llm",
  sideEffect: "none",
  sla: { tier: "T2", timeoutMs: 60000 },
  tags: ["llm", "budget", "route"],
} satisfies Partial<BlockDefinition>;
const modelDocs =
  "\n\nModel settings on the step: `model.route` (task type), `model.fallback`, `model.budget_usd`.\n\nTools: `tools: [crm.contact.get@1]` lets the model call those blocks while it works (at most 10 named, a bounded number of calls per step). Only blocks that write nothing (side effect `none` or `read`) can be tools; blocks that write are not callable as tools yet.";

/** Agent blocks. */
export const agentBlocks: BlockDefinition[] = [
  {
    ...agent,
    id: "agent.classify",
    version: "1.1.0",
    title: "Classify",
    docs: `Assigns one of \`labels\` (or several with \`multi: true\`) to a text, with a confidence in 0..1.${modelDocs}`,
    inputSchema: obj(
      {
        text,
        labels: arr(str(undefined, { minLength: 1 }), {
          minItems: 2,
          maxItems: 100,
          uniqueItems: true,
        }),
        multi: { type: "boolean", default: false },
        instructions,
        tools,
      },
      ["text", "labels"],
    ),
    outputSchema: obj({ label: str(), labels: arr(str()), confidence, rationale: str() }, [
      "label",
      "confidence",
    ]),
    baselineTrust: 0.9,
    example: { text: "I was charged twice this month", labels: ["billing", "technical", "sales"] },
  },
  {
    ...agent,
    id: "agent.extract",
    version: "1.2.0",
    title: "Extract structured data",
    docs: `Extracts the fields described by \`schema\` from unstructured text (emails, PDFs converted to text). Fields it cannot find are listed in \`missing\`, never invented.${modelDocs}`,
    inputSchema: obj({ text, schema: jsonSchemaValue, instructions, tools }, ["text", "schema"]),
    outputSchema: obj({ data: { type: "object" }, missing: arr(str()), confidence }, [
      "data",
      "missing",
      "confidence",
    ]),
    baselineTrust: 0.86,
    example: {
      text: "Please bill ACME GmbH, VAT DE123456789, in EUR.",
      schema: {
        type: "object",
        properties: {
          company: { type: "string" },
          vatId: { type: "string" },
          currency: { type: "string" },
        },
      },
    },
  },
  {
    ...agent,
    id: "agent.summarize",
    version: "1.0.0",
    title: "Summarize",
    docs: `Summarizes a text for an audience, as a paragraph or bullet points, within \`maxWords\`.${modelDocs}`,
    inputSchema: obj(
      {
        text,
        maxWords: { type: "integer", minimum: 10, maximum: 2000, default: 150 },
        style: oneOfValues(["paragraph", "bullets"]),
        audience: str(undefined, { maxLength: 200 }),
        tools,
      },
      ["text"],
    ),
    outputSchema: obj({ summary: str(), keyPoints: arr(str()) }, ["summary"]),
    baselineTrust: 0.92,
    example: { text: "Long meeting transcript…", maxWords: 100, style: "bullets" },
  },
  {
    ...agent,
    id: "agent.draft",
    version: "1.3.0",
    title: "Draft",
    docs: `Writes content (emails, notes, replies) from a \`prompt\`, as a JSON object matching the \`output\` schema.\n\n- The output is validated against \`output\`; an invalid answer is repaired once, then fails the attempt.\n- Needs no consent by itself: a flow that sends the draft to a person declares the purpose on the step (\`consent.purpose: marketing\`).${modelDocs}`,
    inputSchema: obj(
      {
        prompt: str("What to write; may embed `${{ }}` expressions", {
          minLength: 1,
          maxLength: 20000,
        }),
        output: jsonSchemaValue,
        context: { type: "object", description: "Extra facts the model may use" },
        tone: oneOfValues(["neutral", "friendly", "formal"]),
        language: str("BCP 47 language tag", { pattern: "^[a-z]{2,3}(-[A-Z]{2})?$" }),
        tools,
      },
      ["prompt", "output"],
    ),
    outputSchema: {
      type: "object",
      description: "Free-form: conforms to the `output` schema of the inputs",
    },
    baselineTrust: 0.82,
    example: {
      prompt: "Write a short welcome email for Ada.",
      output: {
        type: "object",
        required: ["subject", "body"],
        properties: { subject: { type: "string" }, body: { type: "string" } },
      },
    },
  },
  {
    ...agent,
    id: "agent.route",
    version: "1.0.0",
    title: "Route",
    docs: `Chooses which of several named routes should handle a request (e.g. which team, which subflow), from their descriptions. Pair it with \`control.switch\` on \`output.route\`.${modelDocs}`,
    inputSchema: obj(
      {
        text,
        routes: arr(
          obj(
            {
              name: str(undefined, { pattern: "^[a-z][a-z0-9_-]*$" }),
              description: str(undefined, { minLength: 1 }),
            },
            ["name", "description"],
          ),
          { minItems: 2, maxItems: 50 },
        ),
        fallbackRoute: str(undefined, { pattern: "^[a-z][a-z0-9_-]*$" }),
        tools,
      },
      ["text", "routes"],
    ),
    outputSchema: obj({ route: str(), confidence, rationale: str() }, ["route", "confidence"]),
    baselineTrust: 0.88,
    example: {
      text: "Our SSO login is broken",
      routes: [
        { name: "support", description: "Technical problems" },
        { name: "billing", description: "Invoices and payments" },
      ],
    },
  },
];
