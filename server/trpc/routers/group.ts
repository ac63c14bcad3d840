import {
  addGroupMember,
  createGroup,
  deleteGroup,
  listGroups,
  removeGroupMember,
  updateGroup,
} from "@/server/domain/group/groups";
import {
  ZCreateGroupInput,
  ZGroupIdInput,
  ZGroupMemberInput,
  ZUpdateGroupInput,
} from "@/server/domain/group/schemas";
import { workspaceDirectory } from "@/server/domain/group/workspace-directory";
import { router, workspaceProcedure } from "../init";

/**
 * Workspace groups (`group: <name>` in approvals and forms): everyone in the workspace reads
 * them and the directory the studio checks flows against; admins change them (each change a
 * ledger entry).
 */
export const groupRouter = router({
  list: workspaceProcedure("viewer").query(({ ctx }) => listGroups(ctx.db, ctx.actor)),
  /** Group names and member emails: the studio's `directory` compile option (TF3060). */
  directory: workspaceProcedure("viewer").query(({ ctx }) =>
    workspaceDirectory(ctx.db, ctx.actor.workspaceId),
  ),
  create: workspaceProcedure("admin")
    .input(ZCreateGroupInput)
    .mutation(({ ctx, input }) => createGroup(ctx.db, ctx.actor, input)),
  update: workspaceProcedure("admin")
    .input(ZUpdateGroupInput)
    .mutation(({ ctx, input }) => updateGroup(ctx.db, ctx.actor, input)),
  delete: workspaceProcedure("admin")
    .input(ZGroupIdInput)
    .mutation(({ ctx, input }) => deleteGroup(ctx.db, ctx.actor, input)),
  addMember: workspaceProcedure("admin")
    .input(ZGroupMemberInput)
    .mutation(({ ctx, input }) => addGroupMember(ctx.db, ctx.actor, input)),
  removeMember: workspaceProcedure("admin")
    .input(ZGroupMemberInput)
    .mutation(({ ctx, input }) => removeGroupMember(ctx.db, ctx.actor, input)),
});
