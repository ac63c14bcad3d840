/**
 * How models are named to people: the built-in demo model (served by the LLM adapter,
 * `server/adapters/llm/demo-model/`) has a reserved name and is shown as "demo model (no AI)".
 * Pure, free of imports: usage reports, run views and the model configuration all read them.
 */

/** The configured model's `name` (reserved: no other model may take it). */
export const DEMO_MODEL_NAME = "trustflow-demo";

/** What the UI shows instead of the name. */
export const DEMO_MODEL_LABEL = "demo model (no AI)";

/** The label of a model name: the demo model's label for its name, else the name itself. */
export function modelLabel(name: string): string {
  return name === DEMO_MODEL_NAME ? DEMO_MODEL_LABEL : name;
}
