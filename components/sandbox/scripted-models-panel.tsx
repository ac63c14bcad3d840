"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage, formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { inputClass, SelectField, TextField } from "@/components/ui/field";
import { HeadRow, Table, Td } from "@/components/ui/table";
import { CreateForm, ListSection, NamedOptions, QueryList, SelectableTable } from "./sandbox-list";

type Fallback = "demo" | "error";
interface Rule {
  kind: "contains" | "pattern";
  value: string;
  answer: string;
}
interface Recorded {
  promptHash: string;
  model: string;
  repetition: number;
  content: string;
  source?: string;
}

const FALLBACKS: { value: Fallback; label: string }[] = [
  { value: "demo", label: "The demo model answers" },
  { value: "error", label: "Fail the step (422)" },
];

/** The "When nothing matches" select. */
function FallbackField({
  value,
  onChange,
}: {
  value: Fallback;
  onChange: (fallback: Fallback) => void;
}) {
  return (
    <SelectField
      label="When nothing matches"
      value={value}
      onChange={(e) => onChange(e.target.value as Fallback)}
    >
      {FALLBACKS.map((f) => (
        <option key={f.value} value={f.value}>
          {f.label}
        </option>
      ))}
    </SelectField>
  );
}

/**
 * The Sandbox page's scripted models: scripts that answer a session's agent steps instead of a
 * model (recorded answers by prompt hash and repetition, then rules by substring or RE2 pattern,
 * then the fallback). Editors create them, edit their rules, add a run's model answers, attach
 * them to sessions and delete them; viewers read them.
 */
export function ScriptedModelsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const scripts = useQuery(trpc.scriptedModel.list.queryOptions());
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [fallback, setFallback] = useState<Fallback>("demo");
  const create = useMutation(
    trpc.scriptedModel.create.mutationOptions({
      onSuccess: async (s) => {
        setName("");
        setSelected(s.id);
        await queryClient.invalidateQueries(trpc.scriptedModel.pathFilter());
      },
    }),
  );
  const errors = formErrors(create.error);

  return (
    <div className="space-y-6">
      <CreateForm
        canEdit={canEdit}
        readOnly="Only editors and admins create and change scripted models; you can read them."
        label="Create a scripted model"
        grid="grid-cols-[1fr_16rem_auto]"
        span="col-span-3"
        submit="Create scripted model"
        pending={create.isPending}
        error={errors.message}
        onSubmit={() => create.mutate({ name, fallback })}
      >
        <TextField
          label="Scripted model name"
          placeholder="Refund answers"
          value={name}
          onChange={(e) => setName(e.target.value)}
          errors={errors.fields.name}
        />
        <FallbackField value={fallback} onChange={setFallback} />
      </CreateForm>

      <ListSection headingId="scripted-heading" title="Scripted models">
        <QueryList
          query={scripts}
          loading="Loading scripted models…"
          empty="No scripted models yet. A scripted model answers a session's agent steps from answers recorded in earlier runs or from rules you write, so experiments are repeatable."
        >
          {(items) => (
            <SelectableTable
              label="Scripted models"
              columns={["Name", "Rules", "Recorded answers", "Nothing matches", "Changed"]}
              items={items}
              selected={selected}
              cells={(s) => (
                <>
                  <Td className="font-medium">{s.name}</Td>
                  <Td>{s.rules}</Td>
                  <Td>{s.recorded}</Td>
                  <Td>
                    <Badge tone={s.fallback === "error" ? "warning" : "neutral"}>
                      {s.fallback === "error" ? "fails" : "demo model"}
                    </Badge>
                  </Td>
                  <Td className="text-zinc-600">{formatDateTime(s.updatedAt)}</Td>
                </>
              )}
              open={{ label: (s) => `Open scripted model ${s.name}`, onSelect: setSelected }}
            />
          )}
        </QueryList>
      </ListSection>

      {selected && (
        <ScriptDetail key={selected} id={selected} onDeleted={() => setSelected(null)} />
      )}
    </div>
  );
}

function ScriptDetail({ id, onDeleted }: { id: string; onDeleted: () => void }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const script = useQuery(trpc.scriptedModel.get.queryOptions({ id }));
  const refresh = () => queryClient.invalidateQueries(trpc.scriptedModel.pathFilter());
  const remove = useMutation(
    trpc.scriptedModel.delete.mutationOptions({
      onSuccess: async () => {
        onDeleted();
        await refresh();
      },
    }),
  );

  if (script.isPending) return <p className="text-sm text-zinc-500">Loading…</p>;
  if (script.error) return <Alert tone="error">{errorMessage(script.error)}</Alert>;
  const s = script.data;
  return (
    <section
      aria-label={`Scripted model ${s.name}`}
      className="space-y-5 rounded-lg border border-zinc-200 bg-white p-4"
    >
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 className="text-sm font-semibold">{s.name}</h2>
          <p className="text-xs text-zinc-600">
            Model name <code className="font-mono">{s.model}</code>: recorded answers first (by
            prompt hash; the Nth identical call of a run gets the Nth answer, past the last the last
            repeats), then the first matching rule, then{" "}
            {s.fallback === "error" ? "a failed step" : "the demo model"}.
          </p>
        </div>
        {canEdit && (
          <Button
            size="sm"
            variant="danger"
            pending={remove.isPending}
            onClick={() => {
              if (window.confirm(`Delete the scripted model "${s.name}"?`)) remove.mutate({ id });
            }}
          >
            Delete
          </Button>
        )}
      </div>
      {remove.error && <Alert tone="error">{errorMessage(remove.error)}</Alert>}
      <RulesEditor
        key={s.updatedAt.toString()}
        id={id}
        rules={s.rules}
        fallback={s.fallback}
        canEdit={canEdit}
        onSaved={refresh}
      />
      <RecordedAnswers id={id} recorded={s.recorded} canEdit={canEdit} onChanged={refresh} />
      <Sessions id={id} attached={s.sessionIds} canEdit={canEdit} onChanged={refresh} />
    </section>
  );
}

function RulesEditor({
  id,
  rules: saved,
  fallback: savedFallback,
  canEdit,
  onSaved,
}: {
  id: string;
  rules: Rule[];
  fallback: Fallback;
  canEdit: boolean;
  onSaved: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const [rules, setRules] = useState<Rule[]>(saved);
  const [fallback, setFallback] = useState<Fallback>(savedFallback);
  const [notice, setNotice] = useState<string | null>(null);
  const update = useMutation(
    trpc.scriptedModel.update.mutationOptions({
      onSuccess: async () => {
        setNotice("Rules saved.");
        await onSaved();
      },
    }),
  );
  const errors = formErrors(update.error);
  const change = (i: number, patch: Partial<Rule>) =>
    setRules((rs) => rs.map((r, j) => (j === i ? { ...r, ...patch } : r)));

  return (
    <form
      aria-label="Rules"
      noValidate
      className="space-y-3"
      onSubmit={(e) => {
        e.preventDefault();
        setNotice(null);
        update.mutate({ id, rules, fallback });
      }}
    >
      <h3 className="text-sm font-semibold">Rules</h3>
      {rules.length === 0 && (
        <p className="text-sm text-zinc-600">
          No rules. A rule answers every prompt that contains its text (or matches its RE2 pattern)
          with its answer; for agent steps the answer is the JSON the block expects.
        </p>
      )}
      {rules.map((r, i) => (
        <fieldset
          key={i}
          aria-label={`Rule ${i + 1}`}
          disabled={!canEdit}
          className="grid grid-cols-[9rem_1fr_auto] items-start gap-3 rounded-md border border-zinc-200 p-3"
        >
          <SelectField
            label="Matches by"
            value={r.kind}
            onChange={(e) => change(i, { kind: e.target.value as Rule["kind"] })}
          >
            <option value="contains">contains</option>
            <option value="pattern">RE2 pattern</option>
          </SelectField>
          <TextField
            label={r.kind === "pattern" ? "Pattern" : "Text"}
            value={r.value}
            maxLength={500}
            onChange={(e) => change(i, { value: e.target.value })}
          />
          {canEdit && (
            <Button
              type="button"
              size="sm"
              variant="ghost"
              className="mt-5"
              aria-label={`Remove rule ${i + 1}`}
              onClick={() => setRules((rs) => rs.filter((_, j) => j !== i))}
            >
              Remove
            </Button>
          )}
          <label className="col-span-3 block text-xs font-medium text-zinc-700">
            Answer
            <textarea
              className={`${inputClass} mt-1 font-mono text-xs`}
              rows={3}
              value={r.answer}
              onChange={(e) => change(i, { answer: e.target.value })}
            />
          </label>
        </fieldset>
      ))}
      {errors.fields.rules && <Alert tone="error">{errors.fields.rules.join(" ")}</Alert>}
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
      {canEdit && (
        <div className="flex items-end gap-3">
          <Button
            type="button"
            size="sm"
            onClick={() => setRules((rs) => [...rs, { kind: "contains", value: "", answer: "" }])}
          >
            Add rule
          </Button>
          <FallbackField value={fallback} onChange={setFallback} />
          <Button type="submit" size="sm" variant="primary" pending={update.isPending}>
            Save rules
          </Button>
        </div>
      )}
    </form>
  );
}

function RecordedAnswers({
  id,
  recorded,
  canEdit,
  onChanged,
}: {
  id: string;
  recorded: Recorded[];
  canEdit: boolean;
  onChanged: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const [runId, setRunId] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  const record = useMutation(
    trpc.scriptedModel.recordFromRun.mutationOptions({
      onSuccess: async (r) => {
        setRunId("");
        setNotice(
          `${r.added} answer${r.added === 1 ? "" : "s"} added${r.skipped ? ` (${r.skipped} could not be replayed)` : ""}.`,
        );
        await onChanged();
      },
    }),
  );
  const update = useMutation(trpc.scriptedModel.update.mutationOptions({ onSuccess: onChanged }));
  const errors = formErrors(record.error);

  return (
    <div className="space-y-3">
      <h3 className="text-sm font-semibold">Recorded answers</h3>
      {recorded.length === 0 ? (
        <p className="text-sm text-zinc-600">
          None yet. Add the model answers of a run (its agent steps&apos; calls, kept 14 days).
        </p>
      ) : (
        <Table label="Recorded answers">
          <HeadRow columns={["Prompt", "Model", "Call", "Answer", "From"]} />
          <tbody>
            {recorded.map((r) => (
              <tr key={`${r.promptHash}-${r.model}-${r.repetition}`}>
                <Td className="font-mono text-xs" title={r.promptHash}>
                  {r.promptHash.slice(7, 19)}…
                </Td>
                <Td>{r.model}</Td>
                <Td>#{r.repetition}</Td>
                <Td className="max-w-md truncate font-mono text-xs" title={r.content}>
                  {r.content.slice(0, 200)}
                </Td>
                <Td className="font-mono text-xs text-zinc-600">{r.source ?? "—"}</Td>
                <Td className="text-right">
                  {canEdit && (
                    <Button
                      size="sm"
                      variant="ghost"
                      aria-label={`Remove answer #${r.repetition} of ${r.promptHash.slice(7, 19)}`}
                      pending={update.isPending}
                      onClick={() =>
                        update.mutate({
                          id,
                          recorded: recorded.filter((x) => x !== r),
                        })
                      }
                    >
                      Remove
                    </Button>
                  )}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
      {update.error && <Alert tone="error">{errorMessage(update.error)}</Alert>}
      {canEdit && (
        <form
          aria-label="Add a run's model answers"
          noValidate
          className="flex items-start gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            setNotice(null);
            record.mutate({ id, runId: runId.trim() });
          }}
        >
          <TextField
            label="Run id"
            placeholder="00000000-0000-0000-0000-000000000000"
            value={runId}
            onChange={(e) => setRunId(e.target.value)}
            errors={errors.fields.runId}
          />
          <Button type="submit" size="sm" className="mt-6" pending={record.isPending}>
            Add its model answers
          </Button>
        </form>
      )}
      {errors.message && <Alert tone="error">{errors.message}</Alert>}
      {notice && <Alert tone="success">{notice}</Alert>}
    </div>
  );
}

function Sessions({
  id,
  attached,
  canEdit,
  onChanged,
}: {
  id: string;
  attached: string[];
  canEdit: boolean;
  onChanged: () => Promise<void>;
}) {
  const trpc = useTRPC();
  const sessions = useQuery(trpc.sandbox.list.queryOptions({ includeClosed: false }));
  const [sessionId, setSessionId] = useState("");
  const attach = useMutation(trpc.scriptedModel.attach.mutationOptions({ onSuccess: onChanged }));
  const open = sessions.data ?? [];
  const attachedOpen = open.filter((s) => attached.includes(s.id));
  const others = open.filter((s) => !attached.includes(s.id));

  return (
    <div className="space-y-3">
      <h3 className="text-sm font-semibold">Sessions answered by it</h3>
      {attachedOpen.length === 0 ? (
        <p className="text-sm text-zinc-600">
          No open session. Attach it to a session: that session&apos;s agent steps are then answered
          by this script instead of the demo model.
        </p>
      ) : (
        <ul className="space-y-1 text-sm">
          {attachedOpen.map((s) => (
            <li key={s.id} className="flex items-center gap-3">
              <span>{s.name}</span>
              {canEdit && (
                <Button
                  size="sm"
                  variant="ghost"
                  aria-label={`Detach from ${s.name}`}
                  pending={attach.isPending}
                  onClick={() => attach.mutate({ sessionId: s.id, scriptedModelId: null })}
                >
                  Detach
                </Button>
              )}
            </li>
          ))}
        </ul>
      )}
      {canEdit && others.length > 0 && (
        <form
          aria-label="Attach to a session"
          className="flex items-end gap-3"
          onSubmit={(e) => {
            e.preventDefault();
            if (sessionId) attach.mutate({ sessionId, scriptedModelId: id });
          }}
        >
          <SelectField
            label="Session"
            value={sessionId}
            onChange={(e) => setSessionId(e.target.value)}
          >
            <NamedOptions items={others} empty="Choose a session…" />
          </SelectField>
          <Button type="submit" size="sm" pending={attach.isPending} disabled={!sessionId}>
            Attach
          </Button>
        </form>
      )}
      {attach.error && <Alert tone="error">{errorMessage(attach.error)}</Alert>}
    </div>
  );
}
