/**
 * Names of the built-in demo model: an OpenAI-compatible endpoint served by the app itself that
 * answers deterministically from the request's JSON Schema and prompt, without any AI. Kept free
 * of imports so configuration, handler and labels can all read them.
 */

/** The configured model's `name` (reserved: no other model may take it). */
export const DEMO_MODEL_NAME = "trustflow-demo";

/** The `model` id the endpoint serves (`/v1/models`, the request's `model`). */
export const DEMO_MODEL_ID = "trustflow-demo";

/** What the UI shows instead of the name. */
export const DEMO_MODEL_LABEL = "demo model (no AI)";

/** The scheme of the in-process endpoint: the app calls its own demo model without a socket. */
export const DEMO_MODEL_SCHEME = "demo-model:";

/**
 * The base URL agent steps use: dispatched in-process (`demo-model/in-process.ts`). The same
 * endpoint answers over HTTP at `/api/demo-model/v1/…` (`app/api/demo-model/`).
 */
export const DEMO_MODEL_BASE_URL = "demo-model://trustflow/v1";

/** The label of a model name: the demo model's label for its name, else the name itself. */
export function modelLabel(name: string): string {
  return name === DEMO_MODEL_NAME ? DEMO_MODEL_LABEL : name;
}
