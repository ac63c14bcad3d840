"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useEffect, useState, useSyncExternalStore } from "react";
import { formatDateTime } from "@/lib/format";
import { useTRPC } from "@/lib/trpc/client";
import { errorMessage } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import type { RouterOutputs } from "@/lib/trpc/types";
import { Alert } from "@/components/ui/alert";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { inputClass } from "@/components/ui/field";
import { describeFire } from "@/lib/triggers/schedule-times";
import { triggerLabel } from "./workflow-search";
import { signedCurl } from "@/lib/triggers/webhook-curl";

type Triggers = RouterOutputs["trigger"]["forWorkflow"];

const noSubscription = () => () => {};

function CopyButton({ text, label }: { text: string; label: string }) {
  const [copied, setCopied] = useState(false);
  return (
    <Button
      size="sm"
      aria-label={label}
      onClick={() => {
        void navigator.clipboard?.writeText(text).then(
          () => setCopied(true),
          () => setCopied(false),
        );
      }}
    >
      {copied ? "Copied" : "Copy"}
    </Button>
  );
}

/**
 * A workflow's triggers: what starts the flow that triggers fire (its latest version, else its
 * draft), the webhook (URL, secret rotation shown once, a signed `curl` ready to paste) and the
 * schedule editor (a cron expression, the next five fire times as the scheduler computes them,
 * saved into the draft). Viewers read it; editors change it.
 */
export function TriggersPanel({ workflowId }: { workflowId: string }) {
  const trpc = useTRPC();
  const canEdit = useCan("editor");
  const queryClient = useQueryClient();
  const data = useQuery(trpc.trigger.forWorkflow.queryOptions({ workflowId }));
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.trigger.pathFilter()),
      queryClient.invalidateQueries(trpc.workflow.pathFilter()),
    ]);

  if (data.isPending) return <p className="text-sm text-zinc-600">Loading the triggers…</p>;
  if (data.error) return <Alert tone="error">{errorMessage(data.error)}</Alert>;
  const t = data.data;
  const source = t.version
    ? `Triggers run version ${t.version}, the latest saved.`
    : "Triggers run the draft: no version is saved yet.";

  return (
    <section
      id="triggers"
      aria-labelledby="triggers-title"
      className="space-y-4 rounded-lg border border-zinc-200 bg-white p-4"
    >
      <header className="space-y-1">
        <h2 id="triggers-title" className="text-sm font-semibold text-zinc-900">
          Triggers
        </h2>
        <p className="text-sm text-zinc-700" data-testid="current-trigger">
          Started by: <span className="font-medium">{triggerLabel(t.trigger)}</span>.{" "}
          <span className="text-zinc-500">{source}</span>
        </p>
        {t.trigger.type === "invalid" && (
          <Alert tone="error">
            The flow triggers would run does not compile: {t.trigger.problem}. Fix it in the studio.
          </Alert>
        )}
        {t.draftTrigger && (
          <Alert tone="info" testId="draft-trigger">
            The draft declares: <span className="font-medium">{triggerLabel(t.draftTrigger)}</span>.
            It starts runs once you save it as a version in the{" "}
            <Link href={`/studio/${workflowId}`} className="underline">
              studio
            </Link>
            .
          </Alert>
        )}
      </header>
      <WebhookSection triggers={t} canEdit={canEdit} onChanged={refresh} />
      <ScheduleEditor triggers={t} canEdit={canEdit} onChanged={refresh} />
    </section>
  );
}

function WebhookSection({
  triggers,
  canEdit,
  onChanged,
}: {
  triggers: Triggers;
  canEdit: boolean;
  onChanged: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const { webhook, workflowId } = triggers;
  const [secret, setSecret] = useState<string | null>(null);
  const [confirmRotate, setConfirmRotate] = useState(false);
  const origin = useSyncExternalStore(
    noSubscription,
    () => window.location.origin,
    () => "",
  );
  const rotate = useMutation(
    trpc.trigger.rotateWebhookSecret.mutationOptions({
      onSuccess: async (r) => {
        setSecret(r.secret);
        setConfirmRotate(false);
        await onChanged();
      },
    }),
  );
  const revoke = useMutation(
    trpc.trigger.revokeWebhook.mutationOptions({
      onSuccess: async () => {
        setSecret(null);
        await onChanged();
      },
    }),
  );
  const switchToWebhook = useMutation(
    trpc.trigger.setTrigger.mutationOptions({ onSuccess: () => onChanged() }),
  );
  const isWebhook = triggers.trigger.type === "webhook";
  const url = webhook.path ? `${origin}${webhook.path}` : null;
  const curl =
    url && isWebhook
      ? signedCurl({
          url,
          secret:
            secret ??
            (webhook.hint
              ? `<your webhook secret, ending in ${webhook.hint}>`
              : "<rotate to create a secret>"),
          body: webhook.exampleBody,
        })
      : null;

  return (
    <section aria-labelledby="webhook-title" className="space-y-2 border-t border-zinc-100 pt-3">
      <div className="flex items-center justify-between gap-2">
        <h3 id="webhook-title" className="text-sm font-semibold text-zinc-900">
          Webhook
        </h3>
        {isWebhook && (
          <span data-testid="webhook-state">
            {webhook.configured ? (
              <Badge tone="success">receiving</Badge>
            ) : (
              <Badge tone="neutral">no secret yet</Badge>
            )}
          </span>
        )}
      </div>
      {!isWebhook ? (
        <div className="flex items-center justify-between gap-3 text-sm text-zinc-600">
          <p>
            This flow is not started by webhooks. A flow has one trigger: declaring{" "}
            <code className="font-mono text-xs">trigger: {"{ webhook: {} }"}</code> replaces its
            current one.
          </p>
          {canEdit && (
            <Button
              size="sm"
              pending={switchToWebhook.isPending}
              onClick={() => switchToWebhook.mutate({ workflowId, trigger: { type: "webhook" } })}
            >
              Use a webhook in the draft
            </Button>
          )}
        </div>
      ) : (
        <>
          <div className="flex items-center gap-2">
            <label htmlFor="webhook-url" className="shrink-0 text-xs font-medium text-zinc-700">
              URL
            </label>
            <input
              id="webhook-url"
              readOnly
              value={url ?? ""}
              className={`${inputClass} font-mono text-xs`}
              onFocus={(e) => e.currentTarget.select()}
            />
            {url && <CopyButton text={url} label="Copy the webhook URL" />}
          </div>
          <p className="text-xs text-zinc-600">
            {webhook.configured ? (
              <>
                Signed with a secret ending in{" "}
                <span className="font-mono font-medium">{webhook.hint}</span>
                {webhook.rotatedAt && <>, rotated {formatDateTime(webhook.rotatedAt)}</>}.
                Deliveries are refused (401) unless signed with it.
              </>
            ) : (
              "No secret yet: deliveries are refused (404) until you create one."
            )}
          </p>
          {webhook.stale && (
            <Alert tone="warning">
              The secret was made for the flow under its former name: rotate it to receive
              deliveries at the URL above.
            </Alert>
          )}
          {canEdit && (
            <div className="flex flex-wrap items-center gap-2">
              {webhook.configured && !confirmRotate ? (
                <Button size="sm" onClick={() => setConfirmRotate(true)}>
                  Rotate secret
                </Button>
              ) : (
                <>
                  <Button
                    size="sm"
                    variant="primary"
                    pending={rotate.isPending}
                    onClick={() => rotate.mutate({ workflowId })}
                  >
                    {webhook.configured
                      ? "Rotate now: the current secret stops working"
                      : "Create secret"}
                  </Button>
                  {confirmRotate && (
                    <Button size="sm" variant="ghost" onClick={() => setConfirmRotate(false)}>
                      Keep the current secret
                    </Button>
                  )}
                </>
              )}
              {webhook.configured && (
                <Button
                  size="sm"
                  variant="danger"
                  pending={revoke.isPending}
                  onClick={() => revoke.mutate({ workflowId })}
                >
                  Revoke
                </Button>
              )}
            </div>
          )}
          {(rotate.error ?? revoke.error) && (
            <Alert tone="error">{errorMessage(rotate.error ?? revoke.error)}</Alert>
          )}
          {secret && (
            <Alert tone="warning" testId="webhook-secret">
              <p>
                The new secret, shown once (only its last characters are kept in view afterwards):
              </p>
              <div className="mt-1 flex items-center gap-2">
                <input
                  readOnly
                  aria-label="New webhook secret"
                  value={secret}
                  className={`${inputClass} font-mono text-xs`}
                  onFocus={(e) => e.currentTarget.select()}
                />
                <CopyButton text={secret} label="Copy the secret" />
              </div>
            </Alert>
          )}
          {curl && (
            <div className="space-y-1">
              <div className="flex items-center justify-between">
                <p className="text-xs font-medium text-zinc-700">
                  Send a signed delivery from a shell
                </p>
                <CopyButton text={curl} label="Copy the curl command" />
              </div>
              <pre
                aria-label="Signed curl command"
                className="overflow-x-auto rounded bg-zinc-900 p-3 font-mono text-[11px] leading-4 text-zinc-100"
              >
                {curl}
              </pre>
              <p className="text-xs text-zinc-500">
                The body is the flow&apos;s inputs
                {webhook.exampleValid
                  ? " (its examples and defaults)"
                  : ": fill in the required ones"}
                ; <code className="font-mono">?wait=1</code> answers with the run&apos;s output.
                Each signed content is accepted once: run it again a second later for another
                delivery.
                {!secret &&
                  webhook.configured &&
                  " Replace the secret placeholder, or rotate to see a new one."}
              </p>
            </div>
          )}
        </>
      )}
    </section>
  );
}

/** Waits `ms` after the last change of `value`. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [value, ms]);
  return v;
}

function ScheduleEditor({
  triggers,
  canEdit,
  onChanged,
}: {
  triggers: Triggers;
  canEdit: boolean;
  onChanged: () => Promise<unknown>;
}) {
  const trpc = useTRPC();
  const current = triggers.schedule;
  const [cron, setCron] = useState(current?.cron ?? "0 9 * * 1-5");
  const [saved, setSaved] = useState<{ live: boolean } | null>(null);
  const typed = useDebounced(cron.trim(), 250);
  const preview = useQuery({
    ...trpc.trigger.previewSchedule.queryOptions({ cron: typed }),
    enabled: typed !== "",
    retry: false,
  });
  const save = useMutation(
    trpc.trigger.setTrigger.mutationOptions({
      onSuccess: async (r) => {
        setSaved({ live: r.live });
        await onChanged();
      },
    }),
  );
  const changed = cron.trim() !== (current?.cron ?? "");
  const fires = preview.data?.fires ?? [];
  const problem =
    typed === "" ? "Enter a cron expression." : preview.error ? errorMessage(preview.error) : null;

  return (
    <section aria-labelledby="schedule-title" className="space-y-2 border-t border-zinc-100 pt-3">
      <h3 id="schedule-title" className="text-sm font-semibold text-zinc-900">
        Schedule
      </h3>
      {current ? (
        <div className="space-y-1 text-xs text-zinc-600" data-testid="schedule-current">
          <p>
            Runs at <code className="font-mono font-medium text-zinc-900">{current.cron}</code>{" "}
            (UTC). Last fire: {current.lastFireAt ? formatDateTime(current.lastFireAt) : "none yet"}
            .
          </p>
          {current.error && <Alert tone="error">{current.error}</Alert>}
          {current.refused && <Alert tone="warning">{current.refused}</Alert>}
        </div>
      ) : (
        <p className="text-xs text-zinc-600">
          This flow is not scheduled. Saving a schedule replaces its current trigger in the draft.
        </p>
      )}
      <form
        aria-label="Schedule editor"
        className="space-y-2"
        onSubmit={(e) => {
          e.preventDefault();
          if (canEdit && !problem)
            save.mutate({ workflowId: triggers.workflowId, trigger: { type: "schedule", cron } });
        }}
      >
        <div className="flex items-end gap-2">
          <div className="flex-1 space-y-1">
            <label htmlFor="schedule-cron" className="block text-xs font-medium text-zinc-700">
              Cron expression (UTC)
            </label>
            <input
              id="schedule-cron"
              value={cron}
              maxLength={200}
              readOnly={!canEdit}
              spellCheck={false}
              aria-invalid={Boolean(problem && typed === cron.trim())}
              aria-describedby="schedule-cron-hint"
              onChange={(e) => {
                setCron(e.target.value);
                setSaved(null);
              }}
              className={`${inputClass} font-mono`}
            />
          </div>
          {canEdit && (
            <Button
              type="submit"
              variant="primary"
              pending={save.isPending}
              disabled={!changed || Boolean(problem)}
            >
              {current ? "Save schedule to the draft" : "Use this schedule in the draft"}
            </Button>
          )}
        </div>
        <p id="schedule-cron-hint" className="text-xs text-zinc-500">
          minute hour day-of-month month day-of-week (optionally a leading seconds field); names (
          <code>mon-fri</code>, <code>jan</code>), ranges, steps (<code>*/15</code>) and lists. When
          both day fields are set, either one matching fires.
        </p>
      </form>
      {problem && typed === cron.trim() ? (
        <Alert tone="error" testId="schedule-error">
          {problem}
        </Alert>
      ) : (
        <div>
          <p className="text-xs font-medium text-zinc-700">
            Next {fires.length || 5} fire times
            {preview.isFetching && <span className="font-normal text-zinc-500"> (updating…)</span>}
          </p>
          <ol aria-label="Next fire times" className="mt-1 space-y-0.5 text-xs">
            {fires.map((f) => {
              const d = describeFire(f);
              return (
                <li key={f} className="flex gap-3 font-mono">
                  <time dateTime={f} className="text-zinc-900">
                    {d.utc}
                  </time>
                  {d.local && (
                    <span className="text-zinc-500">
                      {d.local} ({d.timeZone})
                    </span>
                  )}
                </li>
              );
            })}
          </ol>
          {preview.data?.horizonReached && (
            <p className="mt-1 text-xs text-amber-800">
              {fires.length === 0
                ? "This expression never fires within the next five years."
                : "No more fire times within the next five years."}
            </p>
          )}
        </div>
      )}
      {save.error && <Alert tone="error">{errorMessage(save.error)}</Alert>}
      {saved && (
        <Alert tone="success" testId="schedule-saved">
          Saved to the draft.{" "}
          {saved.live
            ? "It fires now: this workflow has no saved version, so triggers run its draft."
            : "Triggers follow the latest version until you save the draft as a new version in the studio."}
        </Alert>
      )}
    </section>
  );
}
