/**
 * The world the demo history's runs meet: simulated connector operations and models as block
 * runtimes of the real engine. Each answers after a latency drawn from its behaviour (on the
 * virtual clock), fails as often as the plan says, with the errors the real connectors and
 * model clients raise (same names, messages, classifications and details), and returns an
 * output valid against its block's contract. The planted effects (`history-plan.ts`) change
 * these draws from their start time on.
 */
import type { BlockRuntime, Clock, RuntimeRequest } from "@/server/engine/ports";
import { EngineError, NonRetryableError, RetryAfterError } from "@/server/engine/errors";
import { builtinRuntimes, type MapRuntimeRegistry } from "@/server/engine/runtimes/registry";
import {
  AGENT_TOKENS,
  BEHAVIOUR,
  DAY_MS,
  DEGRADED_ERROR_RATE,
  HISTORY_MODELS,
  OUTAGE,
  PLANTED,
  type Behaviour,
  type PlantedEffect,
} from "./history-plan";
import { HistoryRandom, seededUuid, streamSeed } from "./history-random";
import type { UsageRecord } from "./ports";
export type { UsageRecord } from "./ports";

/** What a connector error is: status, code and message as the remote service answers. */
export type Failure =
  | { kind: "status"; status: number; code: string; message: string; retryAfterS?: number }
  | { kind: "timeout" };

const CONNECTOR_FAILURES: ReadonlyArray<readonly [Failure, number]> = [
  [
    {
      kind: "status",
      status: 503,
      code: "unavailable",
      message: "service temporarily unavailable",
      retryAfterS: 2,
    },
    30,
  ],
  [{ kind: "status", status: 500, code: "internal", message: "internal error" }, 25],
  [{ kind: "timeout" }, 12],
  [
    {
      kind: "status",
      status: 429,
      code: "rate_limited",
      message: "too many requests",
      retryAfterS: 1,
    },
    18,
  ],
  [{ kind: "status", status: 422, code: "validation_error", message: "invalid field" }, 15],
];

/** A connector's failed call, as the connector framework names it (`ConnectorError`). */
class ConnectorCallError extends EngineError {
  constructor(message: string, severity: "high" | "medium" | "low", status: number) {
    super(message, true, { severity, category: "integration" }, { detail: { status } });
    this.name = "ConnectorError";
  }
}

/** The connector framework's error for an HTTP status (`errorForStatus`'s classes). */
function statusError(call: string, f: Extract<Failure, { kind: "status" }>): Error {
  const message = `${call} failed with HTTP ${f.status}: ${f.code}: ${f.message}`;
  const detail = { status: f.status };
  if (f.retryAfterS !== undefined)
    return new RetryAfterError(f.retryAfterS * 1000, message, { detail });
  if (f.status >= 400 && f.status < 500)
    return new NonRetryableError(message, {
      classification: { category: "validation", severity: "medium" },
      detail,
    });
  return new ConnectorCallError(message, f.status >= 500 ? "high" : "medium", f.status);
}

const FIRST = [
  "Ada",
  "Grace",
  "Alan",
  "Hedy",
  "Katherine",
  "Linus",
  "Mateo",
  "Noor",
  "Ines",
  "Yuki",
];
const LAST = ["Lovelace", "Hopper", "Turing", "Lamarr", "Johnson", "Berg", "Clarke", "Haddad"];
const CURRENCIES = ["EUR", "EUR", "EUR", "USD", "GBP"];
const LABELS = ["billing", "technical", "sales"] as const;

/**
 * What one call of one attempt meets, drawn from its own stream (keyed by run, step and
 * attempt): the same call gets the same draw whichever path executes its run.
 */
export interface CallDraw {
  /** Connectors: a remote failure; agents: 0 timeout, 1 rate limit, 2 overload, 3 bad answer. */
  failure: Failure | number | null;
  outage: boolean;
  latencyMs: number;
  tokensIn: number;
  tokensOut: number;
  /** The rest of the call's stream (its output's values). */
  rand: HistoryRandom;
}

/** The simulated connectors and models, on the virtual clock. */
export class HistoryWorld {
  readonly usage: UsageRecord[] = [];

  constructor(
    private readonly seed: number,
    private readonly clock: Clock,
    /** Day 0 of the plan: the UTC midnight beginning the history's first day. */
    private readonly startMs: number,
  ) {}

  /** The draw of attempt `attempt` of step `stepId` of run `runId`, starting at `at`. */
  draw(runId: string, stepId: string, attempt: number, blockId: string, at: number): CallDraw {
    const rand = new HistoryRandom(streamSeed(`${this.seed}:${runId}:${stepId}:${attempt}`));
    const b = this.behaviourAt(blockId, at);
    const agent = blockId.startsWith("agent.");
    const failure = rand.chance(b.errorRate)
      ? agent
        ? rand.int(0, 3)
        : rand.weighted(CONNECTOR_FAILURES)
      : null;
    const latencyMs = Math.max(agent ? 50 : 5, Math.round(rand.logNormal(b.medianMs, b.sigma)));
    let tokensIn = 0;
    let tokensOut = 0;
    if (agent) {
      const tokens = AGENT_TOKENS[blockId]!;
      const cost = plantedOn(blockId).find((p) => p.kind === "cost");
      const grown = cost !== undefined && this.day(at) >= cost.fromDay;
      tokensIn = Math.round(rand.logNormal(tokens.in, 0.25) * (grown ? cost!.factor : 1));
      tokensOut = Math.round(rand.logNormal(tokens.out, 0.25) * (grown ? cost!.factor : 1));
    }
    return { failure, outage: b.outage, latencyMs, tokensIn, tokensOut, rand };
  }

  /** Whether a call's draw is a plain success (no failure, no outage). */
  static clean(d: CallDraw): boolean {
    return d.failure === null && !d.outage;
  }

  /** The engine's built-in runtimes plus a simulated one per connector operation and model. */
  runtimes(): MapRuntimeRegistry {
    const registry = builtinRuntimes();
    for (const blockId of Object.keys(BEHAVIOUR)) registry.register(blockId, this.runtime(blockId));
    return registry;
  }

  private day(at: number): number {
    return (at - this.startMs) / DAY_MS;
  }

  /** The behaviour of a block at a time: its plan, changed by the effects planted on it. */
  behaviourAt(blockId: string, at: number): Behaviour & { outage: boolean } {
    const b = BEHAVIOUR[blockId]!;
    const d = this.day(at);
    let { medianMs, errorRate } = b;
    let outage = false;
    for (const p of plantedOn(blockId)) {
      if (d < p.fromDay || d >= p.toDay) continue;
      if (p.kind === "error-rate") errorRate *= p.factor;
      else if (p.kind === "latency") medianMs *= p.factor;
      else if (p.kind === "degrading-connector") {
        const f = (d - p.fromDay) / (p.toDay - p.fromDay);
        medianMs *= 1 + (p.factor - 1) * f;
        errorRate += (DEGRADED_ERROR_RATE - errorRate) * f;
        outage = d >= OUTAGE.fromDay && d < OUTAGE.toDay;
      }
    }
    return { ...b, medianMs, errorRate, outage };
  }

  private runtime(blockId: string): BlockRuntime {
    const agent = blockId.startsWith("agent.");
    return {
      execute: (req: RuntimeRequest) => (agent ? this.model(req) : this.connector(req)),
    };
  }

  private async connector(req: RuntimeRequest): Promise<unknown> {
    const at = this.clock.now();
    const d = this.draw(req.run.id, req.step.id, req.attempt, req.block.id, at);
    const call = fillPath(BEHAVIOUR[req.block.id]!.call, req.inputs);
    if (d.outage) {
      await this.clock.sleep(Math.round(d.rand.logNormal(40, 0.3)), req.signal);
      throw statusError(call, {
        kind: "status",
        status: 503,
        code: "unavailable",
        message: "upstream outage",
      });
    }
    const failure = d.failure as Failure | null;
    if (failure?.kind === "timeout") {
      // Longer than any timeout: the engine's own per-attempt timeout ends the attempt.
      await this.clock.sleep(10 * 60_000, req.signal);
      throw new Error("unreachable: the attempt timed out");
    }
    await this.clock.sleep(failure ? Math.round(d.latencyMs / 3) : d.latencyMs, req.signal);
    if (failure) throw statusError(call, failure);
    return this.connectorOutput(req.block.id, req.inputs, d.rand, this.clock.now());
  }

  private async model(req: RuntimeRequest): Promise<unknown> {
    const at = this.clock.now();
    const d = this.draw(req.run.id, req.step.id, req.attempt, req.block.id, at);
    const model = BEHAVIOUR[req.block.id]!.call;
    const who = `model ${model} (${HISTORY_MODELS[model]!.provider} ${model})`;
    const failure = d.failure as number | null;
    if (failure === 0) {
      await this.clock.sleep(10 * 60_000, req.signal);
      throw new Error("unreachable: the attempt timed out");
    }
    await this.clock.sleep(
      failure === null ? d.latencyMs : Math.round(d.latencyMs / 2),
      req.signal,
    );
    if (failure === 1)
      throw new RetryAfterError(1000, `${who} answered 429: Rate limit reached`, {
        detail: { model, provider: "openai-compatible", status: 429 },
      });
    if (failure === 2)
      throw new EngineError(
        `${who} answered 503: The server is overloaded`,
        true,
        { severity: "medium", category: "integration" },
        { detail: { model, provider: "openai-compatible", status: 503 } },
      );
    this.usage.push(
      this.usageOf(req.run, req.step.id, req.attempt, req.block.id, d, this.clock.now()),
    );
    if (failure === 3) {
      const e = new EngineError(
        `${model} returned an invalid answer for ${req.block.id} even after a repair request: /confidence must be number`,
        true,
        { severity: "medium", category: "validation" },
        { detail: { fields: ["confidence"], errors: ["/confidence must be number"] } },
      );
      e.name = "AgentOutputError";
      throw e;
    }
    return this.modelOutput(req.block.id, req.inputs, d.rand);
  }

  /** The tokens and cost an agent attempt's model answer used, as the router records them. */
  usageOf(
    run: { id: string; flow: string },
    stepId: string,
    attempt: number,
    blockId: string,
    d: CallDraw,
    at: number,
  ): UsageRecord {
    const model = BEHAVIOUR[blockId]!.call;
    const price = HISTORY_MODELS[model]!;
    return {
      id: seededUuid(this.seed, `usage:${run.id}:${stepId}:${attempt}`),
      runId: run.id,
      stepId,
      attempt,
      flowName: run.flow,
      model,
      tokensIn: d.tokensIn,
      tokensOut: d.tokensOut,
      costUsd: Number(
        (d.tokensIn * price.inPerToken + d.tokensOut * price.outPerToken).toFixed(10),
      ),
      at,
    };
  }

  private contact(id: string, at: number, email?: string) {
    const n = Number(id.replace(/\D/g, "")) || 0;
    const first = FIRST[n % FIRST.length]!;
    const last = LAST[n % LAST.length]!;
    return {
      id,
      email: email ?? `${first}.${last}@example.com`.toLowerCase(),
      firstName: first,
      lastName: last,
      companyId: `COM-${100 + (n % 90)}`,
      lifecycle: (["lead", "prospect", "customer"] as const)[n % 3],
      updatedAt: new Date(at - (n % 200) * DAY_MS).toISOString(),
    };
  }

  /** A connector's answer, valid against its block's output contract. */
  connectorOutput(
    blockId: string,
    inputs: Record<string, unknown>,
    rand: HistoryRandom,
    at: number,
  ): unknown {
    const now = new Date(at).toISOString();
    const hex = () => Math.floor(rand.next() * 0xffffff).toString(16);
    switch (blockId) {
      case "billing.account.get": {
        const id = String(inputs.accountId);
        const n = Number(id.replace(/\D/g, ""));
        return {
          accountId: id,
          customerId: `CUS-${n % 997}`,
          name: `${LAST[n % LAST.length]} ${["GmbH", "Ltd", "B.V.", "SAS"][n % 4]}`,
          email: `billing@customer-${n}.example.com`,
          currency: CURRENCIES[n % CURRENCIES.length],
          creditLimit: 5000 * (1 + (n % 12)),
          balance: (n * 37) % 9000,
          status: "active",
          createdAt: new Date(this.startMs - (n % 400) * DAY_MS).toISOString(),
        };
      }
      case "billing.charge.create":
        return {
          chargeId: `CH-${hex()}`,
          status: rand.chance(0.95) ? "succeeded" : "pending",
          amount: inputs.amount,
          currency: inputs.currency,
        };
      case "crm.contact.search": {
        const total = rand.chance(0.12) ? 0 : rand.int(1, 3);
        const base = rand.int(1000, 1999);
        const contacts = Array.from({ length: total }, (_, i) =>
          this.contact(`CON-${base + i}`, at, i === 0 ? String(inputs.email) : undefined),
        );
        return { contacts, total };
      }
      case "crm.contact.update":
        return { id: inputs.id, updatedAt: now };
      case "crm.deal.create":
        return { id: `DEAL-${rand.int(2000, 9999)}`, stage: inputs.stage ?? "qualification" };
      case "crm.deal.get": {
        const id = String(inputs.id);
        const n = Number(id.replace(/\D/g, ""));
        return {
          id,
          name: `${LAST[n % LAST.length]} renewal`,
          stage: (["proposal", "negotiation", "closed_won"] as const)[n % 3],
          amount: 1000 * (1 + (n % 60)),
          currency: CURRENCIES[n % CURRENCIES.length],
          updatedAt: now,
        };
      }
      case "crm.contact.get":
        return this.contact(String(inputs.id), at);
      case "clm.signature.get": {
        const status = rand.weighted([
          ["sent", 4],
          ["delivered", 3],
          ["completed", 2],
        ] as const);
        return {
          envelopeId: inputs.envelopeId,
          status,
          signers: [
            {
              email: this.contact(`CON-${rand.int(1000, 1999)}`, at).email,
              status: status === "completed" ? "signed" : "pending",
            },
          ],
        };
      }
      default:
        throw new NonRetryableError(`the demo history simulates no ${blockId}`);
    }
  }

  /** A model's answer, valid against its block's output contract. */
  modelOutput(blockId: string, inputs: Record<string, unknown>, rand: HistoryRandom): unknown {
    const text = String(inputs.text ?? "");
    if (blockId === "agent.classify") {
      const label = /charge|invoice|refund|pay/i.test(text)
        ? "billing"
        : /price|demo|seat|plan/i.test(text)
          ? "sales"
          : rand.pick(LABELS);
      return {
        label,
        labels: [label],
        confidence: Number((0.7 + 0.29 * rand.next()).toFixed(2)),
        rationale: `The ticket reads as a ${label} question.`,
      };
    }
    const sentences = text.split(/(?<=[.!?])\s+/).filter(Boolean);
    return { summary: sentences[0] ?? text, keyPoints: sentences.slice(0, 3) };
  }
}

const plantedByBlock = new Map<string, PlantedEffect[]>();
/** The effects planted on a block id (any major). */
function plantedOn(blockId: string): PlantedEffect[] {
  let list = plantedByBlock.get(blockId);
  if (!list)
    plantedByBlock.set(blockId, (list = PLANTED.filter((p) => p.block.startsWith(`${blockId}@`))));
  return list;
}

/** `crm GET /contacts/{id}` with the inputs' values in the path. */
function fillPath(call: string, inputs: Record<string, unknown>): string {
  return call.replace(/\{(\w+)\}/g, (_, k: string) => String(inputs[k] ?? k));
}
