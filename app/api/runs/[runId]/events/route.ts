import { getServerSession } from "next-auth";
import { authOptions } from "@/server/auth/options";
import { database } from "@/server/db";
import { runStoreFor } from "@/server/domain/run/run-engine";
import { authorizeRunStream, runEventsStream } from "@/server/domain/run/run-events-stream";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

/**
 * Server-Sent Events of one run: `GET /api/runs/<runId>/events?workspace=<id>&after=<seq>`.
 * Signed-in users only (session cookie); the run must belong to the given workspace and the user
 * must be a member of it. A reconnect's `Last-Event-ID` wins over `after`.
 */
export async function GET(req: Request, { params }: { params: Promise<{ runId: string }> }) {
  const { runId } = await params;
  const session = await getServerSession(authOptions);
  const userId = (session?.user as { id?: string } | undefined)?.id;
  if (!userId) return Response.json({ message: "Sign in to follow a run." }, { status: 401 });
  const url = new URL(req.url);
  const workspaceId = url.searchParams.get("workspace") || null;
  const lastId = Number(req.headers.get("last-event-id") ?? url.searchParams.get("after") ?? 0);
  const afterSeq = Number.isInteger(lastId) && lastId > 0 ? lastId : 0;
  const db = (await database()).prisma;
  const store = runStoreFor(db);
  const access = await authorizeRunStream(db, store, { userId, runId, workspaceId });
  if (!access.ok) return Response.json({ message: access.message }, { status: access.status });
  return new Response(runEventsStream(store, runId, { afterSeq, signal: req.signal }), {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache, no-transform",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
