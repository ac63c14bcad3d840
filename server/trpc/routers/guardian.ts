import { getGroup, listGroups, listProposals } from "@/server/domain/guardian/groups";
import { mergeGroups, splitGroup } from "@/server/domain/guardian/rules";
import {
  ZGroupId,
  ZListGroupsInput,
  ZListProposalsInput,
  ZMergeGroupsInput,
  ZSplitGroupInput,
} from "@/server/domain/guardian/schemas";
import { router, workspaceProcedure } from "../init";

/**
 * The guardian (issue 18): everyone reads the failure groups (class, why, hints, members) and
 * the fix proposals; editors merge and split groups, which become stored, audited rules.
 */
export const guardianRouter = router({
  groups: workspaceProcedure("viewer")
    .input(ZListGroupsInput)
    .query(({ ctx, input }) => listGroups(ctx.db, ctx.actor, input)),
  group: workspaceProcedure("viewer")
    .input(ZGroupId)
    .query(({ ctx, input }) => getGroup(ctx.db, ctx.actor, input)),
  proposals: workspaceProcedure("viewer")
    .input(ZListProposalsInput)
    .query(({ ctx, input }) => listProposals(ctx.db, ctx.actor, input)),
  merge: workspaceProcedure("editor", { scope: "admin" })
    .input(ZMergeGroupsInput)
    .mutation(({ ctx, input }) => mergeGroups(ctx.db, ctx.actor, input)),
  split: workspaceProcedure("editor", { scope: "admin" })
    .input(ZSplitGroupInput)
    .mutation(({ ctx, input }) => splitGroup(ctx.db, ctx.actor, input)),
});
