/**
 * Fault injection for the mock services, per tenant, system and operation:
 * added latency, error answers (429/503 with `Retry-After`, 500, ...), timeouts (the request
 * hangs past any sane deadline) and malformed JSON. Decisions come from a seeded PRNG, so a
 * test that sets `seed` sees the same sequence of faults every run.
 */
import type { FaultRule } from "@/server/domain/sandbox/schemas";
import { Prng } from "./prng";

// The rule's schema is the sandbox sessions' too (their fault profiles): defined with them.
export { ZFaultRule, type FaultRule } from "@/server/domain/sandbox/schemas";

export type FaultDecision =
  | { kind: "none"; latencyMs: number }
  | { kind: "error"; latencyMs: number; status: number; retryAfterS: number }
  | { kind: "timeout"; latencyMs: number }
  | { kind: "malformed"; latencyMs: number };

export const DEFAULT_FAULT_SEED = 7;

/** The fault rules of one tenant and system. */
export class FaultTable {
  private readonly rules = new Map<string, FaultRule>();
  private rng: Prng;
  seed: number;

  constructor(seed = DEFAULT_FAULT_SEED) {
    this.seed = seed;
    this.rng = new Prng(seed);
  }

  set(rule: FaultRule, system: string): FaultRule {
    const { seed, ...rest } = rule;
    const operation = normaliseOperation(rest.operation, system);
    if (seed !== undefined) {
      this.seed = seed;
      this.rng = new Prng(seed);
    }
    const stored = { ...rest, operation };
    this.rules.set(operation, stored);
    return stored;
  }

  clear(operation?: string, system = ""): void {
    if (operation) this.rules.delete(normaliseOperation(operation, system));
    else this.rules.clear();
  }

  list(): FaultRule[] {
    return [...this.rules.values()];
  }

  /** The decision for one request; draws from the PRNG only when a rule applies. */
  decide(operation: string): FaultDecision {
    const rule = this.rules.get(operation) ?? this.rules.get("*");
    if (!rule) return { kind: "none", latencyMs: 0 };
    const latencyMs = rule.latencyMs ?? 0;
    if (rule.timeoutRate && this.rng.next() < rule.timeoutRate)
      return { kind: "timeout", latencyMs };
    if (rule.errorRate && this.rng.next() < rule.errorRate) {
      return {
        kind: "error",
        latencyMs,
        status: rule.status ?? 503,
        retryAfterS: rule.retryAfterS ?? 1,
      };
    }
    if (rule.malformedRate && this.rng.next() < rule.malformedRate)
      return { kind: "malformed", latencyMs };
    return { kind: "none", latencyMs };
  }
}

/** `crm.contact.create` and `contact.create` name the same operation of the CRM. */
export function normaliseOperation(operation: string, system: string): string {
  const op = operation.trim();
  return system && op.startsWith(`${system}.`) ? op.slice(system.length + 1) : op;
}
