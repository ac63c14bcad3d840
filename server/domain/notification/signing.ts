/**
 * Standard Webhooks signatures (https://www.standardwebhooks.com): the secret is `whsec_`
 * followed by base64 of 32 random bytes; the signature is base64 of HMAC-SHA256, keyed by those
 * bytes, of `<webhook-id>.<webhook-timestamp>.<body>`, sent as `webhook-signature: v1,<sig>`
 * with `webhook-id` and `webhook-timestamp` (Unix seconds). Pure.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";

const PREFIX = "whsec_";

/** A new endpoint secret: `whsec_` + base64 of 32 random bytes. */
export function newWebhookSecret(): string {
  return PREFIX + Buffer.from(randomBytes(32)).toString("base64");
}

/** The key bytes of a secret (`whsec_` optional, as the scheme allows). */
export function secretKey(secret: string): Uint8Array {
  const b64 = secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret;
  const key = Buffer.from(b64, "base64");
  if (key.length < 24) throw new Error("a webhook secret has at least 24 bytes");
  return new Uint8Array(key);
}

/** The `v1,<base64>` signature of one message. */
export function signWebhook(secret: string, id: string, timestamp: number, body: string): string {
  const mac = hmac(
    sha256,
    secretKey(secret),
    new TextEncoder().encode(`${id}.${timestamp}.${body}`),
  );
  return `v1,${Buffer.from(mac).toString("base64")}`;
}

/** The three headers of a signed message (with the JSON content type). */
export function webhookHeaders(
  secret: string,
  id: string,
  timestamp: number,
  body: string,
): Record<string, string> {
  return {
    "content-type": "application/json",
    "webhook-id": id,
    "webhook-timestamp": String(timestamp),
    "webhook-signature": signWebhook(secret, id, timestamp, body),
  };
}
