import { describe, expect, it } from "vitest";
import { hasUrlCredentials, redactSecrets, redactText, redactUrl, REDACTED } from "./redact";

describe("redactUrl", () => {
  it("redacts userinfo of every URL in a text", () => {
    expect(redactUrl("GET https://bob:hunter2@api.example.com/x and http://a@b.c failed")).toBe(
      `GET https://${REDACTED}@api.example.com/x and http://${REDACTED}@b.c failed`,
    );
  });
  it("redacts secret-named query parameters", () => {
    expect(redactUrl("https://h.example/p?api_key=abc&x=1&access_token=zz#f")).toBe(
      `https://h.example/p?api_key=${REDACTED}&x=1&access_token=${REDACTED}#f`,
    );
  });
  it("leaves text without credentials alone", () => {
    const s = "mail bob@example.com about https://example.com/a?b=c";
    expect(redactUrl(s)).toBe(s);
  });
});

describe("hasUrlCredentials", () => {
  it("detects user and password", () => {
    expect(hasUrlCredentials("https://u:p@h.example")).toBe(true);
    expect(hasUrlCredentials("https://u@h.example")).toBe(true);
    expect(hasUrlCredentials("https://h.example/@x")).toBe(false);
    expect(hasUrlCredentials(new URL("https://h.example"))).toBe(false);
  });
});

describe("redactSecrets", () => {
  it("deep-walks objects, arrays, keys and errors", () => {
    const out = redactSecrets(
      {
        a: "token s3cr3t-value here",
        b: [{ c: "https://u:pw@x.example" }, 3, null],
        "s3cr3t-value": true,
        e: new Error("bad s3cr3t-value"),
        d: new Date(0),
      },
      ["s3cr3t-value", "ab"],
    );
    expect(out.a).toBe(`token ${REDACTED} here`);
    expect(out.b).toEqual([{ c: `https://${REDACTED}@x.example` }, 3, null]);
    expect(Object.keys(out)).toContain(REDACTED);
    expect((out.e as Error).message).toBe(`bad ${REDACTED}`);
    expect(out.d).toBeInstanceOf(Date);
  });
  it("ignores too-short secrets and cuts cycles", () => {
    const o: Record<string, unknown> = { x: "ab" };
    o.self = o;
    const out = redactSecrets(o, ["ab"]);
    expect(out.x).toBe("ab");
    expect(out.self).toBe(REDACTED);
  });
  it("redactText prefers the longest secret", () => {
    expect(redactText("abcdef", ["abcd", "abcdef"])).toBe(REDACTED);
  });
});

describe("redactUrlCredentials", () => {
  it("strips userinfo deep and returns the same object when nothing changes", async () => {
    const { redactUrlCredentials } = await import("./redact");
    const clean = { a: ["https://h.example/?token=x"], b: { c: 1 } };
    expect(redactUrlCredentials(clean)).toBe(clean);
    const dirty = { a: ["ok", "https://u:pw@h.example/x?token=t"], b: { c: 1 } };
    const out = redactUrlCredentials(dirty);
    expect(out).toEqual({ a: ["ok", `https://${REDACTED}@h.example/x?token=t`], b: { c: 1 } });
    expect(out.b).toBe(dirty.b);
    expect(dirty.a[1]).toBe("https://u:pw@h.example/x?token=t");
  });
});
