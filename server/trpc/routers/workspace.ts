import {
  acceptInvitation,
  createInvitation,
  listInvitations,
  previewInvitation,
  revokeInvitation,
  ZInvitationTokenInput,
  ZInviteInput,
  ZRevokeInvitationInput,
} from "@/server/domain/workspace/invitations";
import {
  createWorkspace,
  listMembers,
  listMyWorkspaces,
  removeMember,
  setMemberRole,
  ZCreateWorkspaceInput,
  ZRemoveMemberInput,
  ZSetRoleInput,
} from "@/server/domain/workspace/workspaces";
import { router, userProcedure, workspaceProcedure } from "../init";

/** Managing members and invitations: admins in a browser session, never an API token. */
const memberAdmin = workspaceProcedure("admin", { sessionOnly: true });

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
  /** Invites an email with a role: returns the one-time token of the link, shown once. */
  invite: memberAdmin
    .input(ZInviteInput)
    .mutation(({ ctx, input }) => createInvitation(ctx.db, ctx.actor, input)),
  invitations: memberAdmin.query(({ ctx }) => listInvitations(ctx.db, ctx.actor)),
  revokeInvitation: memberAdmin
    .input(ZRevokeInvitationInput)
    .mutation(({ ctx, input }) => revokeInvitation(ctx.db, ctx.actor, input)),
  /** What an invitation link offers, for the signed-in holder of the link. */
  invitation: userProcedure
    .input(ZInvitationTokenInput)
    .query(({ ctx, input }) => previewInvitation(ctx.db, input.token)),
  /** Accepts an invitation addressed to the signed-in user's email: the membership starts now. */
  acceptInvitation: userProcedure
    .input(ZInvitationTokenInput)
    .mutation(({ ctx, input }) => acceptInvitation(ctx.db, ctx.user, input.token)),
  setRole: memberAdmin
    .input(ZSetRoleInput)
    .mutation(({ ctx, input }) => setMemberRole(ctx.db, ctx.actor, input)),
  removeMember: memberAdmin
    .input(ZRemoveMemberInput)
    .mutation(({ ctx, input }) => removeMember(ctx.db, ctx.actor, input)),
});
