import {
  createApiToken,
  listApiTokens,
  revokeApiToken,
  ZCreateTokenInput,
  ZRevokeTokenInput,
} from "@/server/domain/token/api-tokens";
import { router, workspaceProcedure } from "../init";

export const tokenRouter = router({
  list: workspaceProcedure("admin").query(({ ctx }) => listApiTokens(ctx.db, ctx.actor)),
  create: workspaceProcedure("admin")
    .input(ZCreateTokenInput)
    .mutation(({ ctx, input }) => createApiToken(ctx.db, ctx.actor, input)),
  revoke: workspaceProcedure("admin")
    .input(ZRevokeTokenInput)
    .mutation(({ ctx, input }) => revokeApiToken(ctx.db, ctx.actor, input)),
});
