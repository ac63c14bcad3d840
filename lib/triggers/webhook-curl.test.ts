import { execFile } from "node:child_process";
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
// The server's own check: the snippet is right when the server accepts what it sends.
import { verifyWebhookSignature } from "@/server/domain/trigger/signature";
import { shellQuote, signedCurl } from "./webhook-curl";

const run = promisify(execFile);
const SECRET = "whsec_test-Secret_0123456789abcdef";

function read(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
  });
}

const received: Array<{ url: string; body: string; ok: boolean; type: string }> = [];
const server = createServer(async (req, res) => {
  const body = await read(req);
  const check = verifyWebhookSignature(
    SECRET,
    body,
    (req.headers["x-trustflow-signature"] as string | undefined) ?? null,
    Date.now() / 1000,
  );
  received.push({
    url: req.url ?? "",
    body,
    ok: check.ok,
    type: req.headers["content-type"] ?? "",
  });
  res.writeHead(check.ok ? 200 : 401, { "content-type": "application/json" });
  res.end(JSON.stringify(check.ok ? { status: "succeeded", echo: JSON.parse(body) } : check));
});
let base = "";

beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

describe("shellQuote", () => {
  it("makes one shell word of any text", async () => {
    const text = `it's "quoted" $HOME \`x\` \\ ; & |`;
    const { stdout } = await run("bash", ["-c", `printf '%s' ${shellQuote(text)}`]);
    expect(stdout).toBe(text);
  });
});

describe("signedCurl", () => {
  it("is accepted by the server's signature check when pasted into a shell", async () => {
    const body = JSON.stringify({ contractId: "CTR-1001", note: "O'Brien & co" });
    const snippet = signedCurl({ url: `${base}/api/hooks/demo/q2c`, secret: SECRET, body });
    expect(snippet).toContain("?wait=1");
    const { stdout } = await run("bash", ["-c", snippet]);
    expect(JSON.parse(stdout)).toEqual({ status: "succeeded", echo: JSON.parse(body) });
    expect(received.at(-1)).toEqual({
      url: "/api/hooks/demo/q2c?wait=1",
      body,
      ok: true,
      type: "application/json",
    });
  });

  it("with the wrong secret is refused (the signature really depends on it)", async () => {
    const snippet = signedCurl({
      url: `${base}/api/hooks/demo/q2c`,
      secret: "whsec_other",
      body: "{}",
      wait: false,
    });
    const { stdout } = await run("bash", ["-c", snippet]);
    expect(JSON.parse(stdout)).toEqual({ ok: false, problem: "mismatch" });
    expect(received.at(-1)?.url).toBe("/api/hooks/demo/q2c");
  });
});
