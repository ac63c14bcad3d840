"use client";

import dynamic from "next/dynamic";
import { useEffect, useId, useMemo, useRef, useState, type FormEvent } from "react";
import { parseFlow, type BlockRegistry, type FlowDiff } from "@/dsl";
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
import { planVersion, type VersionPlan } from "./version-plan";

const TextDiff = dynamic(() => import("../editor/text-diff").then((m) => m.TextDiff), {
  ssr: false,
  loading: () => <p className="p-4 text-sm text-zinc-500">Loading diff…</p>,
});

type Api = ReturnType<typeof useWorkflowApi>;

/** One side of a comparison: a saved version's text, or the draft on screen (live). */
export type CompareSide = { label: string; text: string } | { label: string; draft: true };

export interface Comparison {
  before: CompareSide;
  after: CompareSide;
}

const DRAFT = "draft";

/** Version history: compare any two versions (or one with the draft), restore one as the draft. */
export function VersionsPanel({
  store,
  api,
  readOnly,
  onCompare,
}: {
  store: StudioStore;
  api: Api;
  readOnly: boolean;
  onCompare: (c: Comparison) => void;
}) {
  const versions = useMemo(
    () => [...(api.versions.data ?? [])].sort((a, b) => compareSemver(b.version, a.version)),
    [api.versions.data],
  );
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string>(DRAFT);
  const fromId = useId();
  const toId = useId();
  if (api.versions.isPending) return <p className="p-3 text-xs text-zinc-500">Loading versions…</p>;
  const fromValue = from ?? versions[0]?.id ?? DRAFT;

  const side = async (value: string): Promise<CompareSide> => {
    if (value === DRAFT) return { label: "the draft", draft: true };
    const v = versions.find((x) => x.id === value);
    if (!v) throw new Error("That version is no longer listed.");
    return { label: `Version ${v.version}`, text: await api.fetchVersionText(v.id) };
  };
  const compare = async (a: string, b: string) => {
    setError(null);
    setPending(true);
    try {
      onCompare({ before: await side(a), after: await side(b) });
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setPending(false);
    }
  };

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
        <>
          <form
            aria-label="Compare versions"
            className="mb-2 space-y-1.5 rounded border border-zinc-200 bg-zinc-50 p-2"
            onSubmit={(e) => {
              e.preventDefault();
              void compare(fromValue, to);
            }}
          >
            <div className="grid grid-cols-[auto_1fr] items-center gap-x-2 gap-y-1">
              <label htmlFor={fromId} className="text-zinc-700">
                Compare
              </label>
              <VersionSelect id={fromId} value={fromValue} onChange={setFrom} versions={versions} />
              <label htmlFor={toId} className="text-zinc-700">
                with
              </label>
              <VersionSelect id={toId} value={to} onChange={setTo} versions={versions} />
            </div>
            <Button
              type="submit"
              size="sm"
              disabled={fromValue === to}
              pending={pending}
              className="w-full"
            >
              Compare
            </Button>
          </form>
          <ul aria-label="Version history" className="space-y-1">
            {versions.map((v) => (
              <li key={v.id} className="rounded border border-zinc-200 bg-white p-2">
                <div className="flex items-center gap-2">
                  <span className="font-mono font-semibold">{v.version}</span>
                  <span className="text-zinc-500">{formatDateTime(v.createdAt)}</span>
                </div>
                {v.message && <p className="mt-0.5 text-zinc-700">{v.message}</p>}
                <div className="mt-1 flex flex-wrap gap-1">
                  <Button size="sm" variant="ghost" onClick={() => void compare(v.id, DRAFT)}>
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
        </>
      )}
    </div>
  );
}

function VersionSelect({
  id,
  value,
  onChange,
  versions,
}: {
  id: string;
  value: string;
  onChange: (v: string) => void;
  versions: { id: string; version: string }[];
}) {
  return (
    <select
      id={id}
      value={value}
      onChange={(e) => onChange(e.target.value)}
      className="h-7 w-full min-w-0 rounded border border-zinc-300 bg-white px-1 font-mono text-[11px]"
    >
      {versions.map((v) => (
        <option key={v.id} value={v.id}>
          {v.version}
        </option>
      ))}
      <option value={DRAFT}>current draft</option>
    </select>
  );
}

/**
 * Publishing a version. On opening, the draft on screen is checked (a draft that does not parse
 * or has errors cannot be a version, and gets no suggestion); otherwise the studio proposes the
 * next SemVer from `diffFlows` against the latest version, with the reasons, and the user
 * confirms or changes it.
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
  onCompare: (c: Comparison) => void;
}) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Save version"
      description="A version is an immutable snapshot that runs can pin. It must compile without errors."
    >
      {/* Mounted on opening: it plans for the draft as it is at that moment. */}
      <SaveVersionBody onClose={onClose} store={store} api={api} onCompare={onCompare} />
    </Dialog>
  );
}

function SaveVersionBody({
  onClose,
  store,
  api,
  onCompare,
}: {
  onClose: () => void;
  store: StudioStore;
  api: Api;
  onCompare: (c: Comparison) => void;
}) {
  const latest = useMemo(
    () => [...(api.versions.data ?? [])].sort((a, b) => compareSemver(b.version, a.version))[0],
    [api.versions.data],
  );
  // The draft and its diagnostics when the dialog opened (compiled now if the studio's are not
  // for this text yet).
  const [draft] = useState(() => ({
    text: store.getState().text,
    diagnostics: store.diagnosticsNow(),
  }));
  const [previous, setPrevious] = useState<{ id: string; text: string } | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    if (!latest) return;
    let live = true;
    api.fetchVersionText(latest.id).then(
      (text) => live && setPrevious({ id: latest.id, text }),
      (e: unknown) => live && setLoadError(errorMessage(e)),
    );
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [latest?.id]);
  const prevText = latest && previous?.id === latest.id ? previous.text : null;
  const plan: VersionPlan | null = useMemo(() => {
    if (!latest) return planVersion(draft.text, draft.diagnostics, null);
    return prevText === null
      ? null
      : planVersion(draft.text, draft.diagnostics, { version: latest.version, text: prevText });
  }, [draft, latest, prevText]);

  if (loadError) return <Alert tone="error">{loadError}</Alert>;
  if (!plan) return <p className="text-sm text-zinc-500">Comparing with {latest?.version}…</p>;
  if (plan.kind === "blocked") {
    return (
      <div className="space-y-3 text-sm">
        <Alert tone="error">
          <span data-testid="version-blocked">{plan.reason}</span>
        </Alert>
        <div className="flex justify-end">
          <Button onClick={onClose}>Close</Button>
        </div>
      </div>
    );
  }
  return (
    <SaveVersionForm
      key={plan.suggested}
      suggested={plan.suggested}
      latest={plan.kind === "next" ? plan.latest : null}
      diff={plan.kind === "next" ? plan.diff : null}
      pending={api.createVersion.isPending}
      onCompare={
        prevText !== null && latest
          ? () =>
              onCompare({
                before: { label: `Version ${latest.version}`, text: prevText },
                after: { label: "the draft", draft: true },
              })
          : undefined
      }
      onCancel={onClose}
      onSubmit={async (version, message) => {
        const dsl = setFlowVersion(draft.text, version);
        await api.createVersion.mutateAsync({
          id: api.workflow.data!.id,
          version,
          message,
          dsl,
        });
        // Typing may have gone on behind the dialog: the saved text replaces the draft only if
        // it is still the one the version was made from.
        if (store.getState().text === draft.text) {
          store.setText(dsl, "canvas");
          store.markSaved(dsl);
        }
        onClose();
      }}
    />
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
        {latest && diff ? (
          <>
            <p>
              Latest: <span className="font-mono">{latest}</span> · suggested{" "}
              <span className="font-mono font-semibold">{suggested}</span> ({diff.bump})
            </p>
            <ul className="mt-1 max-h-32 list-disc overflow-y-auto pl-4">
              {diff.changes.map((c, i) => (
                <li key={i}>
                  <span className="font-semibold">{c.kind}</span>: {c.reason}
                </li>
              ))}
            </ul>
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

/**
 * Full-size comparison of two texts: the text diff (Monaco) and the graph diff, as tabs. The
 * graph diff needs both texts to parse; otherwise it says which one does not (an unparsable
 * text would read as "every step removed").
 */
export function CompareView({
  before,
  after,
  registry,
  onClose,
}: {
  before: { label: string; text: string };
  after: { label: string; text: string };
  registry: BlockRegistry;
  onClose: () => void;
}) {
  const [tab, setTab] = useState<"text" | "graph">("text");
  const unparsable = useMemo(
    () => [before, after].filter((s) => !parseFlow(s.text).ast).map((s) => s.label),
    [before, after],
  );
  const graph = useMemo(
    () => (unparsable.length ? null : graphDiff(before.text, after.text, registry)),
    [before.text, after.text, registry, unparsable.length],
  );
  const counts = useMemo(() => {
    const c = { added: 0, removed: 0, changed: 0 };
    for (const s of graph?.steps ?? []) if (s.change) c[s.change]++;
    return c;
  }, [graph]);
  const title = `${before.label} ↔ ${after.label}`;
  return (
    <section
      role="dialog"
      aria-label={`Compare ${before.label} with ${after.label}`}
      className="absolute inset-0 z-30 flex flex-col bg-white"
      onKeyDown={(e) => {
        if (e.key === "Escape") onClose();
      }}
    >
      <header className="flex flex-wrap items-center gap-2 border-b border-zinc-200 px-3 py-2 text-sm">
        <h2 className="font-semibold">{title}</h2>
        <span className="text-xs text-zinc-600" data-testid="diff-summary">
          {graph ? (
            <>
              <span className="text-emerald-700">{counts.added} added</span> ·{" "}
              <span className="text-red-700">{counts.removed} removed</span> ·{" "}
              <span className="text-amber-700">{counts.changed} changed</span>
            </>
          ) : (
            <span className="text-red-700">
              {unparsable.join(" and ")} {unparsable.length > 1 ? "do" : "does"} not parse: text
              diff only
            </span>
          )}
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
          <TextDiff
            original={before.text}
            modified={after.text}
            originalLabel={before.label}
            modifiedLabel={after.label}
          />
        ) : graph ? (
          <GraphDiffCanvas graph={graph} />
        ) : (
          <p className="p-4 text-sm text-zinc-600">
            No graph diff: {unparsable.join(" and ")} {unparsable.length > 1 ? "do" : "does"} not
            parse. The text diff shows what differs.
          </p>
        )}
      </div>
    </section>
  );
}
