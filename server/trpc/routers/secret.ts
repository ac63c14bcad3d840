import { ZSecretNameInput, ZSetSecretInput } from "@/server/domain/secret/schemas";
import { deleteSecret, listSecrets, setSecret } from "@/server/domain/secret/secrets";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Workspace secrets (`secrets.<name>` in flows): everyone in the workspace lists names and hints;
 * editors and admins set (write-only) and delete.
 */
export const secretRouter = router({
  list: workspaceProcedure("viewer").query(({ ctx }) => listSecrets(ctx.db, ctx.actor)),
  set: workspaceProcedure("editor")
    .input(ZSetSecretInput)
    .mutation(({ ctx, input }) => setSecret(ctx.db, ctx.actor, input, servicesOf(ctx).connectors)),
  delete: workspaceProcedure("editor")
    .input(ZSecretNameInput)
    .mutation(({ ctx, input }) => deleteSecret(ctx.db, ctx.actor, input)),
});
