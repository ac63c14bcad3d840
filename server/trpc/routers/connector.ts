import { connectorDeps } from "@/server/adapters/connectors/vault";
import {
  createConnector,
  deleteConnector,
  getConnector,
  importOpenApiConnector,
  listConnectors,
  rotateCredentials,
  setCredential,
  updateConnector,
} from "@/server/domain/connector/connectors";
import {
  ZConnectorIdInput,
  ZCreateConnectorInput,
  ZImportOpenApiInput,
  ZSetCredentialInput,
  ZUpdateConnectorInput,
} from "@/server/domain/connector/schemas";
import { router, workspaceProcedure } from "../init";

const deps = connectorDeps();

/** Connectors: viewers list and read; admins manage them and their (write-only) credentials. */
export const connectorRouter = router({
  list: workspaceProcedure("viewer").query(({ ctx }) => listConnectors(ctx.db, ctx.actor)),
  get: workspaceProcedure("viewer")
    .input(ZConnectorIdInput)
    .query(({ ctx, input }) => getConnector(ctx.db, ctx.actor, input, deps)),
  create: workspaceProcedure("admin")
    .input(ZCreateConnectorInput)
    .mutation(({ ctx, input }) => createConnector(ctx.db, ctx.actor, input)),
  update: workspaceProcedure("admin")
    .input(ZUpdateConnectorInput)
    .mutation(({ ctx, input }) => updateConnector(ctx.db, ctx.actor, input)),
  delete: workspaceProcedure("admin")
    .input(ZConnectorIdInput)
    .mutation(({ ctx, input }) => deleteConnector(ctx.db, ctx.actor, input)),
  setCredential: workspaceProcedure("admin")
    .input(ZSetCredentialInput)
    .mutation(({ ctx, input }) => setCredential(ctx.db, ctx.actor, input, deps)),
  importOpenApi: workspaceProcedure("admin")
    .input(ZImportOpenApiInput)
    .mutation(({ ctx, input }) => importOpenApiConnector(ctx.db, ctx.actor, input, deps)),
  rotateCredentials: workspaceProcedure("admin").mutation(({ ctx }) =>
    rotateCredentials(ctx.db, ctx.actor, deps),
  ),
});
