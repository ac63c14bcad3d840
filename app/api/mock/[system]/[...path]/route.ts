import { answerMock } from "@/server/mock-endpoint";

// The mock CRM, billing and CLM services (server/adapters/connectors/REST.md) over HTTP: for a
// signed-in member or an API token of the workspace they serve, the tenant always the caller's
// workspace; fault injection at `/_faults` needs the editor role (server/mock-endpoint.ts).
// Runs reach the mocks in-process (`mock://<system>`), not through this route. Demo data only.
export const dynamic = "force-dynamic";

type Params = { params: Promise<{ system: string; path: string[] }> };

async function handle(request: Request, { params }: Params): Promise<Response> {
  const { system, path } = await params;
  return answerMock(request, system, path);
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
