import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { clientAddress, parseTrustProxy, PEER_HEADER } from "@/server/auth/client-address";
import { SignUpThrottle } from "@/server/domain/auth/sign-up-throttle";
import { parseEnv } from "@/server/env";

/**
 * Attack: a client rotates `X-Forwarded-For` on every request so that each attempt lands on a
 * fresh rate-limit key (sign-in back-off, sign-up throttle). The header is believed only from
 * proxies named in TRUST_PROXY; the peer address comes from the socket, via a header the server
 * sets itself.
 */
const none = parseTrustProxy(undefined);
const peer = (addr: string, xff?: string) =>
  new Headers({ [PEER_HEADER]: addr, ...(xff ? { "x-forwarded-for": xff } : {}) });

describe("X-Forwarded-For bypass", () => {
  it("without TRUST_PROXY a spoofed X-Forwarded-For does not change the client address", () => {
    const keys = new Set(
      ["1.1.1.1", "2.2.2.2, 3.3.3.3", "::1", "garbage", "10.0.0.1"].map((xff) =>
        clientAddress(peer("203.0.113.9", xff), none),
      ),
    );
    expect([...keys]).toEqual(["203.0.113.9"]);
    // A plain-object header bag (next-auth's `authorize` request) behaves the same.
    expect(
      clientAddress({ [PEER_HEADER]: "203.0.113.9", "x-forwarded-for": "1.1.1.1" }, none),
    ).toBe("203.0.113.9");
  });

  it("rotating X-Forwarded-For does not escape the sign-up throttle", async () => {
    const throttle = new SignUpThrottle(3);
    for (let i = 0; i < 3; i++) {
      await throttle.consume(clientAddress(peer("198.51.100.4", `10.9.8.${i}`), none));
    }
    await expect(
      throttle.consume(clientAddress(peer("198.51.100.4", "10.9.8.200"), none)),
    ).rejects.toMatchObject({
      code: "RATE_LIMITED",
      message: expect.stringMatching(
        /^Too many sign-ups from your network \(at most 3 an hour\)\. Try again in \d+ minutes\.$/,
      ),
    });
    // Another client (another socket address) is not affected.
    await expect(throttle.consume(clientAddress(peer("198.51.100.5"), none))).resolves.toBe(
      undefined,
    );
  });

  it("without a peer address (no trusted server in front) every client shares one key", () => {
    expect(clientAddress(new Headers({ "x-forwarded-for": "1.2.3.4" }), none)).toBe("unknown");
    expect(clientAddress(new Headers({ [PEER_HEADER]: "not an ip" }), none)).toBe("unknown");
  });

  it("normalises IPv4-mapped IPv6 peers, as Node reports them on a dual-stack socket", () => {
    expect(clientAddress(peer("::ffff:127.0.0.1"), none)).toBe("127.0.0.1");
  });

  it("believes X-Forwarded-For only from configured proxies, hop by hop from the nearest", () => {
    const trust = parseTrustProxy("10.0.0.0/8, 127.0.0.1");
    // Behind the proxy 10.0.0.5: the address it appended is the client's.
    expect(clientAddress(peer("10.0.0.5", "198.51.100.7"), trust)).toBe("198.51.100.7");
    // The client forged an entry in front: the proxy's appended entry wins.
    expect(clientAddress(peer("10.0.0.5", "6.6.6.6, 198.51.100.7"), trust)).toBe("198.51.100.7");
    // Two trusted hops.
    expect(clientAddress(peer("127.0.0.1", "198.51.100.7, 10.1.1.1"), trust)).toBe("198.51.100.7");
    // A direct client (not a trusted proxy) sending the header is ignored.
    expect(clientAddress(peer("203.0.113.9", "1.1.1.1"), trust)).toBe("203.0.113.9");
    // A malformed hop stops the walk at the last good address.
    expect(clientAddress(peer("10.0.0.5", "junk"), trust)).toBe("10.0.0.5");
  });

  it("a hop count trusts exactly that many proxies", () => {
    const one = parseTrustProxy("1");
    expect(clientAddress(peer("10.0.0.5", "6.6.6.6, 198.51.100.7"), one)).toBe("198.51.100.7");
    expect(clientAddress(peer("10.0.0.5"), one)).toBe("10.0.0.5");
  });

  it("refuses a malformed TRUST_PROXY with the variable named", () => {
    expect(() => parseTrustProxy("10.0.0.0/8, proxy.internal")).toThrow(/proxy\.internal/);
    expect(() => parseEnv({ TRUST_PROXY: "proxy.internal" })).toThrow(/TRUST_PROXY/);
    expect(parseEnv({ TRUST_PROXY: "10.0.0.0/8,::1" }).TRUST_PROXY).toBe("10.0.0.0/8,::1");
  });

  it("the HTTP server overwrites any client-sent peer header with the socket address", () => {
    // scripts/serve.mjs is the only writer of the header; it assigns (never appends) it.
    const serve = readFileSync(path.join(import.meta.dirname, "../../scripts/serve.mjs"), "utf8");
    expect(serve).toMatch(
      /req\.headers\["x-trustflow-peer"\] = req\.socket\.remoteAddress \?\? "";/,
    );
  });
});
