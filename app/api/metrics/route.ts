import { env } from "@/server/env";
import { answerMetrics } from "@/server/metrics-endpoint";

export const dynamic = "force-dynamic";

/**
 * Prometheus metrics of this process and its embedded worker (one registry): runs and steps by
 * status, durations, retries, DLQ, breakers per workspace, queue and workers. Needs
 * `Authorization: Bearer <METRICS_TOKEN>`; without METRICS_TOKEN the endpoint is off (404).
 */
export async function GET(request: Request) {
  const a = await answerMetrics(request.headers.get("authorization"), env().METRICS_TOKEN);
  return new Response(a.body, { status: a.status, headers: a.headers });
}
