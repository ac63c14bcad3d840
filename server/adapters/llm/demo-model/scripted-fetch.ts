/**
 * The in-process `fetch` of the scripted mode: like `demoModelFetch` (`in-process.ts`), it
 * serves `demo-model://trustflow/v1/…` with `handleDemoModel` in this process, without a
 * socket, and hands the handler the script source and the repetition counter bound to one run.
 * Any other URL is refused (TypeError).
 */
import { serveDemoModelInProcess } from "./in-process";
import type { ScriptedMode } from "./scripted";

/** A `fetch` serving the demo model's endpoint in both modes (demo and scripted). */
export function scriptedModelFetch(mode: ScriptedMode): typeof fetch {
  return (input: string | URL | Request, init?: RequestInit): Promise<Response> =>
    serveDemoModelInProcess("The scripted model", input, init, { scripted: mode });
}
