/**
 * Monaco from the local package (never a CDN). Imported only by client-only modules (the
 * editors load with `ssr: false`).
 *
 * monaco-yaml's language service (schema completion and hover from /schemas/flow.schema.json) is
 * NOT wired: its worker imports `monaco-editor/esm/vs/editor/editor.worker.js` (through
 * monaco-worker-manager), a deep path that monaco-editor 0.57's `exports` map does not allow, so
 * both Turbopack and webpack fail to resolve it. It needs a resolve alias in next.config.js
 * (`monaco-editor/esm/vs/editor/editor.worker.js` -> `monaco-editor/editor/editor.worker`);
 * then `configureMonacoYaml(monaco, { enableSchemaRequest: true, schemas: [{ uri:
 * "/schemas/flow.schema.json", fileMatch: ["*"] }] })` and a `yaml` worker here. Validation does
 * not depend on it: the studio's own compiler diagnostics are the markers.
 */
import { loader } from "@monaco-editor/react";
import * as monaco from "monaco-editor";

declare global {
  interface Window {
    MonacoEnvironment?: monaco.Environment;
  }
}

let configured = false;

/** Configures Monaco once per page; returns the monaco namespace. */
export function setupMonaco(): typeof monaco {
  if (configured) return monaco;
  configured = true;
  window.MonacoEnvironment = {
    getWorker() {
      // The package maps `monaco-editor/*` to `esm/vs/*.js`.
      return new Worker(new URL("monaco-editor/editor/editor.worker", import.meta.url), {
        type: "module",
      });
    },
  };
  loader.config({ monaco });
  return monaco;
}
