import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { z, ZodError } from "zod";
import { AppError } from "@/server/domain/errors";
import {
  hasRole,
  scopeAllows,
  type Actor,
  type Db,
  type Role,
  type TokenScope,
} from "@/server/domain/types";
import { logger } from "@/server/logger";
import { servicesOfClient, type Services } from "@/server/wiring/services";
import { toTRPCError } from "./errors";

export interface SessionUser {
  id: string;
  email: string;
  name: string;
}

/**
 * Everything a procedure may use, without a request: tests build it directly and call
 * `createCaller` (tRPC's next-prisma-starter pattern). `createContext` in the route handler
 * fills it from the session cookie or the bearer token.
 */
export interface ContextInner {
  db: Db;
  /**
   * The process's services (`server/composition.ts`): the request context always carries them;
   * a context built from `db` alone (tests) uses the services built on that database.
   */
  services?: Services;
  user: SessionUser | null;
  /** Workspace the browser asked for (header `x-trustflow-workspace`); default: the first one. */
  workspaceId: string | null;
  /** Set when the call authenticated with `Authorization: Bearer`: bound to one workspace. */
  tokenActor: Actor | null;
  /** Why a presented bearer token was refused (expired, revoked, …): the 401's message. */
  tokenError?: string | null;
  /** The client's address (`server/auth/client-address.ts`), for rate limits; "unknown" if none. */
  address?: string;
  /** The browser session (`UserSession` id) the user signed in with; null for tokens and tests. */
  sessionId?: string | null;
}

export function createContextInner(opts: Partial<ContextInner> & { db: Db }): ContextInner {
  return { user: null, workspaceId: null, tokenActor: null, tokenError: null, ...opts };
}

/**
 * What a procedure declares about itself, read by tests that walk the router: `approves` marks
 * every procedure that decides an approval, so the four-eyes test (four-eyes.int.test.ts)
 * covers a new one without being edited.
 */
export interface ProcedureMeta {
  approves?: boolean;
}

const t = initTRPC
  .context<ContextInner>()
  .meta<ProcedureMeta>()
  .create({
    transformer: superjson,
    errorFormatter({ shape, error }) {
      const cause = error.cause;
      const internal = shape.data.code === "INTERNAL_SERVER_ERROR";
      return {
        ...shape,
        // Unknown errors never leak their details to the caller.
        message: internal
          ? "Something went wrong on our side. The error was logged."
          : shape.message,
        data: {
          ...shape.data,
          // Field by field, for forms: { fieldErrors: { name: ["Use at most 80 characters."] } }.
          zodError: cause instanceof ZodError ? z.flattenError(cause) : null,
          field:
            cause instanceof AppError && typeof cause.details?.field === "string"
              ? cause.details.field
              : null,
        },
      };
    },
  });

/**
 * The services of a context: its own, else the ones `createServices` built on its database
 * (tests build them with `server/testing/services.ts`).
 */
export function servicesOf(ctx: Pick<ContextInner, "db" | "services">): Services {
  const found = ctx.services ?? servicesOfClient(ctx.db);
  if (!found)
    throw new Error(
      "This context has no services: build them with createServices (server/wiring/services.ts) on its database.",
    );
  return found;
}

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/** Turns domain errors into tRPC errors; unknown errors are the only ones logged at error level. */
const errorMapping = t.middleware(async ({ next, path, type }) => {
  const result = await next();
  if (!result.ok) {
    const original = result.error.cause;
    if (original instanceof AppError) throw toTRPCError(original);
    if (result.error.code === "INTERNAL_SERVER_ERROR") {
      logger().error({ err: original ?? result.error, path, type }, "procedure failed");
    }
  }
  return result;
});

export const publicProcedure = t.procedure.use(errorMapping);

export const protectedProcedure = publicProcedure.use(({ ctx, next }) => {
  const user = ctx.user;
  if (!user && !ctx.tokenActor) {
    throw new TRPCError({
      code: "UNAUTHORIZED",
      message: ctx.tokenError ?? "Sign in to continue.",
    });
  }
  return next({ ctx: { ...ctx } });
});

/** Session-only procedures (not reachable with an API token): account-level actions. */
export const userProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.user && ctx.tokenActor) {
    throw new TRPCError({
      code: "FORBIDDEN",
      message: "This needs a signed-in browser session; API tokens cannot do it.",
    });
  }
  if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: "Sign in to continue." });
  return next({ ctx: { ...ctx, user: ctx.user } });
});

export interface WorkspaceProcedureOptions {
  /**
   * The API token scope the procedure needs, when the default does not fit. Default: `read` for
   * queries and for viewer-level mutations, `approve` for approver-level ones, `admin` for every
   * other mutation (flows, triggers, connectors, settings). Run start/cancel say `run`.
   */
  scope?: TokenScope;
  /** Browser sessions only: API tokens are refused (creating tokens, managing members). */
  sessionOnly?: boolean;
}

const MUTATION_SCOPE: Record<Role, TokenScope> = {
  viewer: "read",
  editor: "admin",
  approver: "approve",
  admin: "admin",
};

/** The scope a token needs for a procedure (exported for the tests and the docs). */
export function requiredScope(
  role: Role,
  type: "query" | "mutation" | "subscription",
  opts: WorkspaceProcedureOptions = {},
): TokenScope {
  return opts.scope ?? (type === "mutation" ? MUTATION_SCOPE[role] : "read");
}

/**
 * A procedure scoped to the caller's workspace, requiring at least `role`. Every read and write
 * of workspace data goes through one: the domain receives an `Actor` whose `workspaceId` is the
 * tenant boundary. An API token also needs the procedure's scope (`requiredScope`), and acts
 * with its creator's current role: effective power = scope ∩ role.
 */
export function workspaceProcedure(role: Role, opts: WorkspaceProcedureOptions = {}) {
  return protectedProcedure.use(async ({ ctx, next, type }) => {
    if (opts.sessionOnly && !ctx.user) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: "This needs a signed-in browser session; API tokens cannot do it.",
      });
    }
    const actor = await resolveActor(ctx);
    if (!hasRole(actor.role, role)) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message:
          actor.via === "token"
            ? `This needs the ${role} role; this API token's creator is ${article(actor.role)} ${actor.role} here.`
            : `This needs the ${role} role; you are ${article(actor.role)} ${actor.role} here.`,
      });
    }
    if (actor.via === "token") {
      const scope = requiredScope(role, type, opts);
      if (!scopeAllows(actor.scopes ?? [], scope)) {
        throw new TRPCError({
          code: "FORBIDDEN",
          message: `This needs an API token with the ${scope} scope; this one has ${(actor.scopes ?? []).join(", ") || "none"}.`,
        });
      }
    }
    return next({ ctx: { ...ctx, actor } });
  });
}

function article(word: string) {
  return /^[aeiou]/.test(word) ? "an" : "a";
}

export async function resolveActor(ctx: ContextInner): Promise<Actor> {
  if (ctx.tokenActor) {
    if (ctx.workspaceId && ctx.workspaceId !== ctx.tokenActor.workspaceId) {
      throw new TRPCError({
        code: "FORBIDDEN",
        message: "This API token belongs to another workspace.",
      });
    }
    return ctx.tokenActor;
  }
  const user = ctx.user!;
  const membership = await ctx.db.membership.findFirst({
    where: {
      userId: user.id,
      ...(ctx.workspaceId && isUuid(ctx.workspaceId) ? { workspaceId: ctx.workspaceId } : {}),
    },
    orderBy: { createdAt: "asc" },
  });
  if (!membership || (ctx.workspaceId && membership.workspaceId !== ctx.workspaceId)) {
    throw new TRPCError({
      code: ctx.workspaceId ? "FORBIDDEN" : "PRECONDITION_FAILED",
      message: ctx.workspaceId
        ? "You are not a member of this workspace."
        : "You are not a member of any workspace yet.",
    });
  }
  return {
    userId: user.id,
    label: user.email,
    workspaceId: membership.workspaceId,
    role: membership.role,
    via: "session",
  };
}

const isUuid = (s: string) =>
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s);
