/**
 * Serves a {@link MockService} from a plain `node:http` server: `/<system>/...` (e.g.
 * `http://127.0.0.1:PORT/crm/contacts/CON-1042`). Tests start it on an ephemeral port.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { MockRequest } from "./http";
import { MockService } from "./mock-service";

export interface RunningMockServer {
  service: MockService;
  /** `http://127.0.0.1:PORT` */
  origin: string;
  /** Base URL of one system: `${origin}/${system}`. */
  baseUrl(system: string): string;
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function startMockServer(service = new MockService()): Promise<RunningMockServer> {
  const server: Server = createServer((req, res) => {
    const controller = new AbortController();
    // The client gave up (its attempt timed out): stop any injected hang.
    res.on("close", () => controller.abort());
    void (async () => {
      const url = new URL(req.url ?? "/", "http://mock");
      const [, system = "", ...rest] = url.pathname.split("/");
      const headers: MockRequest["headers"] = {};
      for (const [k, v] of Object.entries(req.headers))
        headers[k.toLowerCase()] = Array.isArray(v) ? v.join(", ") : v;
      const out = await service.handle(
        system,
        {
          method: req.method ?? "GET",
          path: `/${rest.join("/")}`,
          query: url.searchParams,
          headers,
          body: await readBody(req),
        },
        controller.signal,
      );
      if (res.destroyed) return;
      res.writeHead(out.status, out.headers);
      res.end(out.body);
    })().catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end(JSON.stringify({ error: { code: "internal", message: (err as Error).message } }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;
  return {
    service,
    origin,
    baseUrl: (system) => `${origin}/${system}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
