import { services } from "@/server/composition";
import { authorizeRunStream, runEventsStream } from "@/server/domain/run/run-events-stream";
import { authorizeRequest } from "@/server/trpc/request-actor";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Server-Sent Events of one run: `GET /api/runs/<runId>/events?workspace=<id>&after=<seq>`.
 * Authenticated and authorised as every tRPC call is, through the same request context
 * (`server/trpc/context.ts`: the session cookie with its row checked, or an API token with the
 * `read` scope) and the same rules (`authorizeRequest`: membership of the workspace, at least
 * viewer); `workspace` names the workspace (an EventSource cannot set headers). The run must
 * belong to it. A reconnect's `Last-Event-ID` wins over `after`.
 */
export async function GET(req: Request, { params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  const auth = await authorizeRequest(req, "viewer", "read");
  if (!auth.ok) return Response.json({ message: auth.message }, { status: auth.status });
  const url = new URL(req.url);
  const lastId = Number(req.headers.get("last-event-id") ?? url.searchParams.get("after") ?? 0);
  const afterSeq = Number.isInteger(lastId) && lastId > 0 ? lastId : 0;
  const { runs: store, notifier } = await services();
  const access = await authorizeRunStream(auth.db, store, {
    userId: auth.actor.userId,
    runId,
    workspaceId: auth.actor.workspaceId,
  });
  if (!access.ok) return Response.json({ message: access.message }, { status: access.status });
  return new Response(runEventsStream(store, runId, { afterSeq, signal: req.signal, notifier }), {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
