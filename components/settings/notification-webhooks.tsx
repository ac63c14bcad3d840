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
import { TextField } from "@/components/ui/field";
import { Table, Td, Th } from "@/components/ui/table";
import { ConfirmRowAction } from "./confirm-row-action";
import { SettingsForm } from "./settings-form";
import { SettingsSection } from "./settings-section";
import { SettingsTable, type SettingsColumn } from "./settings-table";
import { ShownOnce } from "./shown-once";

/** The events an endpoint may receive, in the order Settings lists them. */
const EVENTS = [
  { id: "approval.requested", label: "New requests" },
  { id: "approval.escalated", label: "Escalations" },
  { id: "approval.decided", label: "Decisions" },
  { id: "approval.expired", label: "Expiries" },
  { id: "guardian.group", label: "New guardian failure groups" },
] as const;
type EventId = (typeof EVENTS)[number]["id"];

/** Settings: signed outgoing webhooks of approval events. */
export function NotificationWebhooksPanel() {
  const isAdmin = useCan("admin");
  return (
    <SettingsSection
      id="webhooks-heading"
      title="Approval webhooks"
      description={
        <>
          Approval requests, escalations and decisions, and the guardian&apos;s new failure groups,
          are posted to these URLs as JSON, signed with the endpoint&apos;s secret (Standard
          Webhooks: <code className="font-mono text-xs">webhook-id</code>,{" "}
          <code className="font-mono text-xs">webhook-timestamp</code>,{" "}
          <code className="font-mono text-xs">webhook-signature</code>). Failed calls are retried
          with back-off. Calls go through outbound access: allow a private or plain-http receiver
          there first.
        </>
      }
    >
      {isAdmin ? (
        <WebhooksAdmin />
      ) : (
        <p className="text-sm text-zinc-600">Only admins of this workspace manage webhooks.</p>
      )}
    </SettingsSection>
  );
}

const ENDPOINT_COLUMNS: readonly SettingsColumn[] = [
  { label: "URL" },
  { label: "Events" },
  { label: "Recent deliveries" },
  { label: "State" },
];

function WebhooksAdmin() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const endpoints = useQuery(trpc.notification.webhooks.list.queryOptions());
  const [url, setUrl] = useState("");
  const [description, setDescription] = useState("");
  const [events, setEvents] = useState<EventId[]>(["approval.requested", "approval.escalated"]);
  const [secret, setSecret] = useState<{ url: string; value: string } | null>(null);
  const [logOf, setLogOf] = useState<string | null>(null);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.notification.webhooks.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  const create = useMutation(
    trpc.notification.webhooks.create.mutationOptions({
      onSuccess: async (made) => {
        setSecret({ url: made.endpoint.url, value: made.secret });
        setUrl("");
        setDescription("");
        await refresh();
      },
    }),
  );
  const update = useMutation(
    trpc.notification.webhooks.update.mutationOptions({ onSuccess: refresh }),
  );
  const remove = useMutation(
    trpc.notification.webhooks.delete.mutationOptions({ onSuccess: refresh }),
  );
  const rotate = useMutation(
    trpc.notification.webhooks.rotateSecret.mutationOptions({
      onSuccess: async (r) => {
        setSecret({ url: r.endpoint.url, value: r.secret });
        await refresh();
      },
    }),
  );
  const test = useMutation(
    trpc.notification.webhooks.test.mutationOptions({
      onSettled: async (_d, _e, v) => {
        setLogOf(v.id);
        await refresh();
      },
    }),
  );
  const errors = formErrors(create.error);
  const toggle = (id: EventId, on: boolean) =>
    setEvents((e) => (on ? [...new Set([...e, id])] : e.filter((x) => x !== id)));

  return (
    <>
      <SettingsForm
        label="Add a webhook endpoint"
        submitLabel="Add endpoint"
        pending={create.isPending}
        onSubmit={() => create.mutate({ url, description, events })}
        error={errors.fields.url || errors.fields.events ? null : errors.message}
        below={
          <fieldset className="col-span-3 flex flex-wrap gap-x-5 gap-y-1">
            <legend className="sr-only">Events</legend>
            {EVENTS.map((e) => (
              <label key={e.id} className="flex items-center gap-1.5 text-sm text-zinc-800">
                <input
                  type="checkbox"
                  checked={events.includes(e.id)}
                  onChange={(ev) => toggle(e.id, ev.target.checked)}
                />
                <span>{e.label}</span>
                <code className="font-mono text-xs text-zinc-500">{e.id}</code>
              </label>
            ))}
            {errors.fields.events && (
              <p className="w-full text-xs text-red-700" role="alert">
                {errors.fields.events.join(" ")}
              </p>
            )}
          </fieldset>
        }
      >
        <TextField
          label="URL"
          placeholder="https://hooks.example.com/trustflow"
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          errors={errors.fields.url}
        />
        <TextField
          label="Description"
          placeholder="Ops channel bridge"
          value={description}
          onChange={(e) => setDescription(e.target.value)}
          errors={errors.fields.description}
        />
      </SettingsForm>

      {secret && (
        <ShownOnce testId="new-webhook-secret" value={secret.value} onDone={() => setSecret(null)}>
          Copy the signing secret of {secret.url} now: it is shown only once and cannot be recovered
          (rotate it to get a new one).
        </ShownOnce>
      )}
      {test.data && (
        <Alert tone={test.data.status === "delivered" ? "success" : "warning"}>
          Test message{" "}
          {test.data.status === "delivered"
            ? `delivered (HTTP ${test.data.lastStatus}).`
            : `not delivered: ${test.data.lastError ?? "unknown error"}. It is retried with back-off.`}
        </Alert>
      )}

      <SettingsTable
        label="Webhook endpoints"
        columns={ENDPOINT_COLUMNS}
        actions
        query={endpoints}
        loadingText="Loading webhook endpoints…"
        emptyText="No webhook endpoints."
        actionError={update.error ?? remove.error ?? rotate.error ?? test.error}
      >
        {endpoints.data?.map((e) => (
          <tr key={e.id}>
            <Td className="max-w-64">
              <div className="truncate font-mono text-xs" title={e.url}>
                {e.url}
              </div>
              {e.description && <div className="text-xs text-zinc-600">{e.description}</div>}
            </Td>
            <Td className="space-x-1">
              {e.events.map((ev) => (
                <Badge key={ev} tone="neutral">
                  {ev.replace("approval.", "")}
                </Badge>
              ))}
            </Td>
            <Td className="text-xs text-zinc-600">
              {e.recent.delivered} delivered
              {e.recent.pending > 0 && `, ${e.recent.pending} pending`}
              {e.recent.failed > 0 && (
                <span className="text-red-700">, {e.recent.failed} failed</span>
              )}
            </Td>
            <Td>
              <Badge tone={e.enabled ? "success" : "neutral"}>
                {e.enabled ? "enabled" : "disabled"}
              </Badge>
            </Td>
            <Td className="space-x-1 text-right whitespace-nowrap">
              <Button
                size="sm"
                variant="ghost"
                aria-label={`Send a test message to ${e.url}`}
                pending={test.isPending && test.variables?.id === e.id}
                onClick={() => test.mutate({ id: e.id })}
              >
                Test
              </Button>
              <Button
                size="sm"
                variant="ghost"
                aria-expanded={logOf === e.id}
                aria-label={`Deliveries to ${e.url}`}
                onClick={() => setLogOf(logOf === e.id ? null : e.id)}
              >
                Log
              </Button>
              <Button
                size="sm"
                variant="ghost"
                aria-label={`${e.enabled ? "Disable" : "Enable"} ${e.url}`}
                pending={update.isPending && update.variables?.id === e.id}
                onClick={() => update.mutate({ id: e.id, enabled: !e.enabled })}
              >
                {e.enabled ? "Disable" : "Enable"}
              </Button>
              <ConfirmRowAction
                label="Rotate secret"
                ariaLabel={`Rotate the secret of ${e.url}`}
                confirm={`Rotate the secret of ${e.url}? Calls are signed with the new one at once; the receiver must use it.`}
                pending={rotate.isPending && rotate.variables?.id === e.id}
                onConfirm={() => rotate.mutate({ id: e.id })}
              />
              <ConfirmRowAction
                label="Delete"
                ariaLabel={`Delete ${e.url}`}
                confirm={`Delete ${e.url} and its delivery log?`}
                pending={remove.isPending && remove.variables?.id === e.id}
                onConfirm={() => remove.mutate({ id: e.id })}
              />
            </Td>
          </tr>
        ))}
      </SettingsTable>
      {logOf && endpoints.data?.some((e) => e.id === logOf) && (
        <DeliveryLog endpointId={logOf} url={endpoints.data.find((e) => e.id === logOf)!.url} />
      )}
    </>
  );
}

/** The latest deliveries to one endpoint: event, status, attempts, the last answer or error. */
function DeliveryLog({ endpointId, url }: { endpointId: string; url: string }) {
  const trpc = useTRPC();
  const log = useQuery({
    ...trpc.notification.webhooks.deliveries.queryOptions({ endpointId, limit: 20 }),
    refetchInterval: 10_000,
  });
  const tone = { delivered: "success", pending: "warning", failed: "danger" } as const;
  return (
    <div className="space-y-2" data-testid="webhook-delivery-log">
      <h3 className="text-sm font-medium">
        Deliveries to <span className="font-mono text-xs">{url}</span>
      </h3>
      {log.error ? (
        <Alert tone="error">{errorMessage(log.error)}</Alert>
      ) : log.isPending ? (
        <p className="text-sm text-zinc-500">Loading deliveries…</p>
      ) : log.data.items.length === 0 ? (
        <p className="text-sm text-zinc-600">Nothing sent yet.</p>
      ) : (
        <Table label={`Deliveries to ${url}`}>
          <thead>
            <tr>
              <Th>Event</Th>
              <Th>Status</Th>
              <Th>Attempts</Th>
              <Th>Last answer</Th>
              <Th>Created</Th>
            </tr>
          </thead>
          <tbody>
            {log.data.items.map((d) => (
              <tr key={d.id}>
                <Td className="font-mono text-xs">{d.eventType}</Td>
                <Td>
                  <Badge tone={tone[d.status]}>{d.status}</Badge>
                  {d.nextAttemptAt && (
                    <div className="text-[11px] text-zinc-500">
                      next {formatDateTime(d.nextAttemptAt)}
                    </div>
                  )}
                </Td>
                <Td>{d.attempts}</Td>
                <Td className="max-w-72 text-xs text-zinc-600">
                  {d.lastStatus !== null && `HTTP ${d.lastStatus}`}
                  {d.lastError && <div className="break-words text-red-700">{d.lastError}</div>}
                  {d.lastStatus === null && !d.lastError && "—"}
                </Td>
                <Td className="text-xs text-zinc-600">{formatDateTime(d.createdAt)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
