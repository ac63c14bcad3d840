/**
 * The ONE globalThis key of a Trustflow process: everything the process shares across Next.js's
 * bundles hangs off it. Next.js bundles `instrumentation.ts` (which builds the services and
 * starts the embedded worker) and each route separately, so every server module can be
 * evaluated several times per process; state kept at module level would then exist once per
 * bundle (a route's run start would never wake the worker, the metrics route would report zero
 * runs, a rotated webhook secret would go on verifying in the bundle that receives deliveries).
 *
 * What lives here: the composition root's services and run execution (`server/composition.ts`),
 * the metrics registry (`server/adapters/metrics/prom-metrics.ts`: the worker process has no
 * composition of Next's, and a scrape must see what the engine's bundle recorded), the built-in
 * mock services (the mock route and the engine's in-process egress must serve the same data) and
 * the sign-in/sign-up limiters (`server/auth/limits.ts`: next-auth's route and the tRPC route
 * must count the same attempts), and the settings the boot applies to pure domain modules: scrypt's
 * N for new password hashes (`server/domain/auth/password.ts`: sign-up runs in the tRPC route's
 * bundle) and the trust model's half-life (`server/domain/trust/score.ts`: the consumer stores
 * counts with it, the pages read them with it), and the finished runs' attempts the consumers
 * share (`server/domain/finished-runs.ts`: read once per run for trust, rollups and anomalies).
 * Nothing else in the server keeps process state on globalThis.
 * No "server-only": `npm run worker` and the tests load it too.
 */
const KEY = Symbol.for("trustflow.process");

/** The entry `name` of this process's state, created by `create` at first use. */
export function processSingleton<T>(name: string, create: () => T): T {
  const g = globalThis as unknown as Record<symbol, Map<string, unknown> | undefined>;
  const state = (g[KEY] ??= new Map<string, unknown>());
  if (!state.has(name)) state.set(name, create());
  return state.get(name) as T;
}
