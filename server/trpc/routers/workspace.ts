import {
  addMember,
  createWorkspace,
  listMembers,
  listMyWorkspaces,
  removeMember,
  setMemberRole,
  ZAddMemberInput,
  ZCreateWorkspaceInput,
  ZRemoveMemberInput,
  ZSetRoleInput,
} from "@/server/domain/workspace/workspaces";
import { router, userProcedure, workspaceProcedure } from "../init";

export const workspaceRouter = router({
  /** Workspaces of the signed-in user, for the switcher. */
  mine: userProcedure.query(({ ctx }) => listMyWorkspaces(ctx.db, ctx.user.id)),
  /** The workspace the caller acts in, with their role there. */
  current: workspaceProcedure("viewer").query(async ({ ctx }) => {
    const ws = await ctx.db.workspace.findUniqueOrThrow({
      where: { id: ctx.actor.workspaceId },
      select: { id: true, name: true, slug: true },
    });
    return { ...ws, role: ctx.actor.role };
  }),
  create: userProcedure
    .input(ZCreateWorkspaceInput)
    .mutation(({ ctx, input }) => createWorkspace(ctx.db, ctx.user, input)),
  members: workspaceProcedure("viewer").query(({ ctx }) => listMembers(ctx.db, ctx.actor)),
  addMember: workspaceProcedure("admin")
    .input(ZAddMemberInput)
    .mutation(({ ctx, input }) => addMember(ctx.db, ctx.actor, input)),
  setRole: workspaceProcedure("admin")
    .input(ZSetRoleInput)
    .mutation(({ ctx, input }) => setMemberRole(ctx.db, ctx.actor, input)),
  removeMember: workspaceProcedure("admin")
    .input(ZRemoveMemberInput)
    .mutation(({ ctx, input }) => removeMember(ctx.db, ctx.actor, input)),
});
