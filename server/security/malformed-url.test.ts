import { afterAll, beforeAll, describe, expect, it } from "vitest";
import http from "node:http";
import type { AddressInfo } from "node:net";
import {
  malformedRequestTarget,
  readCountedBody,
  refuseMalformedRequest,
  sendJson,
} from "@/scripts/http-guards.mjs";

const MALFORMED = [
  "/studio/%E0%A4%A",
  "/studio/%E0%A4%A/",
  "/api/hooks/%ZZ/x",
  "/api/hooks/acme/%",
  "/api/runs/%/events",
  "/api/runs/%C0%AF/events", // an overlong UTF-8 form of "/"
  "/%",
  "/studio?q=%",
  "/studio?q=%E0%A4%A",
  "/api/trpc/run.list?batch=1&input=%7B%ZZ",
  "/studio?%G1=x",
];
const WELL_FORMED = [
  "/",
  "/studio/3f2b8c1e-0d4a-4f7e-9a51-2b7c9d0e1f23",
  "/api/hooks/acme/order-hook?wait=1&timeout=5000",
  "/api/hooks/acme%20corp/order%2Dhook",
  "/studio/%E0%A4%A4",
  `/api/trpc/run.list?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: { limit: 10 } } }))}`,
  "/search?q=100%25&x=a+b&flag",
];

// A server composed as scripts/serve.mjs is: the guard first, then the application (here a
// handler that decodes the path as Next.js would, and a webhook-like body reader).
let server: http.Server;
let base: string;
const LIMIT = 1024;
beforeAll(async () => {
  server = http.createServer((req, res) => {
    if (refuseMalformedRequest(req, res)) return;
    if (req.method === "POST") {
      void readCountedBody(req, LIMIT).then((body) =>
        body
          ? sendJson(res, 200, { bytes: body.length })
          : sendJson(res, 413, { error: `Request body too large (limit ${LIMIT} bytes).` }),
      );
      return;
    }
    const path = decodeURIComponent(req.url!.split("?")[0]!);
    sendJson(res, 200, { path });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
});

/** A raw request: the target exactly as written (fetch would re-encode it). */
function raw(target: string, opts: { method?: string; chunks?: Buffer[] } = {}) {
  return new Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }>(
    (resolve, reject) => {
      const req = http.request(
        `${base}/`,
        { method: opts.method ?? "GET", path: target },
        (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (body += c));
          res.on("end", () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on("error", reject);
      for (const c of opts.chunks ?? []) req.write(c);
      req.end();
    },
  );
}

describe("500 on malformed URLs", () => {
  it("the guard names malformed percent-encoding in the path and in the query", () => {
    for (const target of MALFORMED)
      expect(malformedRequestTarget(target), target).toMatch(/Malformed percent-encoding/);
    for (const target of WELL_FORMED) expect(malformedRequestTarget(target), target).toBeNull();
  });

  it("the server answers 400 with a JSON reason for each malformed target, before the app decodes it", async () => {
    for (const target of MALFORMED) {
      const res = await raw(target);
      expect(res.status, target).toBe(400);
      expect(JSON.parse(res.body), target).toEqual({
        error: expect.stringMatching(/Malformed percent-encoding in the URL (path|query)/),
      });
      expect(res.headers["content-type"]).toBe("application/json");
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
      expect(res.headers["cache-control"]).toBe("no-store");
    }
    // A POST with a body is refused the same way.
    const post = await raw("/api/hooks/%ZZ/x", { method: "POST", chunks: [Buffer.from("{}")] });
    expect(post.status).toBe(400);
  });

  it("well-formed targets pass through, and the server keeps answering", async () => {
    for (const target of WELL_FORMED) {
      const res = await raw(target);
      expect(res.status, target).toBe(200);
    }
    await expect(raw("/api/hooks/acme%20corp/x")).resolves.toMatchObject({
      status: 200,
      body: JSON.stringify({ path: "/api/hooks/acme corp/x" }),
    });
  });

  it("the server's body reader counts chunked uploads: 413 past the limit, whole within it", async () => {
    const big = await raw("/api/hooks/acme/x", {
      method: "POST",
      chunks: Array.from({ length: 8 }, () => Buffer.alloc(512, 0x20)),
    });
    expect(big.status).toBe(413);
    expect(JSON.parse(big.body)).toEqual({
      error: `Request body too large (limit ${LIMIT} bytes).`,
    });
    expect(big.headers["x-content-type-options"]).toBe("nosniff");
    const small = await raw("/api/hooks/acme/x", {
      method: "POST",
      chunks: [Buffer.from("{"), Buffer.from("}")],
    });
    expect(small).toMatchObject({ status: 200, body: JSON.stringify({ bytes: 2 }) });
  });
});
