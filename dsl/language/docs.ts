/**
 * Markdown for completion details and hovers: blocks, steps, the expression roots and `run`.
 */
import { stepOutputSchemaOf } from "../registry/primitives/agent";
import type { BlockRegistry } from "../registry/registry";
import type { BlockDefinition, JsonSchema } from "../types";
import { directReads, dependentsOf, stepWith, type FlowOutline, type StepOutline } from "./outline";
import { schemaMarkdown, schemaProperties, typeLabel } from "./schema-docs";

/** The variables an expression reads, as the completion list and hovers describe them. */
export const ROOT_DOCS: Record<string, { detail: string; doc: string }> = {
  inputs: {
    detail: "the flow's inputs",
    doc: "The run's inputs, as declared under `inputs:` (defaults applied).",
  },
  steps: {
    detail: "earlier steps' outputs",
    doc: "`steps.<id>.output.<field>` reads the output of another step; the reference makes this step run after it. `steps['credit-check']` when the id has a `-`.",
  },
  secrets: {
    detail: "workspace secrets",
    doc: "`secrets.<NAME>` reads a workspace secret (Settings → Secrets) at run time; its value is redacted from run data, logs and the audit.",
  },
  run: {
    detail: "the run",
    doc: "Facts about the run: `run.id`, `run.flow`, `run.version`, `run.workflowId`, `run.startedBy`.",
  },
  item: {
    detail: "the current item (foreach)",
    doc: "Inside a `control.foreach` step's inputs (except `items`): the item being processed.",
  },
  index: {
    detail: "the current index (foreach)",
    doc: "Inside a `control.foreach` step's inputs (except `items`): the 0-based position of `item`.",
  },
};

/** `run.<field>`: what the engine puts in an expression's `run`. */
export const RUN_FIELDS: Record<string, { type: string; doc: string }> = {
  id: { type: "string", doc: "The run's id." },
  flow: { type: "string", doc: "The flow's name (`flow:`)." },
  version: { type: "string", doc: "The version of the flow that runs." },
  workflowId: { type: "string", doc: "The id of the workflow the run belongs to." },
  startedBy: { type: "string", doc: "Who started the run: a user id, or the trigger." },
};

/** The block a step runs, when its `uses` resolves. */
export function blockRefOf(
  step: StepOutline,
  registry: BlockRegistry,
): BlockDefinition | undefined {
  if (!step.uses) return undefined;
  const r = registry.resolve(step.uses);
  return r.ok ? r.block : undefined;
}

/**
 * The output schema of a step: its block's, refined (as the compiler does) by an agent step's
 * literal `with.output` schema.
 */
export function stepOutputSchema(
  outline: FlowOutline,
  step: StepOutline,
  registry: BlockRegistry,
): JsonSchema | undefined {
  const block = blockRefOf(step, registry);
  return block ? stepOutputSchemaOf(block, stepWith(outline, step)?.output) : undefined;
}

const list = (schema: JsonSchema | undefined, what: string): string => {
  const props = schemaProperties(schema);
  if (props.length === 0) return "";
  return `**${what}**\n\n${props
    .map(
      (p) =>
        `- \`${p.name}\`: ${typeLabel(p.schema)}${p.required ? " (required)" : ""}${typeof p.schema.description === "string" ? ` — ${p.schema.description}` : ""}`,
    )
    .join("\n")}`;
};

/** A block's hover: title, facts, docs, inputs and output fields. */
export function blockMarkdown(b: BlockDefinition, registry: BlockRegistry): string {
  const major = Number(b.version.split(".")[0]);
  const newest = registry.get(b.id);
  const facts = [
    `${b.kind} block`,
    `side effect: ${b.sideEffect}`,
    `baseline trust ${b.baselineTrust}`,
    b.system ? `system: ${b.system}` : "",
    b.consent ? `needs consent: ${b.consent.purpose}` : "",
    b.compensation ? `compensation: \`${b.compensation}\`` : "",
  ].filter(Boolean);
  const parts = [`**${b.title}** \`${b.id}@${major}\` (v${b.version})`, facts.join(" · ")];
  if (b.deprecated) parts.push(`**Deprecated:** ${b.deprecated.message}`);
  if (newest && newest.version !== b.version)
    parts.push(`Newest: \`${newest.id}@${newest.version.split(".")[0]}\` (v${newest.version})`);
  parts.push(b.docs);
  const inputs = list(b.inputSchema, "Inputs");
  if (inputs) parts.push(inputs);
  const outputs = list(b.outputSchema, "Output");
  if (outputs) parts.push(outputs);
  return parts.join("\n\n");
}

/** A step's hover: its block, what it reads and who reads it, its output fields. */
export function stepMarkdown(
  outline: FlowOutline,
  step: StepOutline,
  registry: BlockRegistry,
  opts: { readers?: boolean } = {},
): string {
  const block = blockRefOf(step, registry);
  const parts = [
    `**Step \`${step.id}\`**${step.uses ? ` — \`${step.uses}\`` : ""}${block ? ` ${block.title}` : ""}`,
  ];
  const reads = directReads(outline, step.id);
  if (reads.length > 0) parts.push(`Runs after: ${reads.map((r) => `\`${r}\``).join(", ")}`);
  // Who reads the step walks the whole graph: hovers show it, completion lists (one entry per
  // step) do not.
  const dependents = opts.readers === false ? [] : [...dependentsOf(outline, step.id)];
  if (dependents.length > 0)
    parts.push(
      `Read by: ${dependents
        .slice(0, 12)
        .map((r) => `\`${r}\``)
        .join(", ")}${dependents.length > 12 ? ` and ${dependents.length - 12} more` : ""}`,
    );
  const out = list(stepOutputSchema(outline, step, registry), "Output");
  if (out) parts.push(out);
  else if (!block && step.uses) parts.push(`\`${step.uses}\` does not resolve in the registry.`);
  return parts.join("\n\n");
}

/** An input's or field's hover. */
export function fieldMarkdown(path: string, schema: JsonSchema | undefined, what: string): string {
  return [`\`${path}\`: ${typeLabel(schema)} — ${what}`, schemaMarkdown(schema, { fields: true })]
    .filter(Boolean)
    .join("\n\n");
}
