import { openApiDocument, type OpenApiDocument } from "./openapi";
import { ROUTES } from "./routes";

let cached: OpenApiDocument | null = null;

/** The document of the API's route table, built once per process. */
export function restApiDocument(): OpenApiDocument {
  cached ??= openApiDocument(ROUTES);
  return cached;
}
