import "server-only";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { actorMay, type Actor, type Db, type Role, type TokenScope } from "@/server/domain/types";
import { createContext } from "./context";
import { resolveActor, type ContextInner } from "./init";

export type RequestAuthorization =
  { ok: true; actor: Actor; db: Db } | { ok: false; status: number; message: string };

/**
 * The rules of `workspaceProcedure` for a plain route handler (a download, a stream): a session
 * or an API token, membership of the workspace, at least `role`, and for a token `scope` too.
 */
export async function authorizeContext(
  ctx: ContextInner,
  role: Role,
  scope: TokenScope,
): Promise<RequestAuthorization> {
  if (!ctx.user && !ctx.tokenActor) {
    return { ok: false, status: 401, message: ctx.tokenError ?? "Sign in to continue." };
  }
  let actor: Actor;
  try {
    actor = await resolveActor(ctx);
  } catch (err) {
    if (err instanceof TRPCError) {
      return { ok: false, status: getHTTPStatusCodeFromError(err), message: err.message };
    }
    throw err;
  }
  if (!actorMay(actor, role, scope)) {
    return {
      ok: false,
      status: 403,
      message:
        actor.via === "token"
          ? `This needs an API token with the ${scope} scope and a creator with the ${role} role.`
          : `This needs the ${role} role; you are a ${actor.role} here.`,
    };
  }
  return { ok: true, actor, db: ctx.db };
}

/**
 * Authorizes an HTTP request by its bearer token or session cookie. The workspace comes from the
 * `workspace` query parameter (a link cannot set headers), else the `x-trustflow-workspace`
 * header, else the user's first workspace.
 */
export async function authorizeRequest(
  req: Request,
  role: Role,
  scope: TokenScope,
): Promise<RequestAuthorization> {
  const ctx = await createContext(req);
  const fromQuery = new URL(req.url).searchParams.get("workspace");
  return authorizeContext(fromQuery ? { ...ctx, workspaceId: fromQuery } : ctx, role, scope);
}
