import { describe, expect, it } from "vitest";
import { signWebhook, verifyWebhookSignature } from "./signature";

const secret = "whsec_test";
const body = '{"amount":3}';

describe("webhook signatures", () => {
  it("accepts its own signature within the tolerance", () => {
    const h = signWebhook(secret, body, 1_800_000_000);
    expect(verifyWebhookSignature(secret, body, h, 1_800_000_100)).toEqual({
      ok: true,
      timestamp: 1_800_000_000,
      replayKey: `1800000000.${h.split("v1=")[1]}`,
    });
  });

  it("refuses a changed body, a wrong secret, an old timestamp and junk", () => {
    const h = signWebhook(secret, body, 1_800_000_000);
    const now = 1_800_000_000;
    expect(verifyWebhookSignature(secret, body + " ", h, now)).toMatchObject({
      problem: "mismatch",
    });
    expect(verifyWebhookSignature("other", body, h, now)).toMatchObject({ problem: "mismatch" });
    expect(verifyWebhookSignature(secret, body, h, now + 301)).toMatchObject({
      problem: "expired",
    });
    expect(verifyWebhookSignature(secret, body, h, now - 301)).toMatchObject({
      problem: "expired",
    });
    expect(verifyWebhookSignature(secret, body, null, now)).toMatchObject({ problem: "missing" });
    expect(verifyWebhookSignature(secret, body, "t=abc,v1=zz", now)).toMatchObject({
      problem: "malformed",
    });
  });

  it("accepts any matching v1 among several (rotation)", () => {
    const good = signWebhook(secret, body, 1_800_000_000).split("v1=")[1];
    const h = `t=1800000000,v1=${"0".repeat(64)},v1=${good}`;
    expect(verifyWebhookSignature(secret, body, h, 1_800_000_000).ok).toBe(true);
  });

  it("derives the same replay key whatever else the header carries", () => {
    const h = signWebhook(secret, body, 1_800_000_000);
    const good = h.split("v1=")[1]!;
    const key = `1800000000.${good}`;
    for (const variant of [
      h,
      `v1=${good},t=1800000000`,
      `t=1800000000,v1=${"0".repeat(64)},v1=${good}`,
      `t=1800000000,v1=${good},v1=${"1".repeat(64)}`,
      `t=01800000000,v1=${good.toUpperCase()}`,
    ])
      expect(verifyWebhookSignature(secret, body, variant, 1_800_000_000)).toMatchObject({
        ok: true,
        replayKey: key,
      });
  });

  it("refuses a header with more v1 entries than the cap", () => {
    const good = signWebhook(secret, body, 1_800_000_000).split("v1=")[1];
    const h = `t=1800000000,${Array(8)
      .fill(`v1=${"0".repeat(64)}`)
      .join(",")},v1=${good}`;
    expect(verifyWebhookSignature(secret, body, h, 1_800_000_000)).toMatchObject({
      problem: "malformed",
    });
  });
});
