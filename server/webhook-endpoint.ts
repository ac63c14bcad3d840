import "server-only";
import { inlineExecution, services } from "@/server/composition";
import type { Services } from "@/server/wiring/services";
import { admissionRefusalAnswer } from "@/server/domain/run/admission";
import { WebhookRateLimiter } from "@/server/domain/trigger/webhook-rate-limit";
import { receiveWebhook, type WebhookAnswer } from "@/server/domain/trigger/webhooks";
import { env } from "@/server/env";
import { bodyTooLargeMessage } from "@/server/http/read-bounded-body";
import { logger } from "@/server/logger";

/**
 * Deliveries above this size are refused (flows' inputs are small JSON), counted as the body
 * streams in: a declared `Content-Length` above it before reading, a chunked body at the limit.
 */
export const MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** A delivery as either HTTP front end (the Next.js route, `scripts/serve.mjs`) reads it. */
export interface WebhookHttpRequest {
  workspace: string;
  flow: string;
  body: string;
  signature: string | null;
  deliveryId: string | null;
  /** `?wait=` and `?timeout=` as given. */
  wait: string | null;
  timeout: string | null;
  signal?: AbortSignal;
}

/**
 * The process's per-flow limiter (`WEBHOOK_RATE_LIMIT`), shared by both front ends: kept in
 * the process's webhook cache (one per process, `server/composition.ts`), since the Next.js
 * route and `scripts/serve.mjs` run different bundles of this module.
 */
const rateLimiter = (s: Services) =>
  (s.webhookCache.endpointLimiter ??= new WebhookRateLimiter({
    perSecond: env().WEBHOOK_RATE_LIMIT,
  }));

/**
 * A flow's webhook, `POST /api/hooks/<workspace slug>/<flow name>[?wait=1&timeout=<ms>]`,
 * signed with `X-Trustflow-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, optionally
 * with a unique `X-Trustflow-Delivery` id (see server/domain/trigger/webhooks.ts). More than
 * `WEBHOOK_RATE_LIMIT` requests per second to one flow: 429 with `Retry-After`. Never throws: an
 * unexpected error is logged and answered with 500.
 */
export async function answerWebhook(r: WebhookHttpRequest): Promise<WebhookAnswer> {
  if (Buffer.byteLength(r.body) > MAX_WEBHOOK_BODY_BYTES) return tooLarge();
  try {
    const s = await services();
    const timeout = Number(r.timeout ?? "");
    return await receiveWebhook(
      s,
      {
        workspaceSlug: r.workspace,
        flowName: r.flow,
        body: r.body,
        signature: r.signature,
        deliveryId: r.deliveryId,
        wait: r.wait === "1" || r.wait === "true",
        timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
        signal: r.signal,
      },
      {
        vault: s.vault,
        inline: inlineExecution(),
        rateLimiter: rateLimiter(s),
      },
    );
  } catch (err) {
    // Admission control refused the start (nothing was recorded): 503/429 with Retry-After.
    const refused = admissionRefusalAnswer(err);
    if (refused) return refused;
    logger().error({ err: String(err), flow: r.flow }, "webhook failed");
    return { status: 500, body: { error: "The delivery could not be processed; retry later." } };
  }
}

export function tooLarge(): WebhookAnswer {
  return {
    status: 413,
    body: { error: bodyTooLargeMessage(MAX_WEBHOOK_BODY_BYTES) },
  };
}
