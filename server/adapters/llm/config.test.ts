import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  demoModelConfig,
  describeModel,
  loadModels,
  ModelConfigError,
  parseModels,
  TASK_TYPES,
} from "./config";
import { DEMO_MODEL_LABEL, DEMO_MODEL_NAME } from "@/server/domain/agent/constants";
import { DEMO_MODEL_BASE_URL } from "./demo-model/constants";

const openai = {
  name: "gpt-4o-mini",
  provider: "openai",
  apiKeyEnv: "OPENAI_API_KEY",
  model: "gpt-4o-mini",
  capabilities: { tasks: ["classification", "routing"], json: "json_schema", tools: true },
  maxTokens: 512,
  costPerInputToken: 0.00000015,
  costPerOutputToken: 0.0000006,
  tier: "small",
};
const ollama = {
  name: "llama3",
  provider: "ollama",
  baseURL: "http://localhost:11434/v1",
  model: "llama3.1:8b",
  capabilities: { tasks: ["summarization"] },
  costPerInputToken: 0,
  costPerOutputToken: 0,
  tier: "small",
  stream: true,
};

describe("model configuration", () => {
  it("accepts an array or { models } and fills defaults", () => {
    const [a, b] = parseModels([openai, ollama]);
    expect(a!.baseURL).toBeUndefined();
    expect(b).toMatchObject({
      maxTokens: 1024,
      stream: true,
      capabilities: { json: "json_object", tools: false },
    });
    expect(parseModels({ models: [ollama] })).toHaveLength(1);
  });

  it("names the source and each bad field", () => {
    const bad = [
      { ...ollama, baseURL: undefined, costPerInputToken: -1, tier: "medium" },
      { ...openai, apiKeyEnv: "sk-live-123", capabilities: { tasks: ["poetry"] } },
      { ...openai, provider: "azure", apiKeyEnv: "AZURE_OPENAI_API_KEY" },
      { ...openai, extra: 1 },
    ];
    let err: unknown;
    try {
      parseModels(bad);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelConfigError);
    const msg = (err as Error).message;
    expect(msg).toContain("TRUSTFLOW_MODELS[0].costPerInputToken: must be ≥ 0");
    expect(msg).toContain("TRUSTFLOW_MODELS[0].tier: must be small or large");
    expect(msg).toContain("TRUSTFLOW_MODELS[0].baseURL: is required for provider ollama");
    expect(msg).toContain(
      "TRUSTFLOW_MODELS[1].apiKeyEnv: must be the NAME of an environment variable",
    );
    expect(msg).toContain(
      "TRUSTFLOW_MODELS[1].capabilities.tasks[0]: must be one of classification",
    );
    expect(msg).toContain("TRUSTFLOW_MODELS[2].baseURL: is required for provider azure");
    expect(msg).toContain("TRUSTFLOW_MODELS[2].apiVersion: is required for provider azure");
    expect(msg).toMatch(/TRUSTFLOW_MODELS\[3\]: .*extra/);
  });

  it("rejects duplicate names", () => {
    expect(() => parseModels([openai, openai])).toThrow(
      /TRUSTFLOW_MODELS\[1\]\.name: duplicate name gpt-4o-mini/,
    );
  });

  it("loads TRUSTFLOW_MODELS first, else trustflow.models.json, else the built-in demo model", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tf-models-"));
    // Nothing configured: the demo model alone, so agent steps run out of the box.
    expect(loadModels({ env: {}, cwd: dir })).toEqual({
      models: [demoModelConfig()],
      source: "demo",
    });
    expect(loadModels({ env: { TRUSTFLOW_MODELS: "  " }, cwd: dir }).source).toBe("demo");
    writeFileSync(path.join(dir, "trustflow.models.json"), JSON.stringify({ models: [ollama] }));
    expect(loadModels({ env: {}, cwd: dir }).models.map((m) => m.name)).toEqual(["llama3"]);
    const fromEnv = loadModels({ env: { TRUSTFLOW_MODELS: JSON.stringify([openai]) }, cwd: dir });
    expect(fromEnv).toMatchObject({
      source: "TRUSTFLOW_MODELS",
      models: [{ name: "gpt-4o-mini" }],
    });
    // Configured models replace the demo model; an empty list means no model at all.
    expect(fromEnv.models.map((m) => m.name)).toEqual(["gpt-4o-mini"]);
    expect(loadModels({ env: { TRUSTFLOW_MODELS: "[]" }, cwd: dir })).toEqual({
      models: [],
      source: "TRUSTFLOW_MODELS",
    });
  });

  it("refuses a TRUSTFLOW_MODELS_FILE that does not exist, instead of using the demo model", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tf-models-"));
    expect(() => loadModels({ env: { TRUSTFLOW_MODELS_FILE: "mine.json" }, cwd: dir })).toThrow(
      /TRUSTFLOW_MODELS_FILE names .*mine\.json, which does not exist/,
    );
    writeFileSync(path.join(dir, "mine.json"), JSON.stringify([ollama]));
    expect(loadModels({ env: { TRUSTFLOW_MODELS_FILE: "mine.json" }, cwd: dir })).toMatchObject({
      source: path.join(dir, "mine.json"),
      models: [{ name: "llama3" }],
    });
  });

  it("the demo model: every task, tier small, free, in-process; listable next to real models", () => {
    const demo = demoModelConfig();
    expect(demo).toMatchObject({
      name: DEMO_MODEL_NAME,
      baseURL: DEMO_MODEL_BASE_URL,
      tier: "small",
      costPerInputToken: 0,
      costPerOutputToken: 0,
      capabilities: { tasks: [...TASK_TYPES], json: "json_schema", tools: false },
    });
    const both = parseModels([openai, { ...demo, stream: true }]);
    expect(both.map((m) => m.name)).toEqual(["gpt-4o-mini", DEMO_MODEL_NAME]);
    expect(describeModel(both[1]!)).toMatchObject({ label: DEMO_MODEL_LABEL, demo: true });
    expect(describeModel(both[0]!)).toMatchObject({ label: "gpt-4o-mini", demo: false });
  });

  it("reserves the demo model's name and URL for the demo model itself", () => {
    const msg = (() => {
      try {
        parseModels([
          { ...ollama, name: DEMO_MODEL_NAME },
          { ...ollama, name: "fake", baseURL: "demo-model://elsewhere/v1" },
        ]);
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    })();
    expect(msg).toContain(`TRUSTFLOW_MODELS[0].name: ${DEMO_MODEL_NAME} is reserved`);
    expect(msg).toContain("TRUSTFLOW_MODELS[1].baseURL: the built-in demo model is served at");
    expect(msg).toContain(`TRUSTFLOW_MODELS[1].name: must be ${DEMO_MODEL_NAME}`);
    expect(msg).toContain("TRUSTFLOW_MODELS[1].provider: must be openai-compatible");
  });

  it("says when the JSON itself is broken", () => {
    expect(() => loadModels({ env: { TRUSTFLOW_MODELS: "[{name: x" } })).toThrow(
      /TRUSTFLOW_MODELS is not valid JSON .* array of models/,
    );
  });

  it("describeModel never shows how to authenticate", () => {
    const [m] = parseModels([openai]);
    expect(JSON.stringify(describeModel(m!))).not.toContain("OPENAI_API_KEY");
  });
});
