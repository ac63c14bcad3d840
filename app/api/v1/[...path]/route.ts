import { env } from "@/server/env";
import { handleRestRequest } from "@/server/rest/dispatch";
import { createContext } from "@/server/trpc/context";

export const dynamic = "force-dynamic";

/** The public REST API (`server/rest/`): one route table behind one handler. */
function handler(req: Request) {
  return handleRestRequest(req, { createContext, publicUrl: env().NEXTAUTH_URL });
}

export { handler as GET, handler as POST, handler as PUT, handler as PATCH, handler as DELETE };
