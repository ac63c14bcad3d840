import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { describeModel, loadModels, ModelConfigError, parseModels } from "./config";

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

  it("loads TRUSTFLOW_MODELS first, else trustflow.models.json, else nothing", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "tf-models-"));
    expect(loadModels({ env: {}, cwd: dir })).toEqual({ models: [], source: "none" });
    writeFileSync(path.join(dir, "trustflow.models.json"), JSON.stringify({ models: [ollama] }));
    expect(loadModels({ env: {}, cwd: dir }).models.map((m) => m.name)).toEqual(["llama3"]);
    const fromEnv = loadModels({ env: { TRUSTFLOW_MODELS: JSON.stringify([openai]) }, cwd: dir });
    expect(fromEnv).toMatchObject({
      source: "TRUSTFLOW_MODELS",
      models: [{ name: "gpt-4o-mini" }],
    });
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
