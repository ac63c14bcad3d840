import "server-only";
import { getServerSession } from "next-auth";
import { authOptions } from "@/server/auth/options";
import { database } from "@/server/db";
import { authenticateApiToken } from "@/server/domain/token/api-tokens";
import { createContextInner, type ContextInner } from "./init";

export const WORKSPACE_HEADER = "x-trustflow-workspace";

/** Builds the context of an HTTP call: bearer token first, else the next-auth session cookie. */
export async function createContext(req: Request): Promise<ContextInner> {
  const db = (await database()).prisma;
  const workspaceId = req.headers.get(WORKSPACE_HEADER) || null;
  const authz = req.headers.get("authorization");
  if (authz?.toLowerCase().startsWith("bearer ")) {
    const tokenActor = await authenticateApiToken(db, authz.slice(7).trim());
    return createContextInner({ db, tokenActor, workspaceId, user: null });
  }
  const session = await getServerSession(authOptions);
  const u = session?.user as
    { id?: string; email?: string | null; name?: string | null } | undefined;
  const user = u?.id ? { id: u.id, email: u.email ?? "", name: u.name ?? "" } : null;
  return createContextInner({ db, user, workspaceId });
}
