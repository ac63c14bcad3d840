import {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  ZCreateTokenInput,
  ZRevokeTokenInput,
} from "@/server/domain/token/api-tokens";
import { router, workspaceProcedure } from "../init";

/** Tokens are managed from a browser session only: a token never mints or lists tokens. */
const session = { sessionOnly: true } as const;

export const tokenRouter = router({
  list: workspaceProcedure("admin", session).query(({ ctx }) => listApiTokens(ctx.db, ctx.actor)),
  create: workspaceProcedure("admin", session)
    .input(ZCreateTokenInput)
    .mutation(({ ctx, input }) => createApiToken(ctx.db, ctx.actor, input)),
  revoke: workspaceProcedure("admin", session)
    .input(ZRevokeTokenInput)
    .mutation(({ ctx, input }) => revokeApiToken(ctx.db, ctx.actor, input)),
});
