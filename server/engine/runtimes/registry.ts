/**
 * The runtime registry: block id -> {@link BlockRuntime}. Built-ins cover control, data, policy,
 * human, http and trigger blocks; connectors (crm/billing/clm), agents and code arrive with later
 * capabilities and are registered then. A block without a runtime fails its step with a clear
 * non-retryable error.
 */
import type { BlockRef } from "@/dsl";
import { NonRetryableError } from "../errors";
import type { BlockRuntime, RuntimeRegistry } from "../ports";
import {
  branchRuntime,
  foreachRuntime,
  joinRuntime,
  parallelRuntime,
  subflowRuntime,
  switchRuntime,
  waitRuntime,
} from "./control";
import { jsonRepairRuntime, schemaValidateRuntime, transformRuntime } from "./data";
import { approvalRuntime, consentRuntime, formRuntime, policyCheckRuntime } from "./governance";
import { createHttpRuntime, type HttpRuntimeOptions } from "./http";
import { triggerRuntime } from "./trigger";

/** A mutable map of runtimes. */
export class MapRuntimeRegistry implements RuntimeRegistry {
  private readonly map = new Map<string, BlockRuntime>();

  constructor(entries: Record<string, BlockRuntime> = {}) {
    for (const [k, v] of Object.entries(entries)) this.map.set(k, v);
  }

  get(blockId: string): BlockRuntime | undefined {
    return this.map.get(blockId);
  }

  /** Registers (or replaces) the runtime of a block id. Returns `this` for chaining. */
  register(blockId: string, runtime: BlockRuntime): this {
    this.map.set(blockId, runtime);
    return this;
  }
}

/** The registry of built-in runtimes. */
export function builtinRuntimes(opts: HttpRuntimeOptions = {}): MapRuntimeRegistry {
  return new MapRuntimeRegistry({
    "control.branch": branchRuntime,
    "control.switch": switchRuntime,
    "control.join": joinRuntime,
    "control.wait": waitRuntime,
    "control.subflow": subflowRuntime,
    "control.foreach": foreachRuntime,
    "control.parallel": parallelRuntime,
    "data.transform": transformRuntime,
    "data.json.repair": jsonRepairRuntime,
    "data.schema.validate": schemaValidateRuntime,
    "policy.check": policyCheckRuntime,
    "policy.consent": consentRuntime,
    "human.approval": approvalRuntime,
    "human.form": formRuntime,
    "http.request": createHttpRuntime(opts),
    "trigger.manual": triggerRuntime,
    "trigger.webhook": triggerRuntime,
    "trigger.schedule": triggerRuntime,
  });
}

const CAPABILITY: Record<string, string> = {
  crm: "the CRM connector",
  billing: "the billing connector",
  clm: "the CLM connector",
};

/** The error of a step whose block has no runtime yet. */
export function missingRuntimeError(block: BlockRef): NonRetryableError {
  const capability =
    CAPABILITY[block.system] ??
    (block.kind === "agent"
      ? "the agent runtime (model router)"
      : block.kind === "code"
        ? "the code sandbox"
        : block.kind === "connector"
          ? `the ${block.system || block.id.split(".")[0]} connector`
          : `a runtime for ${block.kind} blocks`);
  return new NonRetryableError(`no runtime for ${block.id}; it arrives with ${capability}`, {
    classification: { category: "system", severity: "high" },
    detail: { block: block.id },
  });
}
