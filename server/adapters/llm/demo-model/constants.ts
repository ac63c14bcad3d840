/**
 * Where the built-in demo model is served: an OpenAI-compatible endpoint served by the app itself
 * that answers deterministically from the request's JSON Schema and prompt, without any AI. Its
 * reserved name and its label are the domain's (`server/domain/agent/constants.ts`). Kept free of
 * other imports so configuration and handler can both read them.
 */

/** The `model` id the endpoint serves (`/v1/models`, the request's `model`). */
export const DEMO_MODEL_ID = "trustflow-demo";

/** The scheme of the in-process endpoint: the app calls its own demo model without a socket. */
export const DEMO_MODEL_SCHEME = "demo-model:";

/**
 * The base URL agent steps use: dispatched in-process (`demo-model/in-process.ts`). The same
 * endpoint answers over HTTP at `/api/demo-model/v1/…` (`app/api/demo-model/`).
 */
export const DEMO_MODEL_BASE_URL = "demo-model://trustflow/v1";
