"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useSearchParams } from "next/navigation";
import { useEffect, useMemo, useState, useSyncExternalStore } from "react";
import type { FlowIR } from "@/dsl";
import { useRunLive } from "@/lib/runs/use-run-live";
import { studioRegistry } from "@/lib/studio/registry";
import { useStudio } from "@/lib/studio/use-studio";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { InputForm } from "@/components/runs/input-form/input-form";
import { inputLookups } from "@/components/runs/input-form/lookups";
import { useRunInputs } from "@/components/runs/input-form/use-run-inputs";
import { RunStatusBadge } from "@/components/runs/run-status";
import { useStudioContext } from "@/components/studio/studio-context";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField, TextField } from "@/components/ui/field";
import { NamedOptions } from "./sandbox-list";
import { marksOfRun } from "./sandbox-run-marks";

const NEW_SESSION = "__new";
/** Characters of an output shown in the panel (the run view shows it whole). */
const SHOWN_CHARS = 20_000;

function shown(value: unknown): string {
  const text = JSON.stringify(value ?? null, null, 2) ?? "null";
  return text.length > SHOWN_CHARS
    ? `${text.slice(0, SHOWN_CHARS)}\n… (cut: see the run view)`
    : text;
}

/**
 * Follows the studio's last sandbox run while the studio is open (whatever side tab shows): keeps
 * the canvas's per-step marks up to date from the run's event stream (`useRunLive`).
 */
export function SandboxRunTracker() {
  const { sandboxRun, openTab } = useStudioContext();
  const current = useSyncExternalStore(sandboxRun.subscribe, sandboxRun.getRun, sandboxRun.getRun);
  const params = useSearchParams();
  const fromLink = params.get("sandbox");
  // Opened from "Try in sandbox" (`?sandbox=<session>`): the Sandbox tab shows first.
  useEffect(() => {
    if (fromLink) openTab("sandbox");
  }, [fromLink, openTab]);
  return current ? <FollowRun key={current.runId} runId={current.runId} /> : null;
}

function FollowRun({ runId }: { runId: string }) {
  const { sandboxRun } = useStudioContext();
  const live = useRunLive(runId);
  const run = live.run;
  useEffect(() => {
    if (run && sandboxRun.getRun()?.runId === runId)
      sandboxRun.set(marksOfRun({ attempts: run.attempts, events: live.events }));
  }, [run, live.events, runId, sandboxRun]);
  return null;
}

/**
 * The studio's Sandbox tab: run the draft on screen in a sandbox session (a chosen open one or a
 * new one), with the caller's pinned outputs if wanted; the run's steps with their results (also
 * shown on the canvas); and for the selected step its output and its pin (from this run, from an
 * earlier run of the flow, or typed in as JSON).
 */
export function StudioSandboxPanel() {
  const { store, workflowId, readOnly, sandboxRun } = useStudioContext();
  const ir = useStudio(store, (s) => s.ir);
  const selection = useStudio(store, (s) => s.selection);
  const current = useSyncExternalStore(sandboxRun.subscribe, sandboxRun.getRun, sandboxRun.getRun);
  const canEdit = useCan("editor") && !readOnly;
  const stepId = selection.length === 1 ? selection[0]! : null;

  return (
    <div className="space-y-4 p-3 text-xs" data-testid="studio-sandbox">
      {canEdit ? (
        ir ? (
          <SandboxRunForm key={ir.hash} ir={ir} workflowId={workflowId} />
        ) : (
          <Alert tone="warning">
            The draft does not compile: fix it (see Problems) to run it in a sandbox.
          </Alert>
        )
      ) : (
        <p className="text-zinc-600">Only editors and admins run drafts in a sandbox.</p>
      )}
      {current && <CurrentRun runId={current.runId} ir={ir} />}
      {stepId && (
        <StepResult key={stepId} stepId={stepId} runId={current?.runId ?? null} canEdit={canEdit} />
      )}
      {!stepId && current && (
        <p className="text-zinc-600">Select a step on the canvas to see its output and pin it.</p>
      )}
    </div>
  );
}

/**
 * The form, once what it starts from is known: from a "Try in sandbox" link
 * (`?sandbox=<session>&inputsFrom=<run>`), that session and that run's inputs.
 */
function SandboxRunForm({ ir, workflowId }: { ir: FlowIR; workflowId: string }) {
  const trpc = useTRPC();
  const params = useSearchParams();
  const inputsFrom = params.get("inputsFrom");
  const source = useQuery({
    ...trpc.run.get.queryOptions({ id: inputsFrom ?? "" }),
    enabled: inputsFrom !== null,
  });
  if (inputsFrom !== null && source.isPending) {
    return <p className="text-zinc-600">Loading the run&apos;s inputs…</p>;
  }
  return (
    <SandboxRunFormLoaded
      ir={ir}
      workflowId={workflowId}
      initialSession={params.get("sandbox") ?? ""}
      initialInputs={source.data?.inputs}
    />
  );
}

function SandboxRunFormLoaded({
  ir,
  workflowId,
  initialSession,
  initialInputs,
}: {
  ir: FlowIR;
  workflowId: string;
  initialSession: string;
  initialInputs: unknown;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { store, saveDraft, sandboxRun } = useStudioContext();
  const sessions = useQuery(trpc.sandbox.list.queryOptions({ includeClosed: false }));
  const pins = useQuery(trpc.sandbox.pins.queryOptions({ workflowId }));
  const [choice, setChoice] = useState<string>(initialSession);
  const [newName, setNewName] = useState(`Studio: ${ir.name}`);
  const [usePins, setUsePins] = useState(true);
  const state = useRunInputs(ir.inputsSchema, initialInputs);
  const lookups = useMemo(() => inputLookups(ir, studioRegistry()), [ir]);
  const createSession = useMutation(trpc.sandbox.create.mutationOptions());
  const start = useMutation(trpc.run.start.mutationOptions());
  const open = sessions.data ?? [];
  // The last session used, else the newest open one, else a new one.
  const session =
    choice ||
    (sandboxRun.getRun()?.sessionId && open.some((s) => s.id === sandboxRun.getRun()?.sessionId)
      ? sandboxRun.getRun()!.sessionId
      : (open[0]?.id ?? NEW_SESSION));
  const pinCount = (pins.data ?? []).filter((p) => ir.steps.some((s) => s.id === p.stepId)).length;
  const error = createSession.error ?? start.error;
  const errors = formErrors(start.error);

  const run = async () => {
    const inputs = state.value();
    if (!inputs) return;
    createSession.reset();
    start.reset();
    try {
      const sessionId =
        session === NEW_SESSION ? (await createSession.mutateAsync({ name: newName })).id : session;
      const text = store.getState().text;
      // Best effort: the run executes exactly `text` whether or not the save lands.
      await saveDraft().catch(() => undefined);
      const started = await start.mutateAsync({
        workflowId,
        dsl: text,
        inputs,
        sandboxSessionId: sessionId,
        usePins: usePins && pinCount > 0,
      });
      sandboxRun.setRun({ runId: started.id, sessionId });
      setChoice(sessionId);
      await queryClient.invalidateQueries(trpc.sandbox.pathFilter());
    } catch {
      // Shown from the mutations' errors.
    }
  };

  return (
    <form
      aria-label="Run in sandbox"
      className="space-y-2"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        void run();
      }}
    >
      <p className="text-zinc-600">
        Runs the draft on screen in a sandbox session: mock systems and the demo model only.
      </p>
      <SelectField
        label="Session"
        value={session}
        onChange={(e) => setChoice(e.target.value)}
        hint={
          <Link href="/sandbox" className="text-accent-700 hover:underline">
            Manage sessions and faults
          </Link>
        }
      >
        <NamedOptions items={open} />
        <option value={NEW_SESSION}>New session…</option>
      </SelectField>
      {session === NEW_SESSION && (
        <TextField
          label="New session name"
          value={newName}
          onChange={(e) => setNewName(e.target.value)}
        />
      )}
      <label className="flex items-center gap-1.5">
        <input
          type="checkbox"
          checked={usePins && pinCount > 0}
          disabled={pinCount === 0}
          onChange={(e) => setUsePins(e.target.checked)}
        />
        Use pinned outputs ({pinCount})
      </label>
      <InputForm state={state} lookups={lookups} serverErrors={errors.fields.inputs} />
      {error && <Alert tone="error">{errorMessage(error)}</Alert>}
      <Button
        type="submit"
        variant="primary"
        size="sm"
        pending={createSession.isPending || start.isPending}
      >
        Run in sandbox
      </Button>
    </form>
  );
}

function CurrentRun({ runId, ir }: { runId: string; ir: FlowIR | null }) {
  const trpc = useTRPC();
  const { store, sandboxRun } = useStudioContext();
  const run = useQuery(trpc.run.get.queryOptions({ id: runId }));
  const marks = useSyncExternalStore(sandboxRun.subscribe, sandboxRun.get, sandboxRun.get);
  const stepIds = ir?.steps.map((s) => s.id) ?? Object.keys(marks);
  return (
    <section aria-label="Sandbox run" className="space-y-2 border-t border-zinc-200 pt-3">
      <div className="flex items-center justify-between gap-2">
        <h3 className="font-semibold">Last sandbox run</h3>
        {run.data && <RunStatusBadge status={run.data.outcome} />}
      </div>
      {run.error && <Alert tone="error">{errorMessage(run.error)}</Alert>}
      {run.data?.error && (
        <p className="text-red-700" data-testid="sandbox-run-error">
          {run.data.error.message}
        </p>
      )}
      <ul aria-label="Step results" className="space-y-1">
        {stepIds.map((id) => {
          const mark = marks[id];
          return (
            <li key={id}>
              <button
                type="button"
                className="flex w-full items-center justify-between gap-2 rounded px-1.5 py-1 text-left hover:bg-zinc-100"
                onClick={() => store.select([id])}
                data-testid="sandbox-step"
                data-step={id}
                data-status={mark?.status ?? "pending"}
              >
                <span className="truncate font-mono">{id}</span>
                <span className="shrink-0 text-zinc-600">
                  {mark ? (mark.pinned ? `pinned · ${mark.status}` : mark.status) : "not run"}
                </span>
              </button>
            </li>
          );
        })}
      </ul>
      <Link href={`/runs/${runId}`} className="text-accent-700 hover:underline">
        Open the run view
      </Link>
    </section>
  );
}

function StepResult({
  stepId,
  runId,
  canEdit,
}: {
  stepId: string;
  runId: string | null;
  canEdit: boolean;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { workflowId } = useStudioContext();
  const run = useQuery({
    ...trpc.run.get.queryOptions({ id: runId ?? "" }),
    enabled: runId !== null,
  });
  const pins = useQuery(trpc.sandbox.pins.queryOptions({ workflowId }));
  const pin = pins.data?.find((p) => p.stepId === stepId) ?? null;
  const attempt = useMemo(() => {
    const mine = (run.data?.attempts ?? []).filter((a) => a.stepId === stepId);
    return mine.sort((a, b) => b.attempt - a.attempt)[0] ?? null;
  }, [run.data, stepId]);
  const refreshPins = () => queryClient.invalidateQueries(trpc.sandbox.pins.pathFilter());
  const fromRun = useMutation(trpc.sandbox.pinFromRun.mutationOptions({ onSuccess: refreshPins }));
  const setPin = useMutation(
    trpc.sandbox.setPin.mutationOptions({
      onSuccess: async () => {
        setEditing(false);
        await refreshPins();
      },
    }),
  );
  const unpin = useMutation(trpc.sandbox.unpin.mutationOptions({ onSuccess: refreshPins }));
  const [editing, setEditing] = useState(false);
  const [json, setJson] = useState("");
  const [pickRun, setPickRun] = useState("");
  const runs = useQuery({
    ...trpc.run.list.queryOptions({ workflowId, limit: 20 }),
    enabled: canEdit,
  });
  const error = fromRun.error ?? setPin.error ?? unpin.error;

  return (
    <section aria-label={`Step ${stepId}`} className="space-y-2 border-t border-zinc-200 pt-3">
      <h3 className="font-semibold">
        Step <span className="font-mono">{stepId}</span>
      </h3>
      {runId === null ? null : !attempt ? (
        <p className="text-zinc-600">Not run in the last sandbox run.</p>
      ) : (
        <div className="space-y-1" data-testid="sandbox-step-output">
          <p>
            {attempt.status}
            {attempt.durationMs !== null ? ` in ${attempt.durationMs} ms` : ""}
          </p>
          {attempt.error ? (
            <p className="text-red-700">{attempt.error.message}</p>
          ) : (
            <pre className="max-h-64 overflow-auto rounded bg-zinc-50 p-2 font-mono text-[11px]">
              {shown(attempt.output)}
            </pre>
          )}
        </div>
      )}

      <div className="space-y-1.5">
        <h4 className="font-medium">Pinned output</h4>
        {pin ? (
          <div className="space-y-1" data-testid="step-pin">
            <p className="text-zinc-600">
              {pin.fromRunId ? (
                <>
                  From{" "}
                  <Link href={`/runs/${pin.fromRunId}`} className="text-accent-700 hover:underline">
                    run {pin.fromRunId.slice(0, 8)}
                  </Link>
                </>
              ) : (
                "Typed in"
              )}
              : draft runs that use pins record it instead of running the step.
            </p>
            <pre className="max-h-40 overflow-auto rounded bg-amber-50 p-2 font-mono text-[11px]">
              {shown(pin.output)}
            </pre>
          </div>
        ) : (
          <p className="text-zinc-600">Not pinned: the step runs.</p>
        )}
        {canEdit && (
          <div className="flex flex-wrap gap-1.5">
            {runId && attempt?.status === "succeeded" && (
              <Button
                size="sm"
                pending={fromRun.isPending}
                onClick={() => fromRun.mutate({ workflowId, stepId, runId })}
              >
                Pin this output
              </Button>
            )}
            <Button
              size="sm"
              onClick={() => {
                setJson(JSON.stringify(pin?.output ?? attempt?.output ?? {}, null, 2));
                setEditing((v) => !v);
              }}
            >
              {pin ? "Edit pinned JSON" : "Pin JSON…"}
            </Button>
            {pin && (
              <Button
                size="sm"
                variant="ghost"
                pending={unpin.isPending}
                onClick={() => unpin.mutate({ workflowId, stepId })}
              >
                Unpin
              </Button>
            )}
          </div>
        )}
        {canEdit && (
          <form
            aria-label="Pin output from run"
            className="flex items-end gap-1.5"
            onSubmit={(e) => {
              e.preventDefault();
              if (pickRun) fromRun.mutate({ workflowId, stepId, runId: pickRun });
            }}
          >
            <SelectField
              label="Pin output from run…"
              value={pickRun}
              onChange={(e) => setPickRun(e.target.value)}
            >
              <option value="">Choose a run</option>
              {(runs.data?.items ?? []).map((r) => (
                <option key={r.id} value={r.id}>
                  {new Date(r.createdAt).toLocaleString()} · {r.status}
                  {r.draft ? " · draft" : ""}
                </option>
              ))}
            </SelectField>
            <Button type="submit" size="sm" disabled={!pickRun} pending={fromRun.isPending}>
              Pin
            </Button>
          </form>
        )}
        {editing && canEdit && (
          <form
            aria-label="Pinned JSON"
            className="space-y-1.5"
            onSubmit={(e) => {
              e.preventDefault();
              setPin.mutate({ workflowId, stepId, json });
            }}
          >
            <label className="block font-medium" htmlFor={`pin-json-${stepId}`}>
              Output (JSON)
            </label>
            <textarea
              id={`pin-json-${stepId}`}
              className="h-40 w-full rounded border border-zinc-300 p-1.5 font-mono text-[11px]"
              spellCheck={false}
              value={json}
              onChange={(e) => setJson(e.target.value)}
            />
            <Button type="submit" size="sm" variant="primary" pending={setPin.isPending}>
              Save pin
            </Button>
          </form>
        )}
        {error && <Alert tone="error">{errorMessage(error)}</Alert>}
      </div>
    </section>
  );
}
