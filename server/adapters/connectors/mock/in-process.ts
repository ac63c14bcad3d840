/**
 * The built-in mock services reached in-process: a connector whose base URL is
 * `mock://<system>` (e.g. `mock://crm`) is served by {@link MockService.handle} directly, over
 * the same HTTP protocol as `/api/mock/<system>`, without a socket. The tenant is always the
 * workspace the egress guard is bound to (the run's workspace): a `/t/<tenant>` prefix or an
 * `X-Mock-Tenant` header in the request cannot reach another workspace's mock state.
 */
import type { InProcessHandler } from "@/server/adapters/egress/guard";
import { mockService, type MockService } from "./mock-service";

/** The scheme of in-process mock base URLs. */
export const MOCK_SCHEME = "mock:";

/** Base URL of the built-in mock service of `system`: `mock://crm`. */
export function inProcessMockUrl(system: string): string {
  return `mock://${system}`;
}

/** The egress guard's handler of `mock://` URLs. */
export function mockInProcess(service: () => MockService = mockService): InProcessHandler {
  return async ({ url, method, headers, body, workspaceId, signal }) => {
    const h: Record<string, string> = {};
    headers.forEach((v, k) => (h[k.toLowerCase()] = v));
    // The tenant is the bound workspace, never what the URL or a header says.
    h["x-mock-tenant"] = workspaceId;
    const out = await service().handle(
      url.hostname,
      {
        method,
        path: url.pathname || "/",
        query: url.searchParams,
        headers: h,
        body: body ? body.toString("utf8") : "",
      },
      signal,
    );
    const nullBody = out.status === 204 || out.status === 304;
    return new Response(nullBody ? null : out.body, { status: out.status, headers: out.headers });
  };
}
