/** The generic HTTP connector (`system: http`). */
import type { BlockDefinition } from "../../types";
import { obj, oneOfValues, str } from "./json-schema";

/** HTTP blocks. */
export const httpBlocks: BlockDefinition[] = [
  {
    id: "http.request",
    version: "1.2.0",
    kind: "connector",
    system: "http",
    title: "HTTP request",
    docs: "Calls an external HTTPS endpoint.\n\n- Counted as a **write**: the registry cannot know what a URL does; use a typed connector when one exists.\n- Secrets go in `headers` through `${{ secrets.NAME }}`, never literally.\n- Non-2xx responses fail the attempt; 429 and 5xx are retried, other 4xx are not.\n- Governance: `no-external-http-in-sandbox@1` forbids it in sandbox-only flows.",
    inputSchema: obj(
      {
        method: oneOfValues(["GET", "POST", "PUT", "PATCH", "DELETE"]),
        url: str("HTTPS URL", { format: "uri", pattern: "^https://" }),
        headers: { type: "object", additionalProperties: { type: "string" }, maxProperties: 50 },
        query: { type: "object", additionalProperties: { type: ["string", "number", "boolean"] } },
        body: { description: "JSON body (objects and arrays are serialised)" },
        timeoutMs: { type: "integer", minimum: 100, maximum: 120000 },
      },
      ["method", "url"],
    ),
    outputSchema: obj(
      {
        status: { type: "integer", minimum: 100, maximum: 599 },
        headers: { type: "object", additionalProperties: { type: "string" } },
        body: { description: "Parsed JSON body, or the text when not JSON" },
      },
      ["status", "headers"],
    ),
    sideEffect: "write",
    sla: { tier: "T2" },
    baselineTrust: 0.95,
    example: { method: "GET", url: "https://api.example.com/v1/status" },
    tags: ["http", "external"],
  },
];
