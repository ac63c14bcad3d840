/**
 * The {@link WebhookSender} of the server: every webhook call goes through the egress guard
 * bound to the endpoint's workspace (its allow list included: a private or loopback address is
 * refused unless allow-listed), never plain `fetch`. The answer's body is read (capped by the
 * guard) and dropped; only the status matters.
 */
import type { SendResult, WebhookSender } from "@/server/domain/notification/types";
import type { EgressGuard } from "../egress/guard";

/** Sends through `egress.fetchFor(workspaceId)`. */
export function egressWebhookSender(egress: Pick<EgressGuard, "fetchFor">): WebhookSender {
  return {
    async send({ workspaceId, url, headers, body, timeoutMs }): Promise<SendResult> {
      try {
        const res = await egress.fetchFor(workspaceId)(url, {
          method: "POST",
          headers: { "user-agent": "Trustflow-Webhooks/1", ...headers },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        return { ok: true, status: res.status };
      } catch (err) {
        const e = err as { name?: string; message?: string };
        const message =
          e?.name === "TimeoutError" || e?.name === "AbortError"
            ? `No answer within ${timeoutMs} ms.`
            : (e?.message ?? String(err));
        return { ok: false, status: null, error: message.slice(0, 500) };
      }
    },
  };
}
