import { answerWebhook, MAX_WEBHOOK_BODY_BYTES, tooLarge } from "@/server/webhook-endpoint";

export const dynamic = "force-dynamic";

/**
 * A flow's webhook (see server/webhook-endpoint.ts). `npm start` answers webhooks before
 * Next.js (scripts/serve.mjs) with the same handler; this route serves `next dev`/`next start`.
 */
export async function POST(
  req: Request,
  ctx: { params: Promise<{ workspace: string; flow: string }> },
) {
  if (Number(req.headers.get("content-length") ?? 0) > MAX_WEBHOOK_BODY_BYTES) {
    const a = tooLarge();
    return Response.json(a.body, { status: a.status });
  }
  const [{ workspace, flow }, body] = await Promise.all([ctx.params, req.text()]);
  const url = new URL(req.url);
  const answer = await answerWebhook({
    workspace,
    flow,
    body,
    signature: req.headers.get("x-trustflow-signature"),
    deliveryId: req.headers.get("x-trustflow-delivery"),
    wait: url.searchParams.get("wait"),
    timeout: url.searchParams.get("timeout"),
    signal: req.signal,
  });
  return Response.json(answer.body, { status: answer.status });
}
