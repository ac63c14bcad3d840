import { loadDatasetVersion } from "@/server/domain/sandbox/datasets";
import type { EvalDeps } from "@/server/domain/sandbox/evals-ports";
import { compareEvalRuns, getEvalRun } from "@/server/domain/sandbox/evals-results";
import {
  ZCompareInput,
  ZCreateSuiteInput,
  ZEvalRunId,
  ZListSuitesInput,
  ZStartEvalRunInput,
  ZSuiteId,
} from "@/server/domain/sandbox/evals-schemas";
import { startEvalRun } from "@/server/domain/sandbox/evals-start";
import {
  archiveSuite,
  createSuite,
  getSuite,
  listSuites,
} from "@/server/domain/sandbox/evals-suites";
import { router, servicesOf, workspaceProcedure } from "../init";

/** The eval use cases' dependencies: the run services and the datasets' loader. */
function evalDeps(ctx: Parameters<typeof servicesOf>[0]): EvalDeps {
  return { ...servicesOf(ctx), datasets: loadDatasetVersion };
}

/**
 * Evaluation suites (issue 16, item 8): editors create, archive and run suites in a sandbox
 * session; viewers read suites, results and comparisons.
 */
export const evalSuiteRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListSuitesInput)
    .query(({ ctx, input }) => listSuites(ctx.db, ctx.actor, input)),
  get: workspaceProcedure("viewer")
    .input(ZSuiteId)
    .query(({ ctx, input }) => getSuite(ctx.db, ctx.actor, input)),
  create: workspaceProcedure("editor")
    .input(ZCreateSuiteInput)
    .mutation(({ ctx, input }) => createSuite(evalDeps(ctx), ctx.actor, input)),
  archive: workspaceProcedure("editor")
    .input(ZSuiteId)
    .mutation(({ ctx, input }) => archiveSuite(ctx.db, ctx.actor, input)),
  run: workspaceProcedure("editor")
    .input(ZStartEvalRunInput)
    .mutation(({ ctx, input }) => startEvalRun(evalDeps(ctx), ctx.actor, input)),
  result: workspaceProcedure("viewer")
    .input(ZEvalRunId)
    .query(({ ctx, input }) => getEvalRun(ctx.db, ctx.actor, input)),
  compare: workspaceProcedure("viewer")
    .input(ZCompareInput)
    .query(({ ctx, input }) => compareEvalRuns(ctx.db, ctx.actor, input)),
});
