import {
  allowEgressHost,
  listEgressHosts,
  removeEgressHost,
} from "@/server/domain/egress/egress-allow-list";
import { ZAllowEgressHostInput, ZRemoveEgressHostInput } from "@/server/domain/egress/schemas";
import { router, workspaceProcedure } from "../init";

/** The outbound allow-list: admins read and change it (each change a ledger entry). */
export const egressRouter = router({
  list: workspaceProcedure("admin").query(({ ctx }) => listEgressHosts(ctx.db, ctx.actor)),
  allow: workspaceProcedure("admin")
    .input(ZAllowEgressHostInput)
    .mutation(({ ctx, input }) => allowEgressHost(ctx.db, ctx.actor, input)),
  remove: workspaceProcedure("admin")
    .input(ZRemoveEgressHostInput)
    .mutation(({ ctx, input }) => removeEgressHost(ctx.db, ctx.actor, input)),
});
