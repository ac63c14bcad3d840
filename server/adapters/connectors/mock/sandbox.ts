/**
 * The mock services as a sandbox session sees them (issue 16): a `fetch` that serves
 * `mock://<system>/…` in-process from ONE tenant's state (the session's, or a run's own) and
 * refuses every other URL, so nothing a sandbox run calls leaves the process.
 */
import { NonRetryableError } from "@/server/engine/errors";
import { mockService, type MockService, type TenantProfile } from "./mock-service";
import { MOCK_SCHEME } from "./in-process";

/** The error of any outbound call of a sandbox run. */
export const SANDBOX_NO_EGRESS = "a sandbox run makes no outbound calls";

/** The mock tenant of a sandbox session: `sbx_<sessionId>`. */
export function sessionTenant(sessionId: string): string {
  return `sbx_${sessionId}`;
}

/** The mock tenant of a `sandbox: true` run outside any session: `sbxrun_<runId>`. */
export function runTenant(runId: string): string {
  return `sbxrun_${runId}`;
}

/** The refusal of an outbound call from a sandbox run (never retried). */
export function sandboxEgressRefused(target: string): NonRetryableError {
  return new NonRetryableError(`${SANDBOX_NO_EGRESS} (refused: ${target})`, {
    classification: { category: "validation", severity: "high" },
    detail: { sandbox: true },
  });
}

function hrefOf(input: string | URL | Request): string {
  return typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
}

/**
 * A fetch bound to `tenant` of the mock services: `mock://crm/contacts` is answered by the
 * tenant's CRM state (started from `profile` at first use); any other URL is refused with
 * {@link SANDBOX_NO_EGRESS} before anything is resolved or opened.
 */
export function sandboxFetch(
  tenant: string,
  profile: TenantProfile,
  service: () => MockService = mockService,
): typeof fetch {
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = hrefOf(input);
    let url: URL;
    try {
      url = new URL(href);
    } catch {
      throw sandboxEgressRefused("an invalid URL");
    }
    if (url.protocol !== MOCK_SCHEME) throw sandboxEgressRefused(`${url.protocol}//${url.host}`);
    const request = input instanceof Request ? input : null;
    const method = (init?.method ?? request?.method ?? "GET").toUpperCase();
    const h: Record<string, string> = {};
    new Headers(init?.headers ?? request?.headers).forEach((v, k) => (h[k.toLowerCase()] = v));
    // The tenant is the session's, never what the URL or a header says.
    h["x-mock-tenant"] = tenant;
    const raw = init?.body ?? (request ? await request.text() : undefined);
    const body =
      raw === undefined || raw === null
        ? ""
        : typeof raw === "string"
          ? raw
          : await new Response(raw as BodyInit).text();
    const mocks = service();
    mocks.defineTenant(tenant, profile);
    const signal = init?.signal ?? request?.signal ?? undefined;
    signal?.throwIfAborted();
    const out = await mocks.handle(
      url.hostname,
      { method, path: url.pathname || "/", query: url.searchParams, headers: h, body },
      signal,
    );
    const nullBody = out.status === 204 || out.status === 304;
    return new Response(nullBody ? null : out.body, { status: out.status, headers: out.headers });
  };
  return f as typeof fetch;
}
