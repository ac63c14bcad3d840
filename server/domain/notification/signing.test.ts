import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { newWebhookSecret, secretKey, signWebhook, webhookHeaders } from "./signing";

describe("Standard Webhooks signatures", () => {
  it("matches the scheme's published example", () => {
    // The reference vector of standard-webhooks (and Svix): secret, id, timestamp, body.
    const sig = signWebhook(
      "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
      "msg_p5jXN8AQM9LWM0D4loKWxJek",
      1614265330,
      '{"test": 2432232314}',
    );
    expect(sig).toBe("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=");
  });

  it("signs id.timestamp.body with the secret's bytes, as node:crypto computes it", () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    const body = JSON.stringify({ id: "e1", type: "approval.requested", data: { ü: "✓" } });
    const headers = webhookHeaders(secret, "e1", 1700000000, body);
    const expected = createHmac("sha256", Buffer.from(secret.slice(6), "base64"))
      .update(`e1.1700000000.${body}`)
      .digest("base64");
    expect(headers).toEqual({
      "content-type": "application/json",
      "webhook-id": "e1",
      "webhook-timestamp": "1700000000",
      "webhook-signature": `v1,${expected}`,
    });
    // Any change of id, time, body or secret changes the signature.
    expect(signWebhook(secret, "e2", 1700000000, body)).not.toBe(headers["webhook-signature"]);
    expect(signWebhook(secret, "e1", 1700000001, body)).not.toBe(headers["webhook-signature"]);
    expect(signWebhook(secret, "e1", 1700000000, `${body} `)).not.toBe(
      headers["webhook-signature"],
    );
    expect(signWebhook(newWebhookSecret(), "e1", 1700000000, body)).not.toBe(
      headers["webhook-signature"],
    );
  });

  it("refuses a secret too short to be one", () => {
    expect(() => secretKey("whsec_c2hvcnQ=")).toThrow(/24 bytes/);
    expect(secretKey("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")).toHaveLength(24);
  });
});
