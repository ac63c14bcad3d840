import { engineRegistry } from "@/server/engine/metrics";

export const dynamic = "force-dynamic";

/** Prometheus metrics (prom-client): runs and steps by status, durations, retries, DLQ, breakers. */
export async function GET() {
  return new Response(await engineRegistry.metrics(), {
    headers: { "content-type": engineRegistry.contentType },
  });
}
