"use client";

import { useMemo, useRef, useState, type FormEvent } from "react";
import { compareSemver, type FlowDiff } from "@/dsl";
import { setFlowVersion } from "@/lib/studio/flow-text";
import { planVersion, type VersionPlan } from "@/lib/studio/version-plan";
import { useCreateVersion, useVersions, useVersionText } from "@/lib/studio/use-workflow-api";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { useStudioContext } from "./studio-context";

/**
 * Publishing a version. On opening, the draft on screen is checked (a draft that does not parse
 * or has errors cannot be a version, and gets no suggestion); otherwise the studio proposes the
 * next SemVer from `diffFlows` against the latest version, with the reasons, and the user
 * confirms or changes it.
 */
export function SaveVersionDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Save version"
      description="A version is an immutable snapshot that runs can pin. It must compile without errors."
    >
      {/* Mounted on opening: it plans for the draft as it is at that moment. */}
      <SaveVersionBody onClose={onClose} />
    </Dialog>
  );
}

function SaveVersionBody({ onClose }: { onClose: () => void }) {
  const { store, workflowId, openCompare } = useStudioContext();
  const versions = useVersions(workflowId);
  const createVersion = useCreateVersion();
  const latest = useMemo(
    () => [...(versions.data ?? [])].sort((a, b) => compareSemver(b.version, a.version))[0],
    [versions.data],
  );
  // The draft and its diagnostics when the dialog opened (compiled now if the studio's are not
  // for this text yet).
  const [draft] = useState(() => ({
    text: store.getState().text,
    diagnostics: store.diagnosticsNow(),
  }));
  // The latest version's text, to diff the draft against (idle when there is no version yet).
  const previous = useVersionText(workflowId, latest?.id ?? null);
  const prevText = latest ? (previous.data ?? null) : null;
  const plan: VersionPlan | null = useMemo(() => {
    if (!latest) return planVersion(draft.text, draft.diagnostics, null);
    return prevText === null
      ? null
      : planVersion(draft.text, draft.diagnostics, { version: latest.version, text: prevText });
  }, [draft, latest, prevText]);
  const failed = versions.error ?? previous.error;

  if (failed) return <Alert tone="error">{errorMessage(failed)}</Alert>;
  // Until the list is in, "no version yet" cannot be told from "not loaded yet".
  if (versions.isPending) return <p className="text-sm text-zinc-500">Loading versions…</p>;
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
      pending={createVersion.isPending}
      onCompare={
        prevText !== null && latest
          ? () => {
              onClose();
              openCompare({
                before: { label: `Version ${latest.version}`, text: prevText },
                after: { label: "the draft", draft: true },
              });
            }
          : undefined
      }
      onCancel={onClose}
      onSubmit={async (version, message) => {
        const dsl = setFlowVersion(draft.text, version);
        await createVersion.mutateAsync({
          id: workflowId,
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
