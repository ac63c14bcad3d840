/**
 * Monaco from the local package (never a CDN), with monaco-yaml's language service: completion,
 * hover docs and validation from the flow's JSON Schema (/schemas/flow.schema.json). Imported
 * only by client-only modules (the editors load with `ssr: false`).
 *
 * Only what the studio uses is bundled: the editor API, the editor features (hover, suggest,
 * find, folding, diff editor…) and the YAML tokenizer. `import "monaco-editor"` would also pull
 * every language definition, the JSON/CSS/HTML/TypeScript services and the LSP client (about
 * 1.4 MB more script to parse before the editor shows).
 *
 * monaco-yaml 5.5 creates its worker through monaco-worker-manager, which still calls
 * `monaco.editor.createWebWorker({ moduleId, label, createData })`. Since Monaco 0.55 that API
 * takes `{ worker }` instead; without one Monaco throws inside ("reading 'label'"), warns "Could
 * not create web worker(s)" and falls back to a main-thread editor worker that knows nothing of
 * YAML: no hover, no schema completion, no schema validation, and the yaml worker is never
 * requested. `yamlMonaco` below adapts the old call (as Monaco's own JSON/CSS services do
 * internally): it creates the module worker itself, sends the two bootstrap messages the worker
 * expects (a start signal, then the create data) and hands the Worker to the new API.
 * See remcohaszing/monaco-yaml#272 and #282.
 */
import { loader } from "@monaco-editor/react";
import type * as MonacoTypes from "monaco-editor";
import * as monaco from "monaco-editor/editor/editor.api";
import "monaco-editor/features/register.all";
import "monaco-editor/languages/definitions/yaml/register";
import { configureMonacoYaml } from "monaco-yaml";

declare global {
  interface Window {
    MonacoEnvironment?: MonacoTypes.Environment;
  }
}

/** What monaco-worker-manager passes to `createWebWorker` (the pre-0.55 options). */
interface LegacyWebWorkerOptions {
  moduleId?: string;
  label?: string;
  createData?: unknown;
  host?: Record<string, (...args: unknown[]) => unknown>;
  keepIdleModels?: boolean;
  worker?: Worker | Promise<Worker>;
}

function createYamlWorker(): Worker {
  return new Worker(new URL("monaco-yaml/yaml.worker", import.meta.url), {
    type: "module",
    name: "yaml",
  });
}

/** The monaco namespace as monaco-yaml needs it: `editor.createWebWorker` accepts the old options. */
function yamlMonaco(): typeof monaco {
  const createWebWorker = (opts: LegacyWebWorkerOptions) => {
    if (opts.worker) return monaco.editor.createWebWorker(opts as { worker: Worker });
    const worker = createYamlWorker();
    // monaco-worker-manager's worker initialises on its first message and reads the create data
    // from the second; Monaco's own RPC messages follow.
    worker.postMessage("start");
    worker.postMessage(opts.createData);
    return monaco.editor.createWebWorker({
      worker,
      host: opts.host,
      keepIdleModels: opts.keepIdleModels,
    });
  };
  return {
    ...monaco,
    editor: { ...monaco.editor, createWebWorker },
  } as unknown as typeof monaco;
}

let configured = false;

/** Configures Monaco once per page; returns the monaco namespace. */
export function setupMonaco(): typeof monaco {
  if (configured) return monaco;
  configured = true;
  window.MonacoEnvironment = {
    getWorker(_moduleId: string, label: string) {
      if (label === "yaml") return createYamlWorker();
      // The package maps `monaco-editor/*` to `esm/vs/*.js`.
      return new Worker(new URL("monaco-editor/editor/editor.worker", import.meta.url), {
        type: "module",
        name: label,
      });
    },
  };
  configureMonacoYaml(yamlMonaco() as unknown as Parameters<typeof configureMonacoYaml>[0], {
    enableSchemaRequest: true,
    hover: true,
    completion: true,
    validate: true,
    // The worker fetches the schema itself, so the URI must be absolute.
    schemas: [
      {
        uri: `${window.location.origin}/schemas/flow.schema.json`,
        fileMatch: ["*"],
      },
    ],
  });
  loader.config({ monaco: monaco as unknown as typeof MonacoTypes });
  return monaco;
}
