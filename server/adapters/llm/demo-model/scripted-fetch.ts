/**
 * The in-process `fetch` of the scripted mode: like `demoModelFetch` (`in-process.ts`), it
 * serves `demo-model://trustflow/v1/…` with {@link handleDemoModel} in this process, without a
 * socket, and hands the handler the script source and the repetition counter bound to one run.
 * Any other URL is refused (TypeError).
 */
import { DEMO_MODEL_SCHEME } from "./constants";
import { handleDemoModel } from "./handler";
import type { ScriptedMode } from "./scripted";

/** A `fetch` serving the demo model's endpoint in both modes (demo and scripted). */
export function scriptedModelFetch(mode: ScriptedMode): typeof fetch {
  return async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const href = typeof input === "string" ? input : input instanceof URL ? input.href : input.url;
    const url = new URL(href);
    if (url.protocol !== DEMO_MODEL_SCHEME) {
      throw new TypeError(
        `The scripted model's fetch serves ${DEMO_MODEL_SCHEME} URLs only, not ${url.protocol}`,
      );
    }
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
    return handleDemoModel(req, url.pathname.slice("/v1/".length), { scripted: mode });
  };
}
