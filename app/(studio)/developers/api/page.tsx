import type { Metadata } from "next";
import { ApiReference, type ApiDocument } from "@/components/developers/api-reference";
import { PageHeader } from "@/components/ui/page-header";
import { restApiDocument } from "@/server/rest/document";

export const metadata: Metadata = { title: "REST API" };

/** The REST API's reference, rendered from the same document `/api/v1/openapi.json` serves. */
export default function ApiReferencePage() {
  const doc = restApiDocument() as unknown as ApiDocument;
  return (
    <>
      <PageHeader
        title="REST API"
        description="Start runs, request replays and decide approvals from scripts and CI, with an API token."
      />
      <ApiReference doc={doc} />
    </>
  );
}
