"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useRouter } from "next/navigation";
import { useMemo, useState } from "react";
import { compile, offsetToPosition, policyLibrary, type FlowIR } from "@/dsl";
import { studioRegistry } from "@/lib/studio/registry";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors, type FormErrors } from "@/lib/trpc/errors";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { SelectField } from "@/components/ui/field";
import { InputForm } from "./input-form/input-form";
import { RunRisk } from "./run-risk";
import { inputLookups } from "./input-form/lookups";
import { useRunInputs } from "./input-form/use-run-inputs";

/** What to run: the studio's text on screen, the latest version, the saved draft, a version. */
const SCREEN = "__screen";
const LATEST = "__latest";
const DRAFT = "__draft";

/** The studio's draft on screen: what its Run runs by default. */
export interface ScreenDraft {
  /** The text on screen now (read when the dialog opens). */
  text: () => string;
  /** Saves it as the workflow's draft, so the run's "Open in studio" finds what ran. */
  save?: () => Promise<void>;
}

/**
 * "Run a flow", the form of its dialog (`start-run-dialog.tsx`, which loads this module when it
 * first opens): pick a workflow and what to run, fill in the inputs in a form generated from the
 * flow's input schema (or as JSON, one click away), start. The schema comes from the very text
 * that will run, compiled in the browser with the server's compiler; a text with errors is not
 * started. Opened from the studio, it runs the draft on screen by default (a draft run) and says
 * so. On success the run opens.
 */
export function StartRunForm({
  onClose,
  initialWorkflowId,
  screen,
}: {
  onClose: () => void;
  initialWorkflowId?: string;
  screen?: ScreenDraft;
}) {
  const trpc = useTRPC();
  const router = useRouter();
  const queryClient = useQueryClient();
  // Mounted when the dialog opens: the text on screen is read once, then runs as read.
  const [screenText] = useState(() => screen?.text() ?? null);
  const [workflowId, setWorkflowId] = useState(initialWorkflowId ?? "");
  const [which, setWhich] = useState(screenText !== null ? SCREEN : LATEST);
  const workflows = useQuery(trpc.workflow.list.queryOptions());
  const wf = useQuery({
    ...trpc.workflow.get.queryOptions({ id: workflowId }),
    enabled: Boolean(workflowId),
    // Shared with the studio, which drops it when it closes (a studio opened again loads the
    // draft anew): keeping it here would hand the studio an older draft.
    gcTime: 0,
  });
  const versions = wf.data?.versions ?? [];
  const latest = versions[0];
  const versionId =
    which === LATEST
      ? latest?.id
      : which === SCREEN || which === DRAFT
        ? undefined
        : versions.find((v) => v.version === which)?.id;
  const version = useQuery({
    ...trpc.workflow.getVersion.queryOptions({ id: workflowId, versionId: versionId ?? "" }),
    enabled: Boolean(workflowId && versionId),
  });
  const runsDraft = which === SCREEN || which === DRAFT || (which === LATEST && wf.data && !latest);
  const text =
    which === SCREEN
      ? screenText
      : runsDraft
        ? (wf.data?.draft ?? null)
        : versionId
          ? (version.data?.dsl ?? null)
          : null;
  const compiled = useMemo(
    () =>
      text === null ? null : compile(text, { registry: studioRegistry(), policies: policyLibrary }),
    [text],
  );
  const problems = useMemo(() => {
    if (!compiled || text === null) return [];
    return compiled.diagnostics
      .filter((d) => d.severity === "error")
      .map((d) => `${d.code} at line ${offsetToPosition(text, d.span.start).line}: ${d.message}`);
  }, [compiled, text]);

  const start = useMutation(
    trpc.run.start.mutationOptions({
      onSuccess: async (run) => {
        await queryClient.invalidateQueries(trpc.run.list.pathFilter());
        onClose();
        router.push(`/runs/${run.id}`);
      },
    }),
  );
  const errors = formErrors(start.error);

  const submit = async (inputs: Record<string, unknown>) => {
    if (which === SCREEN && screenText !== null) {
      // Best effort: the run executes exactly `screenText` whether or not the save lands.
      await screen?.save?.().catch(() => undefined);
      start.mutate({ workflowId, dsl: screenText, inputs });
    } else if (runsDraft) {
      start.mutate({ workflowId, draft: true, inputs });
    } else {
      const v = which === LATEST ? latest?.version : which;
      start.mutate({ workflowId, version: v, inputs });
    }
  };

  const loading =
    Boolean(workflowId) && (wf.isPending || (Boolean(versionId) && version.isPending));
  const loadError = wf.error ?? version.error;

  return (
    <div className="space-y-3">
      <SelectField
        label="Workflow"
        value={workflowId}
        required
        disabled={screenText !== null}
        errors={errors.fields.workflowId}
        onChange={(e) => {
          setWorkflowId(e.target.value);
          setWhich(LATEST);
          start.reset();
        }}
      >
        <option value="" disabled>
          {workflows.isPending ? "Loading…" : "Choose a workflow"}
        </option>
        {workflows.data?.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </SelectField>
      <SelectField
        label="What to run"
        value={which}
        disabled={!workflowId}
        errors={[...(errors.fields.version ?? []), ...(errors.fields.dsl ?? [])]}
        hint={<WhatRuns which={which} runsDraft={Boolean(runsDraft)} version={latest?.version} />}
        onChange={(e) => {
          setWhich(e.target.value);
          start.reset();
        }}
      >
        {screenText !== null && (
          <option value={SCREEN}>The draft on screen (unsaved changes included)</option>
        )}
        <option value={LATEST}>
          {latest ? `Latest version (${latest.version})` : "Latest version (none saved: the draft)"}
        </option>
        <option value={DRAFT}>{screenText !== null ? "The saved draft" : "Current draft"}</option>
        {versions.map((v) => (
          <option key={v.id} value={v.version}>
            Version {v.version}
          </option>
        ))}
      </SelectField>
      {wf.data && !runsDraft && (
        <RunRisk workflowId={workflowId} version={which === LATEST ? latest?.version : which} />
      )}

      {loadError ? (
        <Alert tone="error">{formErrors(loadError).message ?? "Cannot load this workflow."}</Alert>
      ) : !workflowId ? null : loading || !compiled ? (
        <p className="text-sm text-zinc-600">Loading the flow…</p>
      ) : problems.length > 0 || !compiled.ir ? (
        <CompileProblems
          problems={problems}
          workflowId={workflowId}
          inStudio={screenText !== null}
        />
      ) : null}

      {compiled?.ir && problems.length === 0 ? (
        <RunInputs
          // A new text means a new schema: the form starts afresh.
          key={`${which}:${compiled.ir.hash}`}
          ir={compiled.ir}
          errors={errors}
          pending={start.isPending}
          onClose={onClose}
          onStart={(inputs) => void submit(inputs)}
        />
      ) : (
        <Actions onClose={onClose} disabled pending={false} />
      )}
    </div>
  );
}

/** Says what "What to run" runs, and what a draft run is. */
function WhatRuns({
  which,
  runsDraft,
  version,
}: {
  which: string;
  runsDraft: boolean;
  version?: string;
}) {
  const draftNote = (
    <>
      {" "}
      A draft run is marked <span className="font-mono">draft</span> and stays out of trust scores
      and replays.
    </>
  );
  if (which === SCREEN)
    return (
      <span data-testid="runs-what">
        Runs the draft on screen, unsaved changes included.{draftNote}
      </span>
    );
  if (runsDraft)
    return <span data-testid="runs-what">Runs the workflow&apos;s saved draft.{draftNote}</span>;
  return (
    <span data-testid="runs-what">
      Runs version {which === LATEST ? version : which}, as saved.
    </span>
  );
}

function CompileProblems({
  problems,
  workflowId,
  inStudio,
}: {
  problems: string[];
  workflowId: string;
  inStudio: boolean;
}) {
  return (
    <Alert tone="error">
      <p>
        This flow does not compile ({problems.length} error{problems.length === 1 ? "" : "s"}), so
        it cannot run:
      </p>
      <ul className="mt-1 list-disc pl-4 text-xs">
        {problems.slice(0, 5).map((p) => (
          <li key={p}>{p}</li>
        ))}
      </ul>
      <p className="mt-1 text-xs">
        {inStudio ? (
          "Fix it in the editor (the Problems tab lists every error), then run it."
        ) : (
          <Link href={`/studio/${workflowId}`} className="underline">
            Fix it in the studio
          </Link>
        )}
      </p>
    </Alert>
  );
}

/** The generated form for one flow's inputs, and the start button. */
function RunInputs({
  ir,
  errors,
  pending,
  onClose,
  onStart,
}: {
  ir: FlowIR;
  errors: FormErrors;
  pending: boolean;
  onClose: () => void;
  onStart: (inputs: Record<string, unknown>) => void;
}) {
  const state = useRunInputs(ir.inputsSchema);
  const lookups = useMemo(() => inputLookups(ir, studioRegistry()), [ir]);
  return (
    <form
      className="space-y-3"
      noValidate
      onSubmit={(e) => {
        e.preventDefault();
        const inputs = state.value();
        if (inputs) onStart(inputs);
      }}
    >
      <InputForm state={state} lookups={lookups} serverErrors={errors.fields.inputs} />
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      <Actions onClose={onClose} pending={pending} />
    </form>
  );
}

function Actions({
  onClose,
  pending,
  disabled,
}: {
  onClose: () => void;
  pending: boolean;
  disabled?: boolean;
}) {
  return (
    <div className="flex justify-end gap-2">
      <Button variant="ghost" onClick={onClose}>
        Close
      </Button>
      <Button type="submit" variant="primary" pending={pending} disabled={disabled}>
        Start run
      </Button>
    </div>
  );
}
