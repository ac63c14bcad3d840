/**
 * Monaco from the local package (never a CDN), with monaco-yaml's language service: completion,
 * hover docs and validation from the flow's JSON Schema (/schemas/flow.schema.json). Imported
 * only by client-only modules (the editors load with `ssr: false`). monaco-yaml's worker needs
 * the resolve alias in next.config.js.
 */
import { loader } from "@monaco-editor/react";
import * as monaco from "monaco-editor";
import { configureMonacoYaml } from "monaco-yaml";

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
    getWorker(_moduleId: string, label: string) {
      if (label === "yaml") {
        return new Worker(new URL("monaco-yaml/yaml.worker", import.meta.url), { type: "module" });
      }
      // The package maps `monaco-editor/*` to `esm/vs/*.js`.
      return new Worker(new URL("monaco-editor/editor/editor.worker", import.meta.url), {
        type: "module",
      });
    },
  };
  configureMonacoYaml(monaco, {
    enableSchemaRequest: true,
    hover: true,
    completion: true,
    validate: true,
    schemas: [
      {
        uri: `${window.location.origin}/schemas/flow.schema.json`,
        fileMatch: ["*"],
      },
    ],
  });
  loader.config({ monaco });
  return monaco;
}
