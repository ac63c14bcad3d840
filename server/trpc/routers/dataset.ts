import {
  archiveDataset,
  createDataset,
  datasetRows,
  diffDatasetVersions,
  generateDataset,
  getDataset,
  listDatasets,
  listDatasetVersions,
  recordDataset,
  uploadDataset,
} from "@/server/domain/sandbox/datasets";
import {
  ZCreateDatasetInput,
  ZDatasetId,
  ZDatasetRowsInput,
  ZDatasetVersionsInput,
  ZDiffDatasetInput,
  ZGenerateDatasetInput,
  ZListDatasetsInput,
  ZRecordDatasetInput,
  ZUploadDatasetInput,
} from "@/server/domain/sandbox/datasets-schemas";
import { router, servicesOf, workspaceProcedure } from "../init";

/**
 * Datasets of sandbox sessions (issue 16): editors create, add versions (upload, generate,
 * record) and archive; viewers list, browse rows and diff versions.
 */
export const datasetRouter = router({
  list: workspaceProcedure("viewer")
    .input(ZListDatasetsInput)
    .query(({ ctx, input }) => listDatasets(ctx.db, ctx.actor, input)),
  get: workspaceProcedure("viewer")
    .input(ZDatasetId)
    .query(({ ctx, input }) => getDataset(ctx.db, ctx.actor, input)),
  versions: workspaceProcedure("viewer")
    .input(ZDatasetVersionsInput)
    .query(({ ctx, input }) => listDatasetVersions(ctx.db, ctx.actor, input)),
  rows: workspaceProcedure("viewer")
    .input(ZDatasetRowsInput)
    .query(({ ctx, input }) => datasetRows(ctx.db, ctx.actor, input)),
  diff: workspaceProcedure("viewer")
    .input(ZDiffDatasetInput)
    .query(({ ctx, input }) => diffDatasetVersions(ctx.db, ctx.actor, input)),
  create: workspaceProcedure("editor")
    .input(ZCreateDatasetInput)
    .mutation(({ ctx, input }) => createDataset(ctx.db, ctx.actor, input)),
  upload: workspaceProcedure("editor")
    .input(ZUploadDatasetInput)
    .mutation(({ ctx, input }) => uploadDataset(ctx.db, ctx.actor, input)),
  generate: workspaceProcedure("editor")
    .input(ZGenerateDatasetInput)
    .mutation(({ ctx, input }) =>
      generateDataset(ctx.db, servicesOf(ctx).datasets, ctx.actor, input),
    ),
  record: workspaceProcedure("editor")
    .input(ZRecordDatasetInput)
    .mutation(({ ctx, input }) =>
      recordDataset(ctx.db, servicesOf(ctx).datasets, ctx.actor, input),
    ),
  archive: workspaceProcedure("editor")
    .input(ZDatasetId)
    .mutation(({ ctx, input }) => archiveDataset(ctx.db, ctx.actor, input)),
});
