/**
 * The metrics scrape, for both front ends: `/api/metrics` in the web process (its own and its
 * embedded worker's metrics: one process-wide registry, see server/adapters/metrics/prom-metrics.ts) and the
 * plain `node:http` server of an `npm run worker` process on `WORKER_METRICS_PORT`.
 *
 * Access: `Authorization: Bearer <METRICS_TOKEN>`, compared in constant time. Without a
 * configured token the endpoint is off (404): metrics name workspaces and show their activity,
 * so they are never public. No "server-only" import: `npm run worker` loads this outside Next.js.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { engineRegistry } from "@/server/adapters/metrics/prom-metrics";

/** A scrape's answer, as either front end writes it. */
export interface MetricsAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const digest = (s: string) => createHash("sha256").update(s, "utf8").digest();

/** Whether `authorization` is `Bearer <token>`; constant time whatever the lengths. */
export function bearerMatches(authorization: string | null | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(authorization?.trim() ?? "");
  // Comparing fixed-length digests: neither the length nor a prefix of the token leaks.
  return timingSafeEqual(digest(m?.[1]?.trim() ?? ""), digest(token)) && Boolean(m);
}

const jsonError = (status: number, message: string, extra: Record<string, string> = {}) => ({
  status,
  headers: { "content-type": "application/json", "cache-control": "no-store", ...extra },
  body: JSON.stringify({ error: message }),
});

/** Answers one scrape: 404 when metrics are off, 401 without the right token, else the text. */
export async function answerMetrics(
  authorization: string | null | undefined,
  token: string | undefined,
): Promise<MetricsAnswer> {
  if (!token) return jsonError(404, "Metrics are off: set METRICS_TOKEN to serve them.");
  if (!bearerMatches(authorization, token)) {
    return jsonError(401, "Send Authorization: Bearer <METRICS_TOKEN> to read metrics.", {
      "www-authenticate": 'Bearer realm="metrics"',
    });
  }
  return {
    status: 200,
    headers: { "content-type": engineRegistry.contentType, "cache-control": "no-store" },
    body: await engineRegistry.metrics(),
  };
}

/** A running worker metrics server. */
export interface WorkerMetricsServer {
  /** The port it listens on (the real one when started on port 0). */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves `GET /metrics` (and `/`) of this process on `port` over plain `node:http`, with the
 * same token rule as `/api/metrics`. For `npm run worker`, whose runs never reach the web
 * process's registry. Port 0 picks a free port (tests).
 */
export async function startWorkerMetricsServer(opts: {
  port: number;
  token: string | undefined;
  host?: string;
}): Promise<WorkerMetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const done = (a: MetricsAnswer) => {
      res.writeHead(a.status, a.headers);
      res.end(a.body);
    };
    if (req.method !== "GET" || (path !== "/metrics" && path !== "/")) {
      done(jsonError(404, "Not found: scrape GET /metrics."));
      return;
    }
    answerMetrics(req.headers.authorization, opts.token).then(done, () =>
      done(jsonError(500, "Metrics could not be collected.")),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(opts.port, opts.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
