import { search, ZSearchInput } from "@/server/domain/search/search";
import { router, workspaceProcedure } from "../init";

export const searchRouter = router({
  /** The command palette's search: flows, versions, runs, step errors, audit entries. */
  query: workspaceProcedure("viewer")
    .input(ZSearchInput)
    .query(({ ctx, input }) => search(ctx.db, ctx.actor, input)),
});
