import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { parseEnv } from "@/server/env";
import { startWorkerMetricsServer } from "@/server/metrics-endpoint";

const TOKEN = "metrics-token-for-tests-0123456789";
const saved = process.env.METRICS_TOKEN;

/** The route handler as Next.js loads it: a fresh module graph, env read again. */
async function freshRoute(token: string | undefined) {
  if (token === undefined) delete process.env.METRICS_TOKEN;
  else process.env.METRICS_TOKEN = token;
  vi.resetModules();
  return (await import("@/app/api/metrics/route")).GET;
}

const scrape = (authorization?: string) =>
  new Request("http://localhost/api/metrics", {
    headers: authorization ? { authorization } : {},
  });

afterEach(() => vi.resetModules());
afterAll(() => {
  if (saved === undefined) delete process.env.METRICS_TOKEN;
  else process.env.METRICS_TOKEN = saved;
});

describe("public and empty metrics", () => {
  it("validates METRICS_TOKEN and WORKER_METRICS_PORT at boot, naming the variable", () => {
    expect(() => parseEnv({ METRICS_TOKEN: "short" })).toThrow(
      /METRICS_TOKEN: must be at least 16 characters/,
    );
    expect(() => parseEnv({ WORKER_METRICS_PORT: "70000" })).toThrow(/WORKER_METRICS_PORT/);
    expect(parseEnv({ WORKER_METRICS_PORT: "9464" }).WORKER_METRICS_PORT).toBe(9464);
    expect(parseEnv({}).METRICS_TOKEN).toBeUndefined();
  });

  it("is off (404) while METRICS_TOKEN is unset, even with a bearer token", async () => {
    const GET = await freshRoute(undefined);
    const res = await GET(scrape(`Bearer ${TOKEN}`));
    expect(res.status).toBe(404);
    const body = (await res.json()) as { error: string };
    expect(body.error).toMatch(/METRICS_TOKEN/);
    expect(await (await GET(scrape())).text()).not.toContain("trustflow_");
  });

  it("refuses a missing, wrong or prefix token with 401 and no metrics", async () => {
    const GET = await freshRoute(TOKEN);
    for (const authz of [
      undefined,
      "Bearer wrong-token-wrong-token-wrong",
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Basic ${TOKEN}`,
      TOKEN,
    ]) {
      const res = await GET(scrape(authz));
      expect(res.status, String(authz)).toBe(401);
      expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
      const text = await res.text();
      expect(text).toMatch(/Authorization: Bearer <METRICS_TOKEN>/);
      expect(text).not.toContain("trustflow_runs_total");
    }
  });

  it("serves what the engine recorded in another copy of the metrics module (one registry)", async () => {
    const GET = await freshRoute(TOKEN);
    // The embedded worker is started from instrumentation.ts, a separate bundle: its copy of
    // the engine's metrics module is a different module instance from the route's.
    vi.resetModules();
    const workerCopy = await import("@/server/adapters/metrics/prom-metrics");
    const before = await scrapeCount(GET);
    for (let i = 0; i < 3; i++) workerCopy.promMetrics.runStatus("succeeded");
    workerCopy.promMetrics.stepFinished("crm.contact.get", "succeeded", 12);
    const res = await GET(scrape(`Bearer ${TOKEN}`));
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(countOf(text)).toBe(before + 3);
    expect(text).toMatch(
      /trustflow_steps_total\{block="crm\.contact\.get",status="succeeded"\} \d+/,
    );
  });
});

async function scrapeCount(GET: (r: Request) => Promise<Response>): Promise<number> {
  return countOf(await (await GET(scrape(`bearer ${TOKEN}`))).text());
}

function countOf(text: string): number {
  const m = /^trustflow_runs_total\{status="succeeded"\} (\d+)$/m.exec(text);
  return m ? Number(m[1]) : 0;
}

describe("worker metrics port", () => {
  it("serves the worker's own registry on GET /metrics, only with the bearer token", async () => {
    const { promMetrics } = await import("@/server/adapters/metrics/prom-metrics");
    promMetrics.runStatus("failed");
    const server = await startWorkerMetricsServer({ port: 0, token: TOKEN, host: "127.0.0.1" });
    try {
      const url = `http://127.0.0.1:${server.port}/metrics`;
      const anonymous = await fetch(url);
      expect(anonymous.status).toBe(401);
      expect(await anonymous.text()).not.toContain("trustflow_");
      const wrong = await fetch(url, { headers: { authorization: "Bearer nope" } });
      expect(wrong.status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: `Bearer ${TOKEN}` } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/^trustflow_runs_total\{status="failed"\} [1-9]\d*$/m);
      const other = await fetch(`http://127.0.0.1:${server.port}/other`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(other.status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("answers 404 when no token is configured", async () => {
    const server = await startWorkerMetricsServer({ port: 0, token: undefined, host: "127.0.0.1" });
    try {
      const res = await fetch(`http://127.0.0.1:${server.port}/metrics`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      expect(res.status).toBe(404);
    } finally {
      await server.close();
    }
  });
});

describe("metric labels", () => {
  const ws = "3f1c2a9e-0000-4000-8000-0000000000aa";

  it("a worker's heartbeat carries breaker states by workspace id and endpoint kind, no hosts", async () => {
    const { trackingMetrics } = await import("@/server/adapters/queue/worker-stats");
    const { noopMetrics } = await import("@/server/engine/ports");
    const { sink, stats } = trackingMetrics(noopMetrics);
    sink.breakerState(`${ws}:http:billing.tenant-secret-host.example:8443`, "open");
    sink.breakerState(`${ws}:http:other.tenant-host.example`, "half-open");
    sink.breakerState(`${ws}:crm:crm.contact.get`, "open");
    expect(stats.breakers).toEqual({
      [`${ws}:http`]: "open",
      [`${ws}:crm:crm.contact.get`]: "open",
    });
    sink.breakerState(`${ws}:http:billing.tenant-secret-host.example:8443`, "closed");
    expect(stats.breakers[`${ws}:http`]).toBe("half-open");
    expect(JSON.stringify(stats)).not.toMatch(/tenant-(secret-)?host/);
  });

  it("cluster gauges register once per process and label worker breakers with ids", async () => {
    const beats = [
      {
        workerId: "worker-1",
        kind: "pgboss",
        stats: JSON.stringify({ breakers: { [`${ws}:http`]: "open" }, queueLagMaxMs: 20 }),
      },
    ];
    const sql = {
      query: async (text: string) =>
        (text.includes('FROM "Run"') ? [{ n: 2, oldest: 1.5 }] : beats) as never[],
    };
    const first = await import("@/server/adapters/queue/worker-stats");
    first.registerClusterMetrics(async () => sql);
    // A second copy of the module (another Next.js bundle) must not register the gauges again.
    vi.resetModules();
    const second = await import("@/server/adapters/queue/worker-stats");
    expect(() => second.registerClusterMetrics(async () => sql)).not.toThrow();
    const { engineRegistry } = await import("@/server/adapters/metrics/prom-metrics");
    const text = await engineRegistry.metrics();
    expect(text).toContain(
      `trustflow_worker_breaker_state{worker="worker-1",workspace="${ws}",endpoint="http"} 2`,
    );
    expect(text).toContain("trustflow_queue_due_runs 2");
  });
});
