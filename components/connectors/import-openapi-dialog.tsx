"use client";

import { useState, type FormEvent } from "react";
import type { ImportedConnector } from "@/lib/connectors/use-connectors";
import { formErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { inputClass, TextField } from "@/components/ui/field";

export interface ImportValues {
  name: string;
  /** The pasted document, or else `url`: the server fetches it through its egress guard. */
  document?: string;
  url?: string;
  baseUrl?: string;
}

/**
 * Imports an OpenAPI 3.0/3.1 document (pasted or from a file): each operation becomes a block
 * `<name>.<operation>`. After the import the dialog lists the blocks it created.
 */
export function ImportOpenApiDialog({
  open,
  pending,
  error,
  result,
  onSubmit,
  onClose,
}: {
  open: boolean;
  pending: boolean;
  error: unknown;
  result: ImportedConnector | undefined;
  onSubmit: (values: ImportValues) => void;
  onClose: () => void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Import an OpenAPI document"
      description="Each operation becomes a block flows can use; importing the same name again updates it."
    >
      {open &&
        (result ? (
          <ImportResult result={result} onClose={onClose} />
        ) : (
          <ImportForm pending={pending} error={error} onSubmit={onSubmit} onClose={onClose} />
        ))}
    </Dialog>
  );
}

function ImportResult({ result, onClose }: { result: ImportedConnector; onClose: () => void }) {
  return (
    <div className="space-y-3">
      <Alert tone="success">
        Imported “{result.name}”: {result.blocks.length} block
        {result.blocks.length === 1 ? "" : "s"}, calling {result.baseUrl}.
      </Alert>
      <ul aria-label="Imported blocks" className="max-h-64 space-y-1 overflow-y-auto text-sm">
        {result.blocks.map((b) => (
          <li key={b.id} className="rounded border border-zinc-200 px-2 py-1">
            <code className="font-mono text-xs">
              {b.id}@{b.version.split(".")[0]}
            </code>{" "}
            <span className="text-zinc-600">{b.title}</span>
          </li>
        ))}
      </ul>
      {result.warnings.length > 0 && (
        <Alert tone="warning">
          <ul aria-label="Import warnings" className="list-disc pl-4 text-xs">
            {result.warnings.map((w) => (
              <li key={w}>{w}</li>
            ))}
          </ul>
        </Alert>
      )}
      <div className="flex justify-end">
        <Button variant="primary" onClick={onClose}>
          Done
        </Button>
      </div>
    </div>
  );
}

function ImportForm({
  pending,
  error,
  onSubmit,
  onClose,
}: {
  pending: boolean;
  error: unknown;
  onSubmit: (values: ImportValues) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState("");
  const [baseUrl, setBaseUrl] = useState("");
  const [document, setDocument] = useState("");
  const [url, setUrl] = useState("");
  const errors = formErrors(error);
  const docErrors = errors.fields.document;

  function submit(e: FormEvent) {
    e.preventDefault();
    onSubmit({
      name,
      ...(document.trim() ? { document } : { url: url.trim() }),
      ...(baseUrl.trim() ? { baseUrl: baseUrl.trim() } : {}),
    });
  }

  return (
    <form onSubmit={submit} className="space-y-3" noValidate aria-label="Import OpenAPI">
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      <TextField
        label="Name"
        value={name}
        placeholder="petstore"
        hint="Prefixes the block ids: petstore.list-pets."
        onChange={(e) => setName(e.target.value)}
        errors={errors.fields.name}
        autoFocus
        maxLength={40}
      />
      <TextField
        label="Base URL (optional)"
        type="url"
        value={baseUrl}
        placeholder="Default: the document's first server"
        onChange={(e) => setBaseUrl(e.target.value)}
        errors={errors.fields.baseUrl}
      />
      <div className="space-y-1">
        <label htmlFor="openapi-document" className="block text-xs font-medium text-zinc-700">
          OpenAPI document (JSON or YAML)
        </label>
        <textarea
          id="openapi-document"
          rows={8}
          spellCheck={false}
          value={document}
          onChange={(e) => setDocument(e.target.value)}
          aria-invalid={Boolean(docErrors?.length)}
          aria-describedby={docErrors?.length ? "openapi-document-error" : undefined}
          className={`${inputClass} font-mono text-xs`}
        />
        {docErrors?.length ? (
          <p id="openapi-document-error" className="text-xs text-red-700">
            {docErrors.join(" ")}
          </p>
        ) : null}
        <label className="block text-xs text-zinc-600">
          <span className="sr-only">Or choose a file</span>
          <input
            type="file"
            aria-label="OpenAPI file"
            accept=".yaml,.yml,.json,application/json,application/yaml,text/yaml"
            className="block w-full text-xs"
            onChange={async (e) => {
              const f = e.target.files?.[0];
              if (f) setDocument(await f.text());
            }}
          />
        </label>
      </div>
      <TextField
        label="Or the document's URL"
        type="url"
        value={url}
        placeholder="https://api.example.com/openapi.json"
        hint="Fetched by the server over https (internal hosts: Settings, Outbound access)."
        onChange={(e) => setUrl(e.target.value)}
        errors={errors.fields.url}
        disabled={Boolean(document.trim())}
      />
      <div className="flex justify-end gap-2 pt-1">
        <Button variant="ghost" onClick={onClose}>
          Cancel
        </Button>
        <Button
          type="submit"
          variant="primary"
          pending={pending}
          disabled={!document.trim() && !url.trim()}
        >
          Import
        </Button>
      </div>
    </form>
  );
}
