import { readBoundedBody } from "@/server/http/read-bounded-body";
import { answerWebhook, MAX_WEBHOOK_BODY_BYTES } from "@/server/webhook-endpoint";

export const dynamic = "force-dynamic";

/**
 * A flow's webhook (see server/webhook-endpoint.ts). `npm start` answers webhooks before
 * Next.js (scripts/serve.mjs) with the same handler; this route serves `next dev`/`next start`.
 * The body is counted as it streams in (chunked ones too): past the limit, 413 naming it.
 */
export async function POST(
  req: Request,
  ctx: { params: Promise<{ workspace: string; flow: string }> },
) {
  const body = await readBoundedBody(req, MAX_WEBHOOK_BODY_BYTES);
  if (!body.ok) return body.response;
  const { workspace, flow } = await ctx.params;
  const url = new URL(req.url);
  const answer = await answerWebhook({
    workspace,
    flow,
    body: body.text(),
    signature: req.headers.get("x-trustflow-signature"),
    deliveryId: req.headers.get("x-trustflow-delivery"),
    wait: url.searchParams.get("wait"),
    timeout: url.searchParams.get("timeout"),
    signal: req.signal,
  });
  return Response.json(answer.body, {
    status: answer.status,
    headers: { ...answer.headers, "cache-control": "no-store" },
  });
}
