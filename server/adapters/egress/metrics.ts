/**
 * The egress guard's calls as Prometheus metrics on the process's one registry (served by
 * `/api/metrics`): `trustflow_egress_calls_total{purpose,outcome}` and
 * `trustflow_egress_call_seconds{purpose}`. Labels carry no host or URL (a tenant typed them):
 * the purpose (`flow`, `model`) and the outcome (`ok`, a refusal code, `aborted`, `failed`).
 */
import { Counter, Histogram } from "prom-client";
import { engineRegistry } from "@/server/adapters/metrics/prom-metrics";
import type { EgressCallRecord } from "./guard";

const CALLS = "trustflow_egress_calls_total";
const SECONDS = "trustflow_egress_call_seconds";

function metrics() {
  // Once per process: every copy of this module (Next.js bundles it more than once) shares them.
  const calls =
    (engineRegistry.getSingleMetric(CALLS) as Counter<"purpose" | "outcome"> | undefined) ??
    new Counter({
      name: CALLS,
      help: "Outbound calls through the egress guard, by purpose and outcome",
      labelNames: ["purpose", "outcome"],
      registers: [engineRegistry],
    });
  const seconds =
    (engineRegistry.getSingleMetric(SECONDS) as Histogram<"purpose"> | undefined) ??
    new Histogram({
      name: SECONDS,
      help: "Duration of outbound calls through the egress guard (answered or not)",
      labelNames: ["purpose"],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
      registers: [engineRegistry],
    });
  return { calls, seconds };
}

/** The guard's `onCall` writing both metrics. */
export function recordEgressCall(record: EgressCallRecord): void {
  const m = metrics();
  m.calls.inc({ purpose: record.purpose, outcome: record.outcome });
  m.seconds.observe({ purpose: record.purpose }, record.durationMs / 1000);
}

/** Calls counted so far with this purpose and outcome (tests, diagnostics). */
export async function egressCallCount(purpose: string, outcome: string): Promise<number> {
  const values = (await metrics().calls.get()).values;
  return values
    .filter((v) => v.labels.purpose === purpose && v.labels.outcome === outcome)
    .reduce((n, v) => n + v.value, 0);
}
