/**
 * Webhook signatures, Stripe style: `X-Trustflow-Signature: t=<unix seconds>,v1=<hex>` where the
 * hex is HMAC-SHA256 of `<t>.<raw body>` under the flow's secret. Several `v1=` values may be
 * given (a sender mid-rotation, at most {@link MAX_SIGNATURE_CANDIDATES}); one must match. A
 * verified signature yields its replay key `<t>.<hmac>` (the signed content: only the HMAC that
 * verified, never the header as sent). Pure functions over a given time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Seconds a signature stays acceptable either side of the server's clock. */
export const SIGNATURE_TOLERANCE_S = 300;

/** `v1=` entries one header may carry; more is malformed (each costs a comparison). */
export const MAX_SIGNATURE_CANDIDATES = 8;

/** Signs `body` at `timestamp` (unix seconds): the header value to send. */
export function signWebhook(secret: string, body: string, timestamp: number): string {
  const t = Math.floor(timestamp);
  return `t=${t},v1=${createHmac("sha256", secret).update(`${t}.${body}`).digest("hex")}`;
}

/** Why a signature was refused. */
export type SignatureProblem = "missing" | "malformed" | "expired" | "mismatch";

/** Checks a signature header; `now` in unix seconds. */
export function verifyWebhookSignature(
  secret: string,
  body: string,
  header: string | null,
  now: number,
  toleranceS = SIGNATURE_TOLERANCE_S,
): { ok: true; timestamp: number; replayKey: string } | { ok: false; problem: SignatureProblem } {
  if (!header) return { ok: false, problem: "missing" };
  let t: number | undefined;
  const candidates: string[] = [];
  for (const part of header.split(",")) {
    const i = part.indexOf("=");
    if (i < 0) continue;
    const k = part.slice(0, i).trim();
    const v = part.slice(i + 1).trim();
    if (k === "t" && /^\d{1,12}$/.test(v)) t = Number(v);
    else if (k === "v1" && /^[0-9a-f]{64}$/i.test(v)) candidates.push(v.toLowerCase());
  }
  if (t === undefined || candidates.length === 0 || candidates.length > MAX_SIGNATURE_CANDIDATES)
    return { ok: false, problem: "malformed" };
  if (Math.abs(now - t) > toleranceS) return { ok: false, problem: "expired" };
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  // Every candidate is compared in constant time; the key is the server's own HMAC, so neither
  // the other entries nor their order nor the case of the hex can make a new key.
  let matched = false;
  for (const c of candidates) matched = timingSafeEqual(Buffer.from(c, "hex"), expected) || matched;
  if (!matched) return { ok: false, problem: "mismatch" };
  return { ok: true, timestamp: t, replayKey: `${t}.${expected.toString("hex")}` };
}
