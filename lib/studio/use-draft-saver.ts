"use client";

import { useCallback, useEffect, useState } from "react";
import { errorMessage } from "@/lib/trpc/errors";
import type { StudioStore } from "./studio-store";
import { useSaveDraft } from "./use-workflow-api";

const AUTOSAVE_MS = 1500;

export interface DraftSaver {
  /** Saves the text on screen as the draft; a no-op when it is saved already or read-only. */
  save: () => Promise<void>;
  pending: boolean;
  /** Why the last save failed (shown until dismissed or the next save). */
  error: string | null;
  dismissError: () => void;
  /** Errors the server's compile found in the last saved draft; null before the first save. */
  serverErrors: number | null;
}

/**
 * Saving the draft: on demand, and automatically a moment after the last change. The autosave
 * watches the store itself, so the studio does not re-render for every keystroke.
 */
export function useDraftSaver(
  store: StudioStore,
  workflowId: string,
  readOnly: boolean,
): DraftSaver {
  const { mutateAsync, isPending } = useSaveDraft();
  const [error, setError] = useState<string | null>(null);
  const [serverErrors, setServerErrors] = useState<number | null>(null);

  const save = useCallback(async () => {
    const text = store.getState().text;
    if (readOnly || text === store.getState().savedText) return;
    setError(null);
    try {
      const r = await mutateAsync({ id: workflowId, dsl: text });
      store.markSaved(text);
      store.setServerDiagnostics(text, r.diagnostics);
      setServerErrors(r.diagnostics.filter((d) => d.severity === "error").length);
    } catch (e) {
      setError(errorMessage(e));
    }
  }, [store, readOnly, workflowId, mutateAsync]);

  useEffect(() => {
    if (readOnly) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let text = store.getState().text;
    const unsubscribe = store.subscribe(() => {
      const s = store.getState();
      if (s.text === text) return;
      text = s.text;
      clearTimeout(timer);
      if (s.text !== s.savedText) timer = setTimeout(() => void save(), AUTOSAVE_MS);
    });
    return () => {
      unsubscribe();
      clearTimeout(timer);
    };
  }, [store, readOnly, save]);

  const dismissError = useCallback(() => setError(null), []);
  return { save, pending: isPending, error, dismissError, serverErrors };
}
