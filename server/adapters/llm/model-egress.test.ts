import { describe, expect, it } from "vitest";
import type { EgressScope } from "@/server/adapters/egress/guard";
import { NonRetryableError } from "@/server/engine/errors";
import { chatOnce, createClientCache } from "./chat-client";
import { demoModelConfig } from "./config";
import {
  MODEL_DEFAULT_TIMEOUT_MS,
  MODEL_MAX_RESPONSE_BYTES,
  modelEgress,
  modelResponseCap,
  operatorModelRules,
} from "./model-egress";
import { testModel } from "./testing/models";

const TEN_MIB = 10 * 1024 * 1024;
const ask = { messages: [{ role: "user" as const, content: "hi" }], maxTokens: 5 };

describe("model calls' egress scope", () => {
  it("allows answers as long as maxTokens needs, bounded both ways", () => {
    expect(modelResponseCap(testModel("m", { maxTokens: 1024 }), TEN_MIB)).toBe(TEN_MIB);
    expect(modelResponseCap(testModel("m", { maxTokens: 100_000, stream: true }), TEN_MIB)).toBe(
      100_000 * 512,
    );
    expect(modelResponseCap(testModel("m", { maxTokens: 1_000_000, stream: true }), TEN_MIB)).toBe(
      MODEL_MAX_RESPONSE_BYTES,
    );
  });

  it("makes each real model's host and port an operator entry (the demo model none)", () => {
    const rules = operatorModelRules([
      demoModelConfig(),
      testModel("local", { baseURL: "http://127.0.0.1:11434/v1" }),
      testModel("gpt", { provider: "openai", apiKeyEnv: "K", baseURL: undefined }),
    ]);
    expect(rules).toEqual([
      { host: "127.0.0.1", port: 11434, allowHttp: true, allowPrivate: true },
      { host: "api.openai.com", port: 443, allowHttp: false, allowPrivate: true },
    ]);
  });

  it("binds the guard to the run's workspace with the model's own limits", async () => {
    const calls: Array<{ workspaceId: string; scope?: EgressScope }> = [];
    const egress = {
      limits: { maxResponseBytes: TEN_MIB, timeoutMs: 30_000, maxRedirects: 5 },
      fetchFor: (workspaceId: string, scope?: EgressScope) => {
        calls.push({ workspaceId, scope });
        return () => Promise.reject(new NonRetryableError("refused by the test guard"));
      },
    };
    const slow = testModel("slow", { timeoutMs: 120_000 });
    const plain = testModel("plain");
    const clients = createClientCache({ fetchFor: modelEgress(egress, [slow, plain]) });
    const err = await chatOnce(
      clients(slow, undefined, "ws-a"),
      slow,
      ask,
      AbortSignal.timeout(5000),
    )
      .then(() => null)
      .catch((e: unknown) => e);
    // The fetch's own refusal comes through as it is, not as "could not reach".
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as Error).message).toBe("refused by the test guard");
    clients(plain, undefined, "ws-b");
    expect(calls.map((c) => c.workspaceId)).toEqual(["ws-a", "ws-b"]);
    expect(calls[0]!.scope).toMatchObject({
      purpose: "model",
      rules: [{ host: "127.0.0.1", port: 9, allowHttp: true }],
      limits: { timeoutMs: 120_000 },
    });
    expect(calls[1]!.scope!.limits!.timeoutMs).toBe(MODEL_DEFAULT_TIMEOUT_MS);
    // One client per workspace: the same model for another run of ws-a reuses it.
    clients(slow, undefined, "ws-a");
    expect(calls).toHaveLength(2);
  });

  it("without a guard, calls no real model (never the global fetch)", async () => {
    const m = testModel("unguarded");
    const err = await chatOnce(createClientCache()(m, undefined), m, ask, AbortSignal.timeout(5000))
      .then(() => null)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NonRetryableError);
    expect((err as Error).message).toMatch(/model calls have no egress guard here/);
  });
});
