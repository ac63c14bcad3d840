import { mockService } from "@/server/adapters/connectors/mock/mock-service";

// The mock CRM, billing and CLM services (server/adapters/connectors/REST.md): in-memory state per
// tenant (`X-Mock-Tenant` or `/t/<tenant>/...`), fault injection at `/_faults`. Demo data only.
export const dynamic = "force-dynamic";

type Params = { params: Promise<{ system: string; path: string[] }> };

async function handle(request: Request, { params }: Params): Promise<Response> {
  const { system, path } = await params;
  const url = new URL(request.url);
  const headers: Record<string, string> = {};
  request.headers.forEach((value, key) => {
    headers[key.toLowerCase()] = value;
  });
  const out = await mockService().handle(
    system,
    {
      method: request.method,
      path: `/${path.map(encodeURIComponent).join("/")}`,
      query: url.searchParams,
      headers,
      body: request.method === "GET" || request.method === "HEAD" ? "" : await request.text(),
    },
    request.signal,
  );
  return new Response(out.body, { status: out.status, headers: out.headers });
}

export { handle as GET, handle as POST, handle as PUT, handle as PATCH, handle as DELETE };
