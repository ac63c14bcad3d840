import { restApiDocument } from "@/server/rest/document";

export const dynamic = "force-dynamic";

/** The REST API's OpenAPI 3.1 document: public, like the reference page it renders. */
export function GET() {
  return Response.json(restApiDocument(), {
    headers: { "cache-control": "public, max-age=300" },
  });
}
