import "server-only";
import { getServerSession } from "next-auth";
import { clientAddress } from "@/server/auth/client-address";
import { trustProxy } from "@/server/auth/limits";
import { authOptions } from "@/server/auth/options";
import { services } from "@/server/composition";
import { verifyApiToken } from "@/server/domain/token/api-tokens";
import { createContextInner, type ContextInner } from "./init";

export const WORKSPACE_HEADER = "x-trustflow-workspace";

/** Builds the context of an HTTP call: bearer token first, else the next-auth session cookie. */
export async function createContext(req: Request): Promise<ContextInner> {
  const s = await services();
  const db = s.db;
  const workspaceId = req.headers.get(WORKSPACE_HEADER) || null;
  const address = clientAddress(req.headers, trustProxy());
  const authz = req.headers.get("authorization");
  if (authz?.toLowerCase().startsWith("bearer ")) {
    // Checked on every request (no cache): a revoked or expired token stops at once.
    const check = await verifyApiToken(db, authz.slice(7).trim());
    return check.ok
      ? createContextInner({ db, services: s, tokenActor: check.actor, workspaceId, address })
      : createContextInner({ db, services: s, tokenError: check.message, workspaceId, address });
  }
  // The session's row is checked on every read (server/auth/options.ts): a signed-out, revoked,
  // idle or expired session is null here even when its cookie is presented.
  const session = await getServerSession(authOptions);
  const u = session?.user as
    { id?: string; email?: string | null; name?: string | null } | undefined;
  const user = u?.id ? { id: u.id, email: u.email ?? "", name: u.name ?? "" } : null;
  const sessionId = user ? ((session as { sessionId?: string }).sessionId ?? null) : null;
  return createContextInner({ db, services: s, user, workspaceId, sessionId, address });
}
