"use client";

import dynamic from "next/dynamic";
import { useEffect, useMemo, useRef, useState, type FormEvent } from "react";
import { diffFlows, type BlockRegistry, type FlowDiff } from "@/dsl";
import { compareSemver } from "@/dsl/registry/registry";
import { formatDateTime } from "@/lib/format";
import { setFlowVersion } from "@/lib/studio/flow-text";
import { graphDiff } from "@/lib/studio/graph-diff";
import type { StudioStore } from "@/lib/studio/studio-store";
import type { useWorkflowApi } from "@/lib/studio/use-workflow-api";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { GraphDiffCanvas } from "../canvas/graph-diff-canvas";

const TextDiff = dynamic(() => import("../editor/text-diff").then((m) => m.TextDiff), {
  ssr: false,
  loading: () => <p className="p-4 text-sm text-zinc-500">Loading diff…</p>,
});

type Api = ReturnType<typeof useWorkflowApi>;

/** The declared `version:` of a flow text (a cheap scan: the line itself). */
function declaredVersion(text: string): string {
  return /^version:\s*["']?([^\s"'#]+)/m.exec(text)?.[1] ?? "0.1.0";
}

/** Version history: compare any version with the current text, restore one as the draft. */
export function VersionsPanel({
  store,
  api,
  registry,
  readOnly,
  onCompare,
}: {
  store: StudioStore;
  api: Api;
  registry: BlockRegistry;
  readOnly: boolean;
  onCompare: (label: string, before: string) => void;
}) {
  const versions = api.versions.data ?? [];
  const [error, setError] = useState<string | null>(null);
  void registry;
  if (api.versions.isPending) return <p className="p-3 text-xs text-zinc-500">Loading versions…</p>;
  return (
    <div className="p-2 text-xs">
      {error && (
        <Alert tone="error" className="mb-2">
          {error}
        </Alert>
      )}
      {versions.length === 0 ? (
        <p className="p-1 text-zinc-600">
          No versions yet. “Save version” publishes the first one.
        </p>
      ) : (
        <ul aria-label="Version history" className="space-y-1">
          {versions.map((v) => (
            <li key={v.id} className="rounded border border-zinc-200 bg-white p-2">
              <div className="flex items-center gap-2">
                <span className="font-mono font-semibold">{v.version}</span>
                <span className="text-zinc-500">{formatDateTime(v.createdAt)}</span>
              </div>
              {v.message && <p className="mt-0.5 text-zinc-700">{v.message}</p>}
              <div className="mt-1 flex gap-1">
                <Button
                  size="sm"
                  variant="ghost"
                  onClick={async () => {
                    setError(null);
                    try {
                      onCompare(`Version ${v.version}`, await api.fetchVersionText(v.id));
                    } catch (e) {
                      setError(errorMessage(e));
                    }
                  }}
                >
                  Compare with current
                </Button>
                {!readOnly && (
                  <Button
                    size="sm"
                    variant="ghost"
                    pending={api.restoreVersion.isPending}
                    onClick={async () => {
                      setError(null);
                      try {
                        const r = await api.restoreVersion.mutateAsync({
                          id: api.workflow.data!.id,
                          versionId: v.id,
                        });
                        // Undoable like any other change; the server already has it as the draft.
                        store.setText(r.draft, "canvas");
                        store.markSaved(r.draft);
                      } catch (e) {
                        setError(errorMessage(e));
                      }
                    }}
                  >
                    Restore as draft
                  </Button>
                )}
              </div>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * Publishing a version: the studio proposes the next SemVer from `diffFlows` against the latest
 * version, with the reasons; the user confirms or changes it.
 */
export function SaveVersionDialog({
  open,
  onClose,
  store,
  api,
  onCompare,
}: {
  open: boolean;
  onClose: () => void;
  store: StudioStore;
  api: Api;
  onCompare: (label: string, before: string) => void;
}) {
  const latest = useMemo(
    () => [...(api.versions.data ?? [])].sort((a, b) => compareSemver(b.version, a.version))[0],
    [api.versions.data],
  );
  const [previous, setPrevious] = useState<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    if (!open || !latest) return;
    let live = true;
    api.fetchVersionText(latest.id).then(
      (t) => live && setPrevious(t),
      (e: unknown) => live && setLoadError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open, latest?.id]);
  const text = store.getState().text;
  const diff: FlowDiff | null = useMemo(
    () => (latest && previous !== null ? diffFlows(previous, text) : null),
    [latest, previous, text],
  );
  const suggested = latest ? (diff ? diff.suggested(latest.version) : null) : declaredVersion(text);
  const ready = suggested !== null;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Save version"
      description="A version is an immutable snapshot that runs can pin. It must compile without errors."
    >
      {open && !ready && !loadError && (
        <p className="text-sm text-zinc-500">Comparing with {latest?.version}…</p>
      )}
      {loadError && <Alert tone="error">{loadError}</Alert>}
      {open && ready && (
        <SaveVersionForm
          key={suggested}
          suggested={suggested}
          latest={latest?.version ?? null}
          diff={diff}
          pending={api.createVersion.isPending}
          onCompare={
            previous !== null && latest
              ? () => onCompare(`Version ${latest.version}`, previous)
              : undefined
          }
          onCancel={onClose}
          onSubmit={async (version, message) => {
            const dsl = setFlowVersion(store.getState().text, version);
            await api.createVersion.mutateAsync({
              id: api.workflow.data!.id,
              version,
              message,
              dsl,
            });
            store.setText(dsl, "canvas");
            store.markSaved(dsl);
            onClose();
          }}
        />
      )}
    </Dialog>
  );
}

function SaveVersionForm({
  suggested,
  latest,
  diff,
  pending,
  onSubmit,
  onCancel,
  onCompare,
}: {
  suggested: string;
  latest: string | null;
  diff: FlowDiff | null;
  pending: boolean;
  onSubmit: (version: string, message: string) => Promise<void>;
  onCancel: () => void;
  onCompare?: () => void;
}) {
  const [version, setVersion] = useState(suggested);
  const [message, setMessage] = useState("");
  const [error, setError] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);
  async function submit(e: FormEvent) {
    e.preventDefault();
    setError(null);
    if (latest && compareSemver(version.trim(), latest) <= 0) {
      setError(`The version must be greater than ${latest}.`);
      return;
    }
    try {
      await onSubmit(version.trim(), message.trim());
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  return (
    <form onSubmit={submit} className="space-y-3 text-sm" noValidate>
      {error && <Alert tone="error">{error}</Alert>}
      <div
        data-testid="version-suggestion"
        className="rounded border border-zinc-200 bg-zinc-50 p-2 text-xs"
      >
        {latest ? (
          <>
            <p>
              Latest: <span className="font-mono">{latest}</span> · suggested{" "}
              <span className="font-mono font-semibold">{suggested}</span> ({diff?.bump ?? "none"})
            </p>
            {diff && diff.changes.length > 0 ? (
              <ul className="mt-1 max-h-32 list-disc overflow-y-auto pl-4">
                {diff.changes.map((c, i) => (
                  <li key={i}>
                    <span className="font-semibold">{c.kind}</span>: {c.reason}
                  </li>
                ))}
              </ul>
            ) : (
              <p className="mt-1">No changes since {latest}.</p>
            )}
          </>
        ) : (
          <p>
            First version: suggested <span className="font-mono font-semibold">{suggested}</span>,
            the flow&apos;s declared version.
          </p>
        )}
      </div>
      <label className="block">
        <span className="mb-1 block font-medium">Version</span>
        <input
          ref={input}
          value={version}
          onChange={(e) => setVersion(e.target.value)}
          className="h-9 w-full rounded-md border border-zinc-300 px-2 font-mono"
          aria-label="Version"
        />
      </label>
      <label className="block">
        <span className="mb-1 block font-medium">Message (optional)</span>
        <input
          value={message}
          onChange={(e) => setMessage(e.target.value)}
          maxLength={500}
          className="h-9 w-full rounded-md border border-zinc-300 px-2"
          aria-label="Message"
        />
      </label>
      <div className="flex justify-between gap-2">
        {onCompare ? (
          <Button onClick={onCompare} variant="ghost">
            Show diff
          </Button>
        ) : (
          <span />
        )}
        <div className="flex gap-2">
          <Button onClick={onCancel}>Cancel</Button>
          <Button type="submit" variant="primary" pending={pending}>
            Save version {version}
          </Button>
        </div>
      </div>
    </form>
  );
}

/** Full-size comparison: the text diff (Monaco) and the graph diff side by side, as tabs. */
export function CompareView({
  label,
  before,
  after,
  registry,
  onClose,
}: {
  label: string;
  before: string;
  after: string;
  registry: BlockRegistry;
  onClose: () => void;
}) {
  const [tab, setTab] = useState<"text" | "graph">("text");
  const graph = useMemo(() => graphDiff(before, after, registry), [before, after, registry]);
  const counts = useMemo(() => {
    const c = { added: 0, removed: 0, changed: 0 };
    for (const s of graph.steps) if (s.change) c[s.change]++;
    return c;
  }, [graph]);
  return (
    <section
      role="dialog"
      aria-label={`Compare ${label} with the current text`}
      className="absolute inset-0 z-30 flex flex-col bg-white"
    >
      <header className="flex items-center gap-2 border-b border-zinc-200 px-3 py-2 text-sm">
        <h2 className="font-semibold">{label} ↔ current text</h2>
        <span className="text-xs text-zinc-600" data-testid="diff-summary">
          <span className="text-emerald-700">{counts.added} added</span> ·{" "}
          <span className="text-red-700">{counts.removed} removed</span> ·{" "}
          <span className="text-amber-700">{counts.changed} changed</span>
        </span>
        <div role="tablist" className="ml-auto flex gap-1">
          <Button
            size="sm"
            variant={tab === "text" ? "primary" : "secondary"}
            role="tab"
            aria-selected={tab === "text"}
            onClick={() => setTab("text")}
          >
            Text diff
          </Button>
          <Button
            size="sm"
            variant={tab === "graph" ? "primary" : "secondary"}
            role="tab"
            aria-selected={tab === "graph"}
            onClick={() => setTab("graph")}
          >
            Graph diff
          </Button>
        </div>
        <Button size="sm" onClick={onClose}>
          Close
        </Button>
      </header>
      <div className="min-h-0 flex-1">
        {tab === "text" ? (
          <TextDiff original={before} modified={after} />
        ) : (
          <GraphDiffCanvas graph={graph} />
        )}
      </div>
    </section>
  );
}
