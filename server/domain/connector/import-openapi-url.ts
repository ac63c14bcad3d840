/**
 * OpenAPI import from a pasted document or by URL. By URL, the document is fetched through the
 * egress guard bound to the actor's workspace (https, resolved address checked, redirects
 * re-checked, size and time capped), then imported exactly as a pasted document.
 */
import { redactUrl } from "@/server/engine/redact";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import { importOpenApiConnector } from "./connectors";
import type { ConnectorDeps } from "./ports";
import type { ImportOpenApiRequest } from "./schemas";

/** The largest document accepted (as for a pasted one). */
const MAX_DOCUMENT_CHARS = 2_000_000;

export interface ImportDocumentDeps extends Pick<ConnectorDeps, "parseOpenApi"> {
  /** The egress guard's fetch bound to a workspace. */
  fetchFor: (workspaceId: string) => typeof fetch;
}

/** Fetches the text at `url` through the workspace's egress guard. */
async function fetchDocument(url: string, fetchImpl: typeof fetch): Promise<string> {
  let text: string;
  try {
    const res = await fetchImpl(url, {
      headers: { accept: "application/json, application/yaml, text/yaml, */*" },
    });
    text = await res.text();
    if (!res.ok) {
      throw new AppError("INVALID_INPUT", {
        message: `The document URL answered HTTP ${res.status}.`,
        details: { field: "url" },
      });
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    throw new AppError("INVALID_INPUT", {
      message: `The document could not be fetched: ${redactUrl((err as Error).message)}`,
      details: { field: "url" },
      cause: err,
    });
  }
  if (text.length > MAX_DOCUMENT_CHARS) {
    throw new AppError("INVALID_INPUT", {
      message: "The document is larger than 2 MB.",
      details: { field: "url" },
    });
  }
  return text;
}

/** Imports (or re-imports) connector `input.name` from `input.document` or `input.url`. */
export async function importOpenApiDocument(
  db: Db,
  actor: Actor,
  input: ImportOpenApiRequest,
  deps: ImportDocumentDeps,
) {
  const { url, document, ...rest } = input;
  const text =
    document ??
    (url !== undefined ? await fetchDocument(url, deps.fetchFor(actor.workspaceId)) : "");
  return importOpenApiConnector(db, actor, { ...rest, document: text }, deps);
}
