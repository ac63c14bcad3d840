/**
 * Language-model configuration: which models exist, where they are served and what they cost.
 * Read from `TRUSTFLOW_MODELS` (JSON) or, when that is unset, from `trustflow.models.json` in the
 * working directory (or the file named by `TRUSTFLOW_MODELS_FILE`). Either holds an array of
 * models or `{ "models": [...] }`. See README.md in this folder for examples per provider.
 * Without any of them, the built-in demo model (`demo-model/`) is the one model.
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { DEMO_MODEL_NAME, modelLabel } from "@/server/domain/agent/constants";
import type { ModelCatalog, ModelDescription } from "@/server/domain/agent/ports";
import { DEMO_MODEL_BASE_URL, DEMO_MODEL_ID, DEMO_MODEL_SCHEME } from "./demo-model/constants";

/** The task types agent blocks route by; each agent block has one. */
export const TASK_TYPES = [
  "classification",
  "extraction",
  "summarization",
  "drafting",
  "routing",
] as const;
export type TaskType = (typeof TASK_TYPES)[number];

export const PROVIDERS = [
  "openai",
  "azure",
  "ollama",
  "vllm",
  "litellm",
  "openai-compatible",
] as const;
export type Provider = (typeof PROVIDERS)[number];

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export const ZModelConfig = z
  .object({
    name: z
      .string()
      .regex(
        /^[A-Za-z0-9][A-Za-z0-9._:/-]*$/,
        "must be a model name such as `gpt-4o-mini` (letters, digits, . _ : / -)",
      ),
    provider: z.enum(PROVIDERS, {
      error: `must be one of ${PROVIDERS.join(", ")}`,
    }),
    baseURL: z
      .url("must be an absolute URL such as http://localhost:11434/v1")
      .optional()
      .describe("OpenAI-compatible base URL; for Azure the resource endpoint"),
    apiKeyEnv: z
      .string()
      .regex(ENV_NAME, "must be the NAME of an environment variable, not the key itself")
      .optional(),
    model: z.string().min(1, "must name the provider's model (or Azure deployment)"),
    capabilities: z.object({
      tasks: z
        .array(z.enum(TASK_TYPES, { error: `must be one of ${TASK_TYPES.join(", ")}` }))
        .min(1, "must list at least one task type"),
      /** How the model can be asked for JSON: a JSON Schema, any JSON object, or not at all. */
      json: z.enum(["json_schema", "json_object", "none"]).default("json_object"),
      tools: z.boolean().default(false),
    }),
    maxTokens: z.number().int().min(1).max(1_000_000).default(1024),
    costPerInputToken: z.number().min(0, "must be ≥ 0 (USD per input token)"),
    costPerOutputToken: z.number().min(0, "must be ≥ 0 (USD per output token)"),
    tier: z.enum(["small", "large"], { error: "must be small or large" }),
    stream: z.boolean().default(false),
    /** Azure only: the `api-version` query parameter. */
    apiVersion: z.string().min(1).optional(),
    temperature: z.number().min(0).max(2).optional(),
    /** The SDK's own request timeout, ms (the engine's per-attempt timeout still applies). */
    timeoutMs: z.number().int().min(100).optional(),
  })
  .strict()
  .superRefine(
    (m, ctx) => {
      if (!m || typeof m !== "object") return;
      if (m.provider !== "openai" && !m.baseURL) {
        ctx.addIssue({
          code: "custom",
          path: ["baseURL"],
          message: `is required for provider ${m.provider}`,
        });
      }
      if ((m.provider === "openai" || m.provider === "azure") && !m.apiKeyEnv) {
        ctx.addIssue({
          code: "custom",
          path: ["apiKeyEnv"],
          message: `is required for provider ${m.provider} (e.g. "OPENAI_API_KEY")`,
        });
      }
      if (m.provider === "azure" && !m.apiVersion) {
        ctx.addIssue({
          code: "custom",
          path: ["apiVersion"],
          message: 'is required for provider azure (e.g. "2024-10-21")',
        });
      }
      // Run even when other fields failed, so one pass reports every problem.
    },
    { when: () => true },
  );
export type ModelConfig = z.output<typeof ZModelConfig>;
export type ModelConfigInput = z.input<typeof ZModelConfig>;

export const ZModelsFile = z.preprocess(
  // `{ "models": [...] }` and a bare array are the same document.
  (v) => (v && typeof v === "object" && !Array.isArray(v) && "models" in v ? v.models : v),
  z
    .array(ZModelConfig, { error: 'must be an array of models or { "models": [...] }' })
    .superRefine((models, ctx) => {
      const seen = new Set<string>();
      models.forEach((m, i) => {
        if (seen.has(m.name)) {
          ctx.addIssue({ code: "custom", path: [i, "name"], message: `duplicate name ${m.name}` });
        }
        seen.add(m.name);
        demoModelIssues(m).forEach(([field, message]) =>
          ctx.addIssue({ code: "custom", path: [i, field], message }),
        );
      });
    }),
);

/**
 * The built-in demo model may be listed next to real ones, but only as itself: its name is
 * reserved (usage rows and the UI label it "demo model (no AI)"), and a `demo-model:` URL is
 * served in-process by the SDK of an `openai-compatible` model only.
 */
function demoModelIssues(m: ModelConfig): Array<[string, string]> {
  const isDemoUrl = m.baseURL?.toLowerCase().startsWith(`${DEMO_MODEL_SCHEME}//`) ?? false;
  const issues: Array<[string, string]> = [];
  if (m.name === DEMO_MODEL_NAME && m.baseURL !== DEMO_MODEL_BASE_URL) {
    issues.push(["name", `${DEMO_MODEL_NAME} is reserved for the built-in demo model`]);
  }
  if (isDemoUrl) {
    if (m.baseURL !== DEMO_MODEL_BASE_URL)
      issues.push(["baseURL", `the built-in demo model is served at ${DEMO_MODEL_BASE_URL}`]);
    if (m.name !== DEMO_MODEL_NAME)
      issues.push(["name", `must be ${DEMO_MODEL_NAME} for the built-in demo model`]);
    if (m.model !== DEMO_MODEL_ID)
      issues.push(["model", `must be ${DEMO_MODEL_ID} for the built-in demo model`]);
    if (m.provider !== "openai-compatible")
      issues.push(["provider", "must be openai-compatible for the built-in demo model"]);
  }
  return issues;
}

/**
 * The built-in demo model: served by the app itself (`demo-model/`), answers deterministically
 * from the block's output schema and the prompt, costs nothing; every task, tier `small`.
 */
export function demoModelConfig(): ModelConfig {
  return ZModelConfig.parse({
    name: DEMO_MODEL_NAME,
    provider: "openai-compatible",
    baseURL: DEMO_MODEL_BASE_URL,
    model: DEMO_MODEL_ID,
    capabilities: { tasks: [...TASK_TYPES], json: "json_schema", tools: false },
    maxTokens: 4096,
    costPerInputToken: 0,
    costPerOutputToken: 0,
    tier: "small",
    stream: false,
  } satisfies ModelConfigInput);
}

/** Whether `m` is the built-in demo model. */
export function isDemoModel(m: Pick<ModelConfig, "name" | "baseURL">): boolean {
  return m.name === DEMO_MODEL_NAME && m.baseURL === DEMO_MODEL_BASE_URL;
}

/** A configuration that cannot be used; the message names the source and each bad field. */
export class ModelConfigError extends Error {
  override name = "ModelConfigError";
}

export interface LoadedModels {
  models: ModelConfig[];
  /** Where they came from: `TRUSTFLOW_MODELS`, a file path, or `demo` (nothing configured). */
  source: string;
}

/** Parses and validates a configuration document (already JSON-decoded). */
export function parseModels(doc: unknown, source = "TRUSTFLOW_MODELS"): ModelConfig[] {
  const r = ZModelsFile.safeParse(doc);
  if (r.success) return r.data;
  const lines = r.error.issues.map((i) => {
    const where = i.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
    return `  ${source}${where}: ${i.message}`;
  });
  throw new ModelConfigError(`Invalid model configuration:\n${lines.join("\n")}`);
}

export const MODELS_FILE = "trustflow.models.json";

/**
 * Loads the models: `TRUSTFLOW_MODELS` wins (exactly those; `[]` means none at all); else the
 * file named by `TRUSTFLOW_MODELS_FILE` (which must exist), else `trustflow.models.json` in `cwd`
 * when present; with none of them, the built-in demo model alone (`source: "demo"`), so agent
 * steps run out of the box.
 */
export function loadModels(
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): LoadedModels {
  const env = opts.env ?? process.env;
  const raw = env.TRUSTFLOW_MODELS?.trim();
  if (raw)
    return {
      models: parseModels(decode(raw, "TRUSTFLOW_MODELS"), "TRUSTFLOW_MODELS"),
      source: "TRUSTFLOW_MODELS",
    };
  const named = env.TRUSTFLOW_MODELS_FILE?.trim();
  const file = path.resolve(opts.cwd ?? process.cwd(), named || MODELS_FILE);
  // The operator's file, read at run time: not a file of the build (no output tracing).
  if (!existsSync(/*turbopackIgnore: true*/ file)) {
    // A file asked for by name but missing is a mistake, never a reason to answer with the demo.
    if (named) {
      throw new ModelConfigError(
        `TRUSTFLOW_MODELS_FILE names ${file}, which does not exist. Create it (an array of models or { "models": [...] }) or unset TRUSTFLOW_MODELS_FILE.`,
      );
    }
    return { models: [demoModelConfig()], source: "demo" };
  }
  return {
    models: parseModels(decode(readFileSync(/*turbopackIgnore: true*/ file, "utf8"), file), file),
    source: file,
  };
}

function decode(text: string, source: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelConfigError(
      `${source} is not valid JSON (${(e as Error).message}). It must be an array of models or { "models": [...] }.`,
    );
  }
}

/** What a caller can show about a model: everything except how to authenticate. */
export function describeModel(m: ModelConfig): ModelDescription {
  return {
    name: m.name,
    /** What the UI shows: "demo model (no AI)" for the built-in demo model, else the name. */
    label: isDemoModel(m) ? modelLabel(m.name) : m.name,
    demo: isDemoModel(m),
    provider: m.provider,
    model: m.model,
    baseURL: m.baseURL ?? "https://api.openai.com/v1",
    tasks: m.capabilities.tasks,
    json: m.capabilities.json,
    tools: m.capabilities.tools,
    tier: m.tier,
    maxTokens: m.maxTokens,
    costPerInputToken: m.costPerInputToken,
    costPerOutputToken: m.costPerOutputToken,
    stream: m.stream,
  };
}

/**
 * The model catalog of the agent use cases: {@link loadModels} on each call (a changed
 * configuration shows at once), each model described without its credentials.
 */
export function configuredModels(
  opts: { env?: Record<string, string | undefined>; cwd?: string } = {},
): ModelCatalog {
  return {
    describe() {
      const { models, source } = loadModels(opts);
      return { source, models: models.map(describeModel) };
    },
  };
}
