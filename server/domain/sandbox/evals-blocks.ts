/**
 * A single agent block as an evaluation target: compiled into a one-step flow around it, whose
 * inputs are the block's inputs (so a row's values travel as run inputs, never spliced into the
 * flow's text, where `${{ … }}` in data would become an expression). The step's `model.route`
 * carries the variant's model route.
 */
import { agentBlocks } from "@/dsl";

/** The agent blocks a suite may target (checked against the registry by its unit test). */
export const AGENT_BLOCK_IDS = [
  "agent.classify",
  "agent.extract",
  "agent.summarize",
  "agent.draft",
  "agent.route",
] as const;
export type AgentBlockId = (typeof AGENT_BLOCK_IDS)[number];

/** The step id of the target in the generated flow. */
export const EVAL_STEP_ID = "target";

/** The JSON Schema type of a value, for the generated flow's input declaration. */
function typeOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "array";
  if (typeof v === "number") return "number";
  if (typeof v === "object") return "object";
  return typeof v;
}

/** The block's registry definition; undefined when the registry has no such agent block. */
export function agentBlockDefinition(block: string) {
  return agentBlocks.find((b) => b.id === block);
}

/** The names of the block's inputs (its input schema's properties). */
export function blockInputNames(block: string): string[] {
  const def = agentBlockDefinition(block);
  const props = (def?.inputSchema as { properties?: Record<string, unknown> } | undefined)
    ?.properties;
  return props ? Object.keys(props) : [];
}

/**
 * The one-step flow running `block` on `inputs` (only the block's own input names are kept:
 * `ignored` lists the others), with `route` as the step's `model.route` when given.
 */
export function blockFlow(
  block: string,
  inputs: Record<string, unknown>,
  route?: string,
): { text: string; inputs: Record<string, unknown>; ignored: string[] } {
  const def = agentBlockDefinition(block);
  if (!def) throw new Error(`${block} is not an agent block`);
  const major = Number(def.version.split(".")[0]);
  const names = new Set(blockInputNames(block));
  const kept: Record<string, unknown> = {};
  const ignored: string[] = [];
  for (const [k, v] of Object.entries(inputs)) {
    if (names.has(k) && v !== undefined) kept[k] = v;
    else ignored.push(k);
  }
  const keys = Object.keys(kept).sort();
  // JSON is YAML: every name and value below is JSON-quoted, so no row can change the flow.
  const declared = keys.map(
    (k) => `  ${JSON.stringify(k)}: { type: ${JSON.stringify(typeOf(kept[k]))} }`,
  );
  const withs = keys.map((k) => `      ${JSON.stringify(k)}: \${{ inputs.${k} }}`);
  const text = [
    `flow: ${JSON.stringify(`eval-${block.replace(".", "-")}`)}`,
    "version: 1.0.0",
    "sandbox: true",
    "trigger:",
    "  manual: {}",
    ...(keys.length ? ["inputs:", ...declared] : []),
    "steps:",
    `  - id: ${EVAL_STEP_ID}`,
    `    uses: ${block}@${major}`,
    "    retry: { max: 0 }",
    ...(route ? [`    model: { route: ${JSON.stringify(route)} }`] : []),
    ...(keys.length ? ["    with:", ...withs] : []),
    "outputs:",
    `  result: \${{ steps.${EVAL_STEP_ID}.output }}`,
    "",
  ].join("\n");
  return { text, inputs: kept, ignored };
}
