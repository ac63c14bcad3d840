/**
 * What the guardian's model-written proposals need from the world (issue 18, item 3): the
 * router's configured models, and one model call through the agent runtime — its router, run
 * budget, PII guard (the prompt is redacted), answer checks (structural repair, validation
 * against the answer's JSON Schema, one repair request) and, for a real model, the egress guard
 * bound to the workspace. Implemented by `server/wiring/guardian-model.ts`; tests use the same
 * wiring with a scripted sandbox model.
 */

/** A model an admin may name for the guardian. */
export interface GuardianModelChoice {
  /** A configured model's `name`, or `scripted/<id>` for a scripted sandbox model. */
  value: string;
  /** What the page shows ("demo model (no AI)", the name, "scripted model Fixes"). */
  label: string;
  kind: "configured" | "scripted";
}

export interface GuardianModelRequest {
  workspaceId: string;
  /** The workspace's guardian model (`GuardianModelSetting.model`). */
  model: string;
  /** The flow the proposal is for (usage per flow). */
  flow: string;
  /** This request's id: the agent usage rows' run id is `guardian:<callId>`. */
  callId: string;
  prompt: string;
  /** The JSON Schema the answer must satisfy. */
  schema: Record<string, unknown>;
  /** Spend allowed for this request (the run budget of the call), USD. */
  budgetUsd: number;
  signal?: AbortSignal;
}

export interface GuardianModelAnswer {
  /** The answer, parsed and valid against the request's schema. */
  answer: unknown;
  /** The configured model that answered. */
  model: string;
  usage: { tokensIn: number; tokensOut: number; costUsd: number };
}

export interface GuardianModelPort {
  /** The router's configured models (never their keys); empty when the configuration is broken. */
  configured(): GuardianModelChoice[];
  /**
   * Asks the model; throws the runtime's error (no model, budget, an outage, an answer that is
   * not valid JSON for the schema after the repairs: `AgentOutputError`).
   */
  ask(req: GuardianModelRequest): Promise<GuardianModelAnswer>;
  /**
   * The configured models capable of an agent block's task (`agent.classify@1` →
   * classification), in configuration order; empty for other blocks (the fallback model rule).
   */
  capableOf(blockId: string): string[];
}

/** The guardian's model-written proposals' dependencies. */
export interface GuardianModelDeps {
  guardianModel: GuardianModelPort;
}
