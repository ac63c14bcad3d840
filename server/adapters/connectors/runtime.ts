/**
 * The connector runtime: executes any connector block (built-in CRM, billing, CLM, or an
 * operation imported from OpenAPI) for the engine's BlockRuntime port.
 *
 * Per call: block id -> system (the id's first segment) -> the workspace's connector endpoint
 * (`resolveConnector`) -> the operation for `id@major` -> one HTTP call (`framework/call.ts`).
 * `http.request` is the engine's own block and is not handled here.
 *
 * Breakers: by default the runtime keeps one {@link BreakerBoard} (the engine's breaker
 * implementation) keyed by `<workspaceId>:<system> <base-url>`, with the thresholds of the
 * block's SLA tier;
 * pass `breakers: null` when the engine wraps the runtime in its own breakers.
 */
import { resolveResilience } from "@/dsl";
import { BreakerBoard, type BreakerOptions } from "@/server/engine/breaker";
import { NonRetryableError } from "@/server/engine/errors";
import type { BlockRuntime, RuntimeRegistry, RuntimeRequest } from "@/server/engine/ports";
import { billingConnector } from "./billing";
import { compensationInputs, isCompensationRequest } from "./compensation-inputs";
import { clmConnector } from "./clm";
import { crmConnector } from "./crm";
import { toBlockExecution, type BlockExecution } from "./execution";
import { TokenCache } from "./framework/auth";
import { callOperation, type CallContext } from "./framework/call";
import { primitiveRegistry, type Connector } from "./framework/connector";
import type { ConnectorEndpoint, Operation } from "./framework/types";

export type { BlockExecution } from "./execution";

/** A workspace's connector for one system, secrets decrypted, ready to call. */
export interface ResolvedConnector extends ConnectorEndpoint {
  /** Operations of an imported (OpenAPI) connector, by `id@major`. */
  operations?: ReadonlyMap<string, Operation>;
}

export type ResolveConnector = (
  workspaceId: string,
  system: string,
) => Promise<ResolvedConnector | null>;

export interface ConnectorRuntimeOptions {
  /** Finds the workspace's connector for a system; null when none is configured. */
  resolveConnector: ResolveConnector;
  fetch?: typeof fetch;
  /**
   * The fetch of a workspace: the server passes its egress guard bound to the run's workspace
   * (`server/adapters/egress`); wins over `fetch`. Connector calls and OAuth2 token requests
   * both go through it.
   */
  fetchFor?: (workspaceId: string) => typeof fetch;
  /** Default: a board of its own; null: no breakers here (the engine owns them). */
  breakers?: BreakerBoard | null;
  /** Override of the breaker thresholds (default: the block's SLA tier). */
  breakerOptions?: BreakerOptions;
  now?: () => number;
}

/** The built-in connectors by system. */
export const BUILTIN_CONNECTORS: ReadonlyMap<string, Connector> = new Map(
  [crmConnector, billingConnector, clmConnector].map((c) => [c.system, c]),
);

export interface ConnectorRuntime {
  /** Whether this runtime executes `blockId` (any connector block but `http.request`). */
  supports(blockId: string): boolean;
  /** Runs one attempt; returns the block output or throws a classified engine error. */
  execute(exec: BlockExecution): Promise<Record<string, unknown>>;
  readonly breakers: BreakerBoard | null;
}

const unguarded: typeof fetch = () =>
  Promise.reject(
    new NonRetryableError("this connector runtime has no egress guard: outbound calls are off", {
      classification: { category: "system", severity: "high" },
    }),
  );

export function createConnectorRuntime(opts: ConnectorRuntimeOptions): ConnectorRuntime {
  const breakers = opts.breakers === undefined ? new BreakerBoard() : opts.breakers;
  const ctx: CallContext = {
    // No fallback to the global fetch: the server passes its egress guard, tests a fetch.
    fetch: opts.fetch ?? unguarded,
    tokens: new TokenCache(opts.now),
    breakers,
    breakerOptions: (_endpoint, op) =>
      opts.breakerOptions ?? resolveResilience({}, op.definition).breaker,
    now: opts.now ?? Date.now,
  };
  return {
    breakers,
    supports(blockId) {
      const system = blockId.split(".")[0]!;
      if (BUILTIN_CONNECTORS.has(system)) return true;
      // Any other built-in prefix (http, agent, control, ...) is not ours; the rest are imported.
      return !builtinPrefixes().has(system);
    },
    async execute(exec) {
      const system = exec.block.id.split(".")[0]!;
      if (system === "http") {
        throw new NonRetryableError(
          "http.request is executed by the engine, not the connector runtime",
          {
            classification: { category: "system", severity: "high" },
          },
        );
      }
      const endpoint = await opts.resolveConnector(exec.workspaceId, system);
      if (!endpoint) {
        throw new NonRetryableError(
          `no ${system} connector is configured in this workspace: add one on the Connectors page`,
          { classification: { category: "validation", severity: "high" }, detail: { system } },
        );
      }
      const ref = `${exec.block.id}@${exec.block.major}`;
      const op =
        endpoint.operations?.get(ref) ?? BUILTIN_CONNECTORS.get(system)?.operations.get(ref);
      if (!op) {
        throw new NonRetryableError(`the ${system} connector has no operation for ${ref}`, {
          classification: { category: "validation", severity: "high" },
          detail: { block: ref },
        });
      }
      // Breakers keyed by workspace first: one tenant's dead endpoint never opens another's.
      const scoped = {
        ...ctx,
        breakers: breakers?.forWorkspace(exec.workspaceId) ?? null,
        ...(opts.fetchFor ? { fetch: opts.fetchFor(exec.workspaceId) } : {}),
      };
      // A saga's compensation arrives as `{ original }`: map it to what the block takes.
      const inputs = isCompensationRequest(exec.inputs, op.definition)
        ? compensationInputs(exec.inputs.original, op.definition)
        : exec.inputs;
      return callOperation(scoped, endpoint, op, {
        inputs,
        idempotencyKey: exec.idempotencyKey,
        signal: exec.signal,
      });
    },
  };
}

let prefixes: Set<string> | undefined;
function builtinPrefixes(): Set<string> {
  prefixes ??= new Set(
    primitiveRegistry()
      .list()
      .map((b) => b.id.split(".")[0]!),
  );
  return prefixes;
}

/** The engine's {@link BlockRuntime} over a connector runtime. */
export function connectorBlockRuntime(runtime: ConnectorRuntime): BlockRuntime {
  return {
    execute: (req: RuntimeRequest) => runtime.execute(toBlockExecution(req)),
  };
}

/**
 * Adds the connector runtime to the engine's runtime registry: built-in connector blocks and
 * imported (OpenAPI) ones, whose ids are only known at run time. Create the runtime with
 * `breakers: null` here: the engine keeps its own breakers per `<workspaceId>:<system>:<block>`.
 *
 * @example
 * const runtimes = withConnectorRuntimes(builtinRuntimes(), createConnectorRuntime({
 *   resolveConnector: dbConnectorResolver(db, { demoOrigin: appOrigin() }),
 *   breakers: null,
 * }));
 */
export function withConnectorRuntimes(
  base: RuntimeRegistry,
  runtime: ConnectorRuntime,
): RuntimeRegistry {
  const blockRuntime = connectorBlockRuntime(runtime);
  return {
    get: (blockId) => base.get(blockId) ?? (runtime.supports(blockId) ? blockRuntime : undefined),
  };
}
