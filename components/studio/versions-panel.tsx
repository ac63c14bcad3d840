"use client";

import { useId, useMemo, useState } from "react";
import { compareSemver } from "@/dsl";
import { formatDateTime } from "@/lib/format";
import { useFetchVersionText, useRestoreVersion, useVersions } from "@/lib/studio/use-workflow-api";
import { errorMessage } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { useStudioContext, type CompareSide } from "./studio-context";

const DRAFT = "draft";

/** Version history: compare any two versions (or one with the draft), restore one as the draft. */
export function VersionsPanel() {
  const { store, workflowId, readOnly, openCompare } = useStudioContext();
  const list = useVersions(workflowId);
  const fetchVersionText = useFetchVersionText(workflowId);
  const restoreVersion = useRestoreVersion();
  const versions = useMemo(
    () => [...(list.data ?? [])].sort((a, b) => compareSemver(b.version, a.version)),
    [list.data],
  );
  const [error, setError] = useState<string | null>(null);
  const [pending, setPending] = useState(false);
  const [from, setFrom] = useState<string | null>(null);
  const [to, setTo] = useState<string>(DRAFT);
  const fromId = useId();
  const toId = useId();
  if (list.isPending) return <p className="p-3 text-xs text-zinc-500">Loading versions…</p>;
  if (list.error) {
    return (
      <Alert tone="error" className="m-2">
        {errorMessage(list.error)}
      </Alert>
    );
  }
  const fromValue = from ?? versions[0]?.id ?? DRAFT;

  const side = async (value: string): Promise<CompareSide> => {
    if (value === DRAFT) return { label: "the draft", draft: true };
    const v = versions.find((x) => x.id === value);
    if (!v) throw new Error("That version is no longer listed.");
    return { label: `Version ${v.version}`, text: await fetchVersionText(v.id) };
  };
  const compare = async (a: string, b: string) => {
    setError(null);
    setPending(true);
    try {
      openCompare({ before: await side(a), after: await side(b) });
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
                      pending={restoreVersion.isPending}
                      onClick={async () => {
                        setError(null);
                        try {
                          const r = await restoreVersion.mutateAsync({
                            id: workflowId,
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
