import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createEgressGuard, type EgressLookup } from "@/server/adapters/egress/guard";
import { prismaAllowList, serverEgressGuard } from "@/server/adapters/egress/server-guard";
import type { Database } from "@/server/adapters/prisma";
import { allowEgressHost } from "@/server/domain/egress/egress-allow-list";
import { compileFlow } from "@/server/domain/workflow/compile-flow";
import { engineFor, runToEnd } from "@/server/testing/engine";
import { adminActor, makeUser } from "@/server/testing/fixtures";
import { openTestDatabase } from "@/server/testing/test-database";
import type { Actor } from "@/server/domain/types";

/**
 * SSRF through `http.request`: a flow (or whoever writes one) makes the server call loopback,
 * private, link-local or metadata addresses. Every outbound call goes through the egress guard:
 * the resolved address is checked, redirects are re-checked, and only a workspace admin's
 * allow-list opens a host.
 */

interface Receiver {
  origin: string;
  port: number;
  hits: string[];
  close(): Promise<void>;
}

/** A loopback HTTP receiver that records every request it gets. */
async function receiver(
  handle: (req: IncomingMessage, res: ServerResponse, r: Receiver) => void = (_q, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true}');
  },
): Promise<Receiver> {
  const r: Receiver = { origin: "", port: 0, hits: [], close: async () => undefined };
  const server = createServer((req, res) => {
    r.hits.push(`${req.method} ${req.headers.host} ${req.url}`);
    handle(req, res, r);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  r.port = (server.address() as AddressInfo).port;
  r.origin = `http://127.0.0.1:${r.port}`;
  r.close = () =>
    new Promise<void>((ok) => {
      server.closeAllConnections();
      server.close(() => ok());
    });
  return r;
}

let db: Database;
let owner: Awaited<ReturnType<typeof makeUser>>;
let admin: Actor;
let target: Receiver;
/** Host names the tests resolve themselves; any other name must never be looked up. */
let lookups: string[] = [];
const DNS: Record<string, string[]> = {
  "rebind.attacker.example": ["127.0.0.1"],
  "metadata.attacker.example": ["169.254.169.254"],
  "mixed.attacker.example": ["93.184.216.34", "10.0.0.7"],
  "receiver.test": ["127.0.0.1"],
};
const lookup: EgressLookup = async (host) => {
  lookups.push(host);
  const addresses = DNS[host];
  if (!addresses)
    throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
  return addresses.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

beforeAll(async () => {
  db = await openTestDatabase();
  owner = await makeUser(db.prisma, "ssrf-owner");
  admin = adminActor(owner);
  target = await receiver();
});
afterAll(async () => {
  await target?.close();
  await db?.close();
});

const guard = () => serverEgressGuard(db.prisma, { lookup });
const call = (url: string, init?: RequestInit) =>
  guard()
    .fetchFor(owner.workspace.id)(url, init)
    .then(
      async (res) => ({ ok: true as const, status: res.status, body: await res.text() }),
      (err: unknown) => ({ ok: false as const, err: err as Error & { code?: string } }),
    );

describe("SSRF through http.request", () => {
  it("refuses every forbidden address class, before any connection or DNS lookup", async () => {
    const port = target.port;
    const cases: [string, RegExp][] = [
      [`https://127.0.0.1:${port}/`, /loopback/],
      [`https://127.1:${port}/`, /loopback/],
      [`https://[::1]:${port}/`, /loopback/],
      ["https://10.1.2.3/", /private/],
      ["https://172.16.0.1/", /private/],
      ["https://172.31.255.254/", /private/],
      ["https://192.168.1.1/", /private/],
      ["https://169.254.169.254/latest/meta-data/", /cloud metadata endpoint/],
      ["https://169.254.10.10/", /linkLocal/],
      ["https://100.64.0.1/", /carrierGradeNat/],
      ["https://[fe80::1]/", /linkLocal/],
      ["https://[fc00::1]/", /uniqueLocal/],
      ["https://[fd00:ec2::254]/", /cloud metadata endpoint/],
      [`https://[::ffff:127.0.0.1]:${port}/`, /loopback/],
      ["https://[64:ff9b::a00:1]/", /private/],
      ["https://[2002:7f00:1::]/", /loopback/],
      ["https://0.0.0.0/", /unspecified/],
      ["https://[::]/", /unspecified/],
      ["https://224.0.0.1/", /multicast/],
      ["https://[ff02::1]/", /multicast/],
      ["https://255.255.255.255/", /broadcast/],
      ["https://240.0.0.1/", /reserved/],
    ];
    lookups = [];
    for (const [url, reason] of cases) {
      const out = await call(url);
      expect(out.ok, url).toBe(false);
      if (out.ok) continue;
      expect(out.err.name, url).toBe("EgressError");
      expect(out.err.code, url).toBe("forbidden_address");
      expect(out.err.message, url).toMatch(reason);
      expect(out.err.message, url).toMatch(/allow-lists the host/);
    }
    expect(lookups).toEqual([]);
    expect(target.hits).toEqual([]);
  });

  it("checks the address a host name resolves to, every answer of it", async () => {
    for (const host of [
      "rebind.attacker.example",
      "metadata.attacker.example",
      "mixed.attacker.example",
    ]) {
      const out = await call(`https://${host}/`);
      expect(out.ok).toBe(false);
      if (out.ok) continue;
      expect(out.err.code).toBe("forbidden_address");
      expect(out.err.message).toContain(`(${host} resolves to it)`);
    }
    expect(target.hits).toEqual([]);
  });

  it("refuses plain http to a host nobody allow-listed, without resolving it", async () => {
    lookups = [];
    const out = await call("http://receiver.test/");
    expect(out.ok).toBe(false);
    if (!out.ok) {
      expect(out.err.code).toBe("scheme_not_allowed");
      expect(out.err.message).toMatch(/plain http to receiver\.test is refused: use https/);
    }
    const ftp = await call("ftp://example.com/x");
    expect(ftp.ok || ftp.err.code).toBe("scheme_not_allowed");
    expect(lookups).toEqual([]);
    expect(target.hits).toEqual([]);
  });

  it("builds no hole from a URL made by an expression at run time, in a real flow run", async () => {
    const flow = compileFlow(`flow: ssrf-probe
version: 1.0.0
sla: T2
inputs:
  host: { type: string }
steps:
  - id: call
    uses: http.request@1
    retry: { max: 0 }
    with:
      method: GET
      url: \${{ "https://" + inputs.host + "/latest/meta-data/iam" }}
outputs:
  status: \${{ steps.call.output.status }}
`);
    expect(flow.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const engine = engineFor(db, { egress: guard() });
    for (const host of [`127.0.0.1:${target.port}`, "169.254.169.254", "rebind.attacker.example"]) {
      const run = await runToEnd(engine, {
        workspaceId: owner.workspace.id,
        ir: flow.ir!,
        inputs: { host },
      });
      expect(run.status, host).toBe("failed");
      const attempts = await db.prisma.stepAttempt.findMany({ where: { runId: run.id } });
      expect(attempts.length, host).toBeGreaterThan(0);
      const error = JSON.stringify(attempts.map((a) => a.error));
      expect(error, host).toContain("EgressError");
      expect(error, host).toMatch(/refused: (a loopback address|a cloud metadata endpoint)/);
      // Refusals are not retried: one attempt.
      expect(attempts, host).toHaveLength(1);
    }
    expect(target.hits).toEqual([]);
  });

  it("re-checks every redirect hop, and caps the number of hops", async () => {
    // The allow-listed receiver redirects to a loopback address nobody allowed.
    await allowEgressHost(db.prisma, admin, {
      host: "127.0.0.1",
      allowHttp: true,
      allowPrivate: true,
    });
    const hops = await receiver((req, res, r) => {
      if (req.url === "/to-metadata")
        res.writeHead(302, { location: "https://169.254.169.254/latest/meta-data/" });
      else if (req.url === "/to-other-loopback")
        res.writeHead(307, { location: `https://127.0.0.2:${r.port}/secret` });
      else if (req.url === "/to-ipv6-loopback")
        res.writeHead(301, { location: `https://[::1]:${r.port}/` });
      else if (req.url === "/loop") res.writeHead(302, { location: "/loop" });
      else if (req.url === "/to-self") res.writeHead(303, { location: "/final" });
      else res.writeHead(200, { "content-type": "text/plain" });
      res.end(req.url === "/final" ? "arrived" : "");
    });
    try {
      for (const [path, re] of [
        ["/to-metadata", /169\.254\.169\.254 refused: a cloud metadata endpoint/],
        ["/to-other-loopback", /127\.0\.0\.2 refused: a loopback address/],
        ["/to-ipv6-loopback", /::1 refused: a loopback address/],
      ] as const) {
        const out = await call(`${hops.origin}${path}`);
        expect(out.ok, path).toBe(false);
        if (!out.ok) expect(out.err.message, path).toMatch(re);
      }
      // Only the first hop of each reached a server.
      expect(hops.hits.map((h) => h.split(" ")[2])).toEqual([
        "/to-metadata",
        "/to-other-loopback",
        "/to-ipv6-loopback",
      ]);
      const loop = await call(`${hops.origin}/loop`);
      expect(loop.ok).toBe(false);
      if (!loop.ok) {
        expect(loop.err.code).toBe("too_many_redirects");
        expect(loop.err.message).toMatch(/more than 5 redirects .*EGRESS_MAX_REDIRECTS/);
      }
      expect(hops.hits.filter((h) => h.endsWith("/loop"))).toHaveLength(6);
      // An allowed redirect is followed (and checked) as usual.
      const ok = await call(`${hops.origin}/to-self`, { method: "POST", body: "x" });
      expect(ok).toMatchObject({ ok: true, status: 200, body: "arrived" });
    } finally {
      await hops.close();
    }
  });

  it("an allow-listed host passes, and the socket connects to the address that was checked", async () => {
    await allowEgressHost(db.prisma, admin, {
      host: "receiver.test",
      allowHttp: true,
      allowPrivate: true,
    });
    // receiver.test exists only in the guard's lookup: the socket never asks the system DNS.
    lookups = [];
    const out = await call(`http://receiver.test:${target.port}/hello`);
    expect(out).toMatchObject({ ok: true, status: 200, body: '{"ok":true}' });
    expect(lookups).toEqual(["receiver.test"]);
    expect(target.hits).toEqual([`GET receiver.test:${target.port} /hello`]);
    // Another workspace's allow-list is not this one's.
    const other = await makeUser(db.prisma, "ssrf-other");
    const refused = await guard()
      .fetchFor(other.workspace.id)(`http://receiver.test:${target.port}/hello`)
      .catch((e: Error) => e);
    expect(refused).toMatchObject({ name: "EgressError", code: "scheme_not_allowed" });
    expect(target.hits).toHaveLength(1);
  });

  it("caps the response size and the time, naming the limit; the server keeps answering", async () => {
    const big = await receiver((req, res) => {
      if (req.url === "/declared") {
        res.writeHead(200, { "content-length": String(64 * 1024) });
        res.end(Buffer.alloc(64 * 1024, 120));
      } else if (req.url === "/chunked") {
        res.writeHead(200, { "content-type": "text/plain" });
        for (let i = 0; i < 64; i++) res.write(Buffer.alloc(1024, 121));
        res.end();
      } else if (req.url === "/gzip-bomb") {
        // 1 MiB of zeros, a few hundred bytes on the wire.
        res.writeHead(200, { "content-encoding": "gzip" });
        res.end(gzipSync(Buffer.alloc(1024 * 1024)));
      } else if (req.url === "/hang") {
        // Never answers.
      } else {
        res.end("small");
      }
    });
    const limited = createEgressGuard({
      allowList: prismaAllowList(db.prisma),
      lookup,
      limits: { maxResponseBytes: 4096, timeoutMs: 300 },
    }).fetchFor(owner.workspace.id);
    try {
      for (const path of ["/declared", "/chunked", "/gzip-bomb"]) {
        const err = (await limited(`${big.origin}${path}`).catch((e: unknown) => e)) as Error & {
          code: string;
        };
        expect(err.name, path).toBe("EgressError");
        expect(err.code, path).toBe("response_too_large");
        expect(err.message, path).toMatch(
          /larger than the egress limit of 4096 bytes \(EGRESS_MAX_RESPONSE_BYTES\)/,
        );
      }
      const hang = (await limited(`${big.origin}/hang`).catch((e: unknown) => e)) as Error & {
        code: string;
        retryable: boolean;
      };
      expect(hang).toMatchObject({ name: "EgressError", code: "timeout", retryable: true });
      expect(hang.message).toMatch(/egress limit of 300 ms \(EGRESS_TIMEOUT_MS\)/);
      expect(await (await limited(`${big.origin}/small`)).text()).toBe("small");
    } finally {
      await big.close();
    }
  });
});
