import { describe, expect, it } from "vitest";
import { classifyAddress } from "./address";
import {
  checkAddress,
  checkConfiguredUrl,
  checkUrl,
  normalizeHost,
  operatorRule,
  type EgressRule,
} from "./policy";

const none: EgressRule[] = [];
const codeOf = (f: () => unknown) => {
  try {
    f();
    return "passed";
  } catch (e) {
    return (e as { code?: string }).code;
  }
};

describe("address classification (ipaddr.js ranges)", () => {
  it("judges IPv6 forms that carry an IPv4 address by that address", () => {
    expect(classifyAddress("::ffff:127.0.0.1").range).toBe("loopback");
    expect(classifyAddress("64:ff9b::10.0.0.1").range).toBe("private");
    expect(classifyAddress("64:ff9b::8.8.8.8").public).toBe(true);
    expect(classifyAddress("2002:a9fe:a9fe::").metadata).toBe(true);
    expect(classifyAddress("2606:4700::1").public).toBe(true);
  });
});

describe("egress policy", () => {
  it("public unicast passes; every other range needs allowPrivate; some never pass", () => {
    expect(codeOf(() => checkAddress("8.8.8.8", "8.8.8.8", none))).toBe("passed");
    expect(codeOf(() => checkAddress("h", "10.0.0.1", none))).toBe("forbidden_address");
    const rules = [{ host: "h", allowHttp: false, allowPrivate: true }];
    expect(codeOf(() => checkAddress("h", "10.0.0.1", rules))).toBe("passed");
    expect(codeOf(() => checkAddress("H.", "127.0.0.1", rules))).toBe("passed");
    // Allow-listing a name never opens the metadata endpoint, unspecified or multicast.
    expect(codeOf(() => checkAddress("h", "169.254.169.254", rules))).toBe("forbidden_address");
    expect(codeOf(() => checkAddress("h", "0.0.0.0", rules))).toBe("forbidden_address");
    expect(codeOf(() => checkAddress("h", "ff02::1", rules))).toBe("forbidden_address");
    // Only an entry naming the metadata address itself does.
    const meta = [{ host: "169.254.169.254", allowHttp: true, allowPrivate: true }];
    expect(codeOf(() => checkAddress("169.254.169.254", "169.254.169.254", meta))).toBe("passed");
  });

  it("https only, http for allowHttp hosts, no credentials, no other schemes", () => {
    expect(codeOf(() => checkUrl("https://a.example/x", none))).toBe("passed");
    expect(codeOf(() => checkUrl("http://a.example/x", none))).toBe("scheme_not_allowed");
    expect(
      codeOf(() =>
        checkUrl("http://a.example/x", [
          { host: "a.example", allowHttp: true, allowPrivate: false },
        ]),
      ),
    ).toBe("passed");
    expect(codeOf(() => checkUrl("https://u:p@a.example/", none))).toBe("credentials_in_url");
    expect(codeOf(() => checkUrl("file:///etc/passwd", none))).toBe("scheme_not_allowed");
    expect(codeOf(() => checkUrl("gopher://a.example", none))).toBe("scheme_not_allowed");
    expect(codeOf(() => checkUrl("not a url", none))).toBe("invalid_url");
  });

  it("save-time check: literals judged, names left to run time, http tolerated", () => {
    expect(codeOf(() => checkConfiguredUrl("https://127.0.0.1/", none))).toBe("forbidden_address");
    expect(codeOf(() => checkConfiguredUrl("http://[::1]:8080/", none))).toBe("forbidden_address");
    expect(codeOf(() => checkConfiguredUrl("http://internal.example/", none))).toBe("passed");
    expect(codeOf(() => checkConfiguredUrl("https://u:p@x.example/", none))).toBe(
      "credentials_in_url",
    );
  });

  it("operator entries: exactly the configured host and port, http only when configured so", () => {
    const ollama = operatorRule("http://LOCALHOST:11434/v1")!;
    expect(ollama).toEqual({ host: "localhost", port: 11434, allowHttp: true, allowPrivate: true });
    expect(operatorRule("https://api.openai.com/v1")).toMatchObject({
      port: 443,
      allowHttp: false,
    });
    expect(operatorRule("demo-model://trustflow/v1")).toBeNull();
    const rules = [ollama];
    const at = (url: string) => () => checkUrl(url, rules, "operator");
    expect(codeOf(at("http://localhost:11434/v1/chat/completions"))).toBe("passed");
    expect(codeOf(at("http://localhost:11435/v1"))).toBe("scheme_not_allowed");
    expect(codeOf(at("http://localhost/v1"))).toBe("scheme_not_allowed");
    expect(codeOf(() => checkAddress("localhost", "127.0.0.1", rules, 11434, "operator"))).toBe(
      "passed",
    );
    expect(codeOf(() => checkAddress("localhost", "127.0.0.1", rules, 6379, "operator"))).toBe(
      "forbidden_address",
    );
    // A port-bound entry never matches a call whose port is unknown (save-time checks).
    expect(codeOf(() => checkAddress("localhost", "127.0.0.1", rules))).toBe("forbidden_address");
    // The refusal says where model endpoints are configured.
    expect(() => checkAddress("localhost", "127.0.0.1", rules, 6379, "operator")).toThrow(
      /127\.0\.0\.1 port 6379 \(localhost resolves to it\) refused: a loopback address is reachable by model calls only at the host and port of a model the operator configured \(TRUSTFLOW_MODELS\)/,
    );
  });

  it("normalizes hosts", () => {
    expect(normalizeHost("[::FFFF:127.0.0.1]")).toBe("::ffff:7f00:1");
    expect(normalizeHost("API.Example.com.")).toBe("api.example.com");
  });
});
