/**
 * The records a connector block input can name, for the Run form's id pickers: "which billing
 * accounts are there?" answered from the workspace's built-in mock service. Only where the
 * workspace's connector for the block's system is that mock (`mock://<system>`, or none in the
 * demo workspace, as the runtime resolves it): a connector to a real system is never called to
 * fill a form; the answer then says why there is no list, and the id is typed.
 */
import type { JsonSchema } from "@/dsl";
import { AppError } from "../errors";
import type { Actor, Db } from "../types";
import { serverRegistry } from "../workflow/compile-flow";
import { mockBaseUrl } from "./types";
import type { MockRecordLookup } from "./ports";
import { CONNECTOR_SYSTEMS, type LookupRecordsInput } from "./schemas";

type MockSystem = (typeof CONNECTOR_SYSTEMS)[number];

export type LookupRecordsResult =
  | {
      available: true;
      system: MockSystem;
      /** The connector the records come from (its name). */
      connector: string;
      collection: string;
      noun: string;
      items: Array<{ id: string; label: string }>;
      total: number;
    }
  | { available: false; system: string; reason: string };

/** Id patterns longer than this are not treated as record ids (the registry's are ~20). */
const MAX_ID_PATTERN = 200;

function invalid(message: string, field: string) {
  return new AppError("INVALID_INPUT", { message, details: { field } });
}

/**
 * Lists the mock records `input.field` of block `input.uses` names. The block must be a built-in
 * CRM, billing or CLM connector block and the field an input of it; a field that is not a record
 * id (no id pattern) or a workspace without a mock connector answers `available: false` with the
 * reason.
 */
export async function lookupRecords(
  db: Db,
  actor: Actor,
  input: LookupRecordsInput,
  deps: { records: MockRecordLookup },
): Promise<LookupRecordsResult> {
  const resolved = serverRegistry().resolve(input.uses);
  if (!resolved.ok) throw invalid(`There is no block ${input.uses}.`, "uses");
  const block = resolved.block;
  const system = block.system ?? "";
  if (block.kind !== "connector" || !(CONNECTOR_SYSTEMS as readonly string[]).includes(system)) {
    throw invalid(`${input.uses} is not a CRM, billing or CLM connector block.`, "uses");
  }
  const props = (block.inputSchema.properties ?? {}) as Record<string, JsonSchema>;
  const schema = Object.hasOwn(props, input.field) ? props[input.field] : undefined;
  if (!schema) throw invalid(`${input.uses} has no input "${input.field}".`, "field");
  const pattern = typeof schema.pattern === "string" ? schema.pattern : null;
  if (!pattern || pattern.length > MAX_ID_PATTERN) {
    return { available: false, system, reason: `${input.field} is not a record id.` };
  }

  const connector = await db.connector.findFirst({
    where: { workspaceId: actor.workspaceId, system },
    select: { name: true, baseUrl: true },
  });
  let name: string;
  if (connector) {
    if (connector.baseUrl.replace(/\/+$/, "") !== mockBaseUrl(system)) {
      return {
        available: false,
        system,
        reason: `The ${system} connector "${connector.name}" is not the built-in mock service, so its records are not listed here: type the id.`,
      };
    }
    name = connector.name;
  } else {
    // As the runtime resolves connectors: the demo workspace falls back to the mock service.
    const ws = await db.workspace.findUnique({
      where: { id: actor.workspaceId },
      select: { slug: true },
    });
    if (ws?.slug !== "demo") {
      return {
        available: false,
        system,
        reason: `No ${system} connector is configured in this workspace: add one on the Connectors page.`,
      };
    }
    name = mockBaseUrl(system);
  }

  // The pattern comes from the server's own block registry, never from the caller.
  const page = deps.records.list({
    system: system as MockSystem,
    tenant: actor.workspaceId,
    idPattern: new RegExp(pattern, "u"),
    query: input.query,
    limit: input.limit,
  });
  if (!page) {
    return { available: false, system, reason: `${input.field} is not a record id.` };
  }
  return { available: true, system: system as MockSystem, connector: name, ...page };
}
