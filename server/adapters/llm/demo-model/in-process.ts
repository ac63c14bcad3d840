/**
 * The app calling its own demo model without a socket: a `fetch` for the `openai` SDK that
 * dispatches `demo-model://trustflow/v1/…` to {@link handleDemoModel} in the same process, over
 * the same HTTP protocol as `/api/demo-model/v1/…` (bodies, headers, SSE streams and errors are
 * the real ones). Like the `mock://` connector services behind the egress guard, it never opens a
 * socket, so the demo model needs no loopback hole and works before the server listens.
 */
import { DEMO_MODEL_SCHEME } from "./constants";
import { handleDemoModel, type DemoModelOptions } from "./handler";

/** Whether `baseURL` names the in-process demo model. */
export function isDemoModelUrl(baseURL: string | undefined): boolean {
  return !!baseURL && baseURL.toLowerCase().startsWith(`${DEMO_MODEL_SCHEME}//`);
}

/**
 * Serves one `demo-model:` request in-process with {@link handleDemoModel} and `opts`; any other
 * URL is refused (TypeError naming `who`). Shared by {@link demoModelFetch} and the scripted
 * mode's fetch (`scripted-fetch.ts`).
 */
export async function serveDemoModelInProcess(
  who: string,
  input: string | URL | Request,
  init: RequestInit | undefined,
  opts?: DemoModelOptions,
): Promise<Response> {
  const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
  const url = new URL(href);
  if (url.protocol !== DEMO_MODEL_SCHEME) {
    throw new TypeError(
      `${who}'s fetch serves ${DEMO_MODEL_SCHEME} URLs only, not ${url.protocol}`,
    );
  }
  // The handler reads a standard Request; this host is never resolved.
  const target = `http://demo-model.invalid${url.pathname}${url.search}`;
  const req = input instanceof Request ? new Request(target, input) : new Request(target, init);
  req.signal.throwIfAborted();
  if (!url.pathname.startsWith("/v1/")) {
    return Response.json(
      {
        error: {
          message: `Unknown request URL: ${req.method} ${url.pathname}. The demo model serves /v1/….`,
          type: "not_found_error",
          param: null,
          code: "unknown_url",
        },
      },
      { status: 404 },
    );
  }
  return handleDemoModel(req, url.pathname.slice("/v1/".length), opts);
}

/** A `fetch` serving `demo-model:` URLs in-process; any other URL is refused (TypeError). */
export async function demoModelFetch(
  input: string | URL | Request,
  init?: RequestInit,
): Promise<Response> {
  return serveDemoModelInProcess("The demo model", input, init);
}
