import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/trpc/root";
import { createContext } from "@/server/trpc/context";
import { admissionResponseMeta } from "@/server/domain/run/admission";
import { readBoundedBody } from "@/server/http/read-bounded-body";
import { env } from "@/server/env";
import { checkCrossSiteRequest, csrfResponse } from "@/server/http/csrf";

export const dynamic = "force-dynamic";

/**
 * Request bodies above this size are refused before parsing (flows are limited to 1 MB of text),
 * counted as they stream in: a chunked body without `Content-Length` is cut off at the limit.
 */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
/**
 * A dataset upload carries a file of up to 5 MB as JSON text (quotes and line breaks escaped):
 * its calls may send more; the procedure counts the file's own bytes.
 */
const MAX_UPLOAD_BODY_BYTES = 12 * 1024 * 1024;

function bodyLimitOf(url: string): number {
  const paths = new URL(url).pathname.replace(/^\/api\/trpc\//, "").split(",");
  return paths.includes("dataset.upload") ? MAX_UPLOAD_BODY_BYTES : MAX_BODY_BYTES;
}

async function handler(incoming: Request) {
  // Cookie-authenticated changes only from our own pages, and only as JSON (server/http/csrf.ts).
  const forged = checkCrossSiteRequest(incoming, { publicUrl: env().NEXTAUTH_URL });
  if (forged) return csrfResponse(forged);
  let req = incoming;
  if (incoming.body) {
    const body = await readBoundedBody(incoming, bodyLimitOf(incoming.url), {
      answer: (message) =>
        Response.json({ error: { message, code: "BAD_REQUEST" } }, { status: 413 }),
    });
    if (!body.ok) return body.response;
    // tRPC reads the body that was counted, never the client's stream.
    const headers = new Headers(incoming.headers);
    headers.delete("transfer-encoding");
    headers.set("content-length", String(body.bytes.byteLength));
    req = new Request(incoming.url, {
      method: incoming.method,
      headers,
      body: body.bytes,
      signal: incoming.signal,
    });
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContext(req),
    // Admission control refused a start (nothing was recorded): its status and Retry-After.
    responseMeta: admissionResponseMeta,
  });
}

export { handler as GET, handler as POST };
