import { connectorDeps } from "@/server/adapters/connectors/vault";
import { database, inlineExecution } from "@/server/db";
import { receiveWebhook } from "@/server/domain/trigger/webhooks";

export const dynamic = "force-dynamic";

/** Deliveries above this size are refused before reading (flows' inputs are small JSON). */
const MAX_BODY_BYTES = 1024 * 1024;
const deps = connectorDeps();

/**
 * A flow's webhook: `POST /api/hooks/<workspace slug>/<flow name>[?wait=1&timeout=<ms>]`, signed
 * with `X-Trustflow-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, optionally with a
 * unique `X-Trustflow-Delivery` id. See server/domain/trigger/webhooks.ts.
 */
export async function POST(
  req: Request,
  ctx: { params: Promise<{ workspace: string; flow: string }> },
) {
  if (Number(req.headers.get("content-length") ?? 0) > MAX_BODY_BYTES)
    return Response.json(
      { error: `Body too large (limit ${MAX_BODY_BYTES} bytes).` },
      { status: 413 },
    );
  const [{ workspace, flow }, body, db] = await Promise.all([ctx.params, req.text(), database()]);
  if (body.length > MAX_BODY_BYTES)
    return Response.json(
      { error: `Body too large (limit ${MAX_BODY_BYTES} bytes).` },
      { status: 413 },
    );
  const url = new URL(req.url);
  const wait = url.searchParams.get("wait");
  const timeout = Number(url.searchParams.get("timeout") ?? "");
  const answer = await receiveWebhook(
    db.prisma,
    {
      workspaceSlug: workspace,
      flowName: flow,
      body,
      signature: req.headers.get("x-trustflow-signature"),
      deliveryId: req.headers.get("x-trustflow-delivery"),
      wait: wait === "1" || wait === "true",
      timeoutMs: Number.isFinite(timeout) && timeout > 0 ? timeout : undefined,
      signal: req.signal,
    },
    { vault: deps.vault, driver: db.driver, inline: inlineExecution() },
  );
  return Response.json(answer.body, { status: answer.status });
}
