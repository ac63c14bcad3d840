/**
 * Real model routes of a sandbox session (issue 16). Without them a session's agent steps reach
 * only the built-in demo model (or its scripted model), and nothing leaves the process. A
 * workspace admin may opt a session in to named models of the model router (the configured
 * models, `TRUSTFLOW_MODELS`): its agent steps then reach those models too, through the router,
 * its budgets, the PII guard and the egress guard, like live agent steps
 * (`server/wiring/sandbox-models.ts`); connector steps stay on the session's mocks. Opting in
 * (or out: no routes) is a ledger entry naming the routes, recorded on the session.
 */
import { z } from "zod";
import { appendAudit } from "../audit/ledger";
import type { ModelCatalog } from "../agent/ports";
import { AppError, notFound } from "../errors";
import { hasRole, type Actor, type Db } from "../types";
import { sessionModelRoutes } from "./model-routes";
import { mayUse } from "./sessions";

/** Real model routes one session may be opted in to. */
export const MAX_SESSION_MODEL_ROUTES = 5;

export const ZSetModelRoutesInput = z.object({
  id: z.uuid("Not a session id."),
  routes: z
    .array(z.string().trim().min(1, "Name the model.").max(200))
    .max(
      MAX_SESSION_MODEL_ROUTES,
      `Opt a session in to at most ${MAX_SESSION_MODEL_ROUTES} model routes.`,
    )
    .refine((r) => new Set(r).size === r.length, { message: "Name each model route once." }),
});
export type SetModelRoutesInput = z.input<typeof ZSetModelRoutesInput>;

/**
 * Opts a session in to named real model routes, replacing the previous ones (admin only; `[]`
 * opts it out). Each route must name a configured model other than the demo model; the
 * session must be open. Returns the session's routes.
 */
export async function setSessionModelRoutes(
  db: Db,
  catalog: ModelCatalog,
  actor: Actor,
  raw: SetModelRoutesInput,
  now = Date.now(),
): Promise<{ id: string; modelRoutes: string[] }> {
  if (!hasRole(actor.role, "admin")) {
    throw new AppError("FORBIDDEN", {
      message: "Only workspace admins may let a sandbox session reach real models.",
    });
  }
  const input = ZSetModelRoutesInput.parse(raw);
  const session = await db.sandboxSession.findFirst({
    where: { id: input.id, workspaceId: actor.workspaceId },
  });
  if (!session || !mayUse(session, actor)) throw notFound("Sandbox session");
  if (session.closedAt || session.expiresAt.getTime() <= now) {
    throw new AppError("PRECONDITION_FAILED", {
      message: "This sandbox session is closed or expired.",
    });
  }
  if (input.routes.length) {
    let configured: string[];
    try {
      configured = catalog
        .describe()
        .models.filter((m) => !m.demo)
        .map((m) => m.name);
    } catch (e) {
      throw new AppError("PRECONDITION_FAILED", {
        message: `The model configuration is broken: ${(e as Error).message}`,
      });
    }
    const unknown = input.routes.filter((r) => !configured.includes(r));
    if (unknown.length) {
      throw new AppError("INVALID_INPUT", {
        message: `${unknown.map((r) => JSON.stringify(r)).join(", ")} ${unknown.length > 1 ? "are not configured models" : "is not a configured model"} of the model router (the demo model needs no opt-in). ${
          configured.length
            ? `Configured: ${configured.join(", ")}.`
            : "No real model is configured (TRUSTFLOW_MODELS)."
        }`,
        details: { field: "routes" },
      });
    }
  }
  const previous = await sessionModelRoutes(db, actor.workspaceId, session.id);
  await db.$transaction(async (tx) => {
    if (input.routes.length) {
      await tx.sandboxModelRoutes.upsert({
        where: { sessionId: session.id },
        create: {
          sessionId: session.id,
          workspaceId: actor.workspaceId,
          routes: input.routes,
          allowedBy: actor.userId,
          allowedAt: new Date(now),
        },
        update: { routes: input.routes, allowedBy: actor.userId, allowedAt: new Date(now) },
      });
    } else {
      await tx.sandboxModelRoutes.deleteMany({ where: { sessionId: session.id } });
    }
    await appendAudit(tx, actor, {
      action: "sandbox.models",
      subjectType: "sandbox_session",
      subjectId: session.id,
      payload: { routes: input.routes, previous },
    });
  });
  return { id: session.id, modelRoutes: input.routes };
}
