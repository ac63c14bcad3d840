/** Test helpers: model configurations for the fake server. */
import { createEgressGuard, type EgressGuard } from "@/server/adapters/egress/guard";
import { ZModelConfig, type ModelConfig, type ModelConfigInput } from "../config";

/**
 * The egress guard as the server builds it for model calls, without a database: no workspace
 * entries, so a fake server on 127.0.0.1 is reachable only through the operator entry of the
 * model configured at its host and port (`model-egress.ts`).
 */
export function modelTestEgress(): EgressGuard {
  return createEgressGuard({ allowList: async () => [] });
}

/** A validated model config with test defaults (all five tasks, JSON object mode, small tier). */
export function testModel(
  name: string,
  over: Partial<ModelConfigInput> & { baseURL?: string } = {},
): ModelConfig {
  return ZModelConfig.parse({
    name,
    provider: "openai-compatible",
    baseURL: "http://127.0.0.1:9/v1",
    model: name,
    capabilities: {
      tasks: ["classification", "extraction", "summarization", "drafting", "routing"],
      json: "json_object",
      tools: false,
    },
    maxTokens: 100,
    costPerInputToken: 0.000001,
    costPerOutputToken: 0.000002,
    tier: "small",
    ...over,
  } satisfies ModelConfigInput);
}

/** A clock the test moves by hand. */
export function fakeClock(start = Date.UTC(2026, 10, 22, 12, 0, 0)) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}
