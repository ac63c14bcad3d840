import { mockRecordLookup } from "@/server/adapters/connectors/mock/record-lookup";
import { serverEgressGuard } from "@/server/adapters/egress/server-guard";
import { importOpenApiDocument } from "@/server/domain/connector/import-openapi-url";
import { lookupRecords } from "@/server/domain/connector/lookup-records";
import {
  createConnector,
  deleteConnector,
  getConnector,
  listConnectors,
  rotateCredentials,
  setCredential,
  updateConnector,
} from "@/server/domain/connector/connectors";
import {
  ZConnectorIdInput,
  ZCreateConnectorInput,
  ZImportOpenApiRequest,
  ZLookupRecordsInput,
  ZSetCredentialInput,
  ZUpdateConnectorInput,
} from "@/server/domain/connector/schemas";
import { router, servicesOf, workspaceProcedure } from "../init";

const records = mockRecordLookup();

/** Connectors: viewers list and read; admins manage them and their (write-only) credentials. */
export const connectorRouter = router({
  list: workspaceProcedure("viewer").query(({ ctx }) => listConnectors(ctx.db, ctx.actor)),
  get: workspaceProcedure("viewer")
    .input(ZConnectorIdInput)
    .query(({ ctx, input }) => getConnector(ctx.db, ctx.actor, input, servicesOf(ctx).connectors)),
  create: workspaceProcedure("admin")
    .input(ZCreateConnectorInput)
    .mutation(({ ctx, input }) => createConnector(ctx.db, ctx.actor, input)),
  update: workspaceProcedure("admin")
    .input(ZUpdateConnectorInput)
    .mutation(({ ctx, input }) =>
      updateConnector(ctx.db, ctx.actor, input, servicesOf(ctx).connectors),
    ),
  delete: workspaceProcedure("admin")
    .input(ZConnectorIdInput)
    .mutation(({ ctx, input }) => deleteConnector(ctx.db, ctx.actor, input)),
  setCredential: workspaceProcedure("admin")
    .input(ZSetCredentialInput)
    .mutation(({ ctx, input }) =>
      setCredential(ctx.db, ctx.actor, input, servicesOf(ctx).connectors),
    ),
  // A pasted `document`, or a `url` the server fetches through the egress guard.
  importOpenApi: workspaceProcedure("admin")
    .input(ZImportOpenApiRequest)
    .mutation(({ ctx, input }) =>
      importOpenApiDocument(ctx.db, ctx.actor, input, {
        ...servicesOf(ctx).connectors,
        fetchFor: serverEgressGuard(ctx.db).fetchFor,
      }),
    ),
  // The ids a block input can take, from the workspace's built-in mock service (Run form pickers).
  lookupRecords: workspaceProcedure("viewer")
    .input(ZLookupRecordsInput)
    .query(({ ctx, input }) => lookupRecords(ctx.db, ctx.actor, input, { records })),
  rotateCredentials: workspaceProcedure("admin").mutation(({ ctx }) =>
    rotateCredentials(ctx.db, ctx.actor, servicesOf(ctx).connectors),
  ),
});
