import { z } from "zod";
import {
  exportAudit,
  verificationHeader,
  ZExportAuditInput,
} from "@/server/domain/audit/export-audit";
import { authorizeRequest } from "@/server/trpc/request-actor";

export const dynamic = "force-dynamic";
export const runtime = "nodejs";

const CHUNK_CHARS = 64 * 1024;

/**
 * `GET /api/audit/export?format=csv|jsonl[&action=&actor=&subjectType=&subjectId=&workspace=]`:
 * the workspace's audit ledger as a file, headed by the chain's verification result
 * (server/domain/audit/export-format.ts). Signed-in members, or an API token with the `read`
 * scope. Streamed a page at a time: memory stays bounded whatever the ledger's size, and a
 * client that goes away stops the reading.
 */
export async function GET(req: Request) {
  const auth = await authorizeRequest(req, "viewer", "read");
  if (!auth.ok) return Response.json({ message: auth.message }, { status: auth.status });
  const params = Object.fromEntries(
    [...new URL(req.url).searchParams].filter(([k, v]) => k !== "workspace" && v !== ""),
  );
  const parsed = ZExportAuditInput.safeParse(params);
  if (!parsed.success) {
    return Response.json(
      { message: z.prettifyError(parsed.error), issues: z.flattenError(parsed.error).fieldErrors },
      { status: 400 },
    );
  }
  const file = await exportAudit(auth.db, auth.actor, parsed.data);
  const encoder = new TextEncoder();
  const lines = file.lines;
  const body = new ReadableStream<Uint8Array>({
    // About 64 KiB per pull: the next page is read only when the client has taken the last.
    async pull(controller) {
      let chunk = "";
      while (chunk.length < CHUNK_CHARS) {
        const next = await lines.next();
        if (next.done) {
          if (chunk) controller.enqueue(encoder.encode(chunk));
          controller.close();
          return;
        }
        chunk += next.value;
      }
      controller.enqueue(encoder.encode(chunk));
    },
    async cancel() {
      await lines.return(undefined);
    },
  });
  return new Response(body, {
    headers: {
      "content-type": file.contentType,
      "content-disposition": `attachment; filename="${file.filename}"`,
      "cache-control": "no-store",
      "x-trustflow-audit-chain": verificationHeader(file.verification),
    },
  });
}
