import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { appRouter } from "@/server/trpc/root";
import { createContext } from "@/server/trpc/context";

export const dynamic = "force-dynamic";

/** Requests above this size are refused before parsing (flows are limited to 1 MB of text). */
const MAX_BODY_BYTES = 2 * 1024 * 1024;

async function handler(req: Request) {
  const length = Number(req.headers.get("content-length") ?? 0);
  if (length > MAX_BODY_BYTES) {
    return Response.json(
      {
        error: {
          message: `Request body too large (limit ${MAX_BODY_BYTES} bytes).`,
          code: "BAD_REQUEST",
        },
      },
      { status: 413 },
    );
  }
  return fetchRequestHandler({
    endpoint: "/api/trpc",
    req,
    router: appRouter,
    createContext: () => createContext(req),
  });
}

export { handler as GET, handler as POST };
