/**
 * Model calls through the egress guard (`server/adapters/egress/`). The endpoints of the
 * configured models (`TRUSTFLOW_MODELS`, a models file) are the operator's configuration, so
 * each becomes an operator-level entry of the guard for exactly its host and port
 * (`operatorRule()`): a local Ollama at 127.0.0.1:11434 the operator configured is reachable,
 * any other private address (another port, a redirect elsewhere) is refused. These entries
 * replace the workspace's allow-list for model calls (see the egress ARCHITECTURE.md).
 *
 * Limits per model: the call's time is the model's `timeoutMs` (default 10 minutes, the SDK's
 * own default), not `EGRESS_TIMEOUT_MS`; the answer may be as large as the model's `maxTokens`
 * can make it (streamed chunks carry ~250 bytes of JSON per token), never less than
 * `EGRESS_MAX_RESPONSE_BYTES` and never more than {@link MODEL_MAX_RESPONSE_BYTES}.
 */
import type { EgressGuard, EgressScope } from "@/server/adapters/egress/guard";
import { operatorRule, type EgressRule } from "@/server/domain/egress/policy";
import { isDemoModel, type ModelConfig } from "./config";

/** A model's call timeout when it sets no `timeoutMs` (the `openai` SDK's default). */
export const MODEL_DEFAULT_TIMEOUT_MS = 600_000;
/** The hard cap of one model answer, whatever its `maxTokens`. */
export const MODEL_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Bytes per output token allowed: an SSE chunk per token, or a JSON body with escapes. */
const BYTES_PER_TOKEN = { stream: 512, plain: 32 } as const;

/** Where the model's operator entry comes from: its base URL (OpenAI's when it names none). */
export function modelEndpoint(m: ModelConfig): string {
  return m.baseURL ?? "https://api.openai.com/v1";
}

/** The time one call to `m` may take. */
export function modelTimeoutMs(m: ModelConfig): number {
  return m.timeoutMs ?? MODEL_DEFAULT_TIMEOUT_MS;
}

/** The largest answer accepted from `m`: room for `maxTokens`, bounded both ways. */
export function modelResponseCap(m: ModelConfig, floor: number): number {
  const perToken = m.stream ? BYTES_PER_TOKEN.stream : BYTES_PER_TOKEN.plain;
  return Math.min(MODEL_MAX_RESPONSE_BYTES, Math.max(floor, m.maxTokens * perToken));
}

/** The operator's entries for `models`: each real model's host and port (demo model: none). */
export function operatorModelRules(models: readonly ModelConfig[]): EgressRule[] {
  const rules = new Map<string, EgressRule>();
  for (const m of models) {
    if (isDemoModel(m)) continue;
    const rule = operatorRule(modelEndpoint(m));
    // Models served by one server share its entry (http wins: that server is reached over http).
    const key = rule ? `${rule.host}:${rule.port}` : "";
    if (rule) rules.set(key, { ...rule, allowHttp: rule.allowHttp || !!rules.get(key)?.allowHttp });
  }
  return [...rules.values()];
}

/** The guard's scope of a call to `m`, with the entries of every model in `rules`. */
export function modelScope(
  m: ModelConfig,
  rules: readonly EgressRule[],
  floorBytes: number,
): EgressScope {
  return {
    purpose: "model",
    rules,
    limits: { timeoutMs: modelTimeoutMs(m), maxResponseBytes: modelResponseCap(m, floorBytes) },
    limitNames: {
      timeoutMs: `timeoutMs of model ${m.name}`,
      maxResponseBytes: `maxTokens of model ${m.name}, at most ${MODEL_MAX_RESPONSE_BYTES} bytes`,
    },
  };
}

/**
 * The `fetch` of model `m` called for a run of `workspaceId`: the guard bound to the workspace
 * (its records and metrics say whose call it was), with the operator's entries of `models`.
 */
export function modelEgress(
  egress: Pick<EgressGuard, "fetchFor" | "limits">,
  models: readonly ModelConfig[],
): (m: ModelConfig, workspaceId: string) => typeof fetch {
  const rules = operatorModelRules(models);
  const scopes = new Map<string, EgressScope>();
  return (m, workspaceId) => {
    const key = JSON.stringify(m);
    let scope = scopes.get(key);
    if (!scope) {
      // A model outside `models` (a caller's mistake) gets no entry of its own.
      scope = modelScope(m, rules, egress.limits.maxResponseBytes);
      // Bounded by the configuration: one scope per configured model.
      if (scopes.size < Math.max(16, models.length)) scopes.set(key, scope);
    }
    return egress.fetchFor(workspaceId, scope) as typeof fetch;
  };
}
