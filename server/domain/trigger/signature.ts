/**
 * Webhook signatures, Stripe style: `X-Trustflow-Signature: t=<unix seconds>,v1=<hex>` where the
 * hex is HMAC-SHA256 of `<t>.<raw body>` under the flow's secret. Several `v1=` values may be
 * given (a sender mid-rotation); one must match. Pure functions over a given time.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

/** Seconds a signature stays acceptable either side of the server's clock. */
export const SIGNATURE_TOLERANCE_S = 300;

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
): { ok: true; timestamp: number } | { ok: false; problem: SignatureProblem } {
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
  if (t === undefined || candidates.length === 0) return { ok: false, problem: "malformed" };
  if (Math.abs(now - t) > toleranceS) return { ok: false, problem: "expired" };
  const expected = createHmac("sha256", secret).update(`${t}.${body}`).digest();
  for (const c of candidates) {
    if (timingSafeEqual(Buffer.from(c, "hex"), expected)) return { ok: true, timestamp: t };
  }
  return { ok: false, problem: "mismatch" };
}
