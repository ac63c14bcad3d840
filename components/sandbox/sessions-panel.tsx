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
import { SelectField, TextField } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { CreateForm, ListSection, QueryList, SelectableTable } from "./sandbox-list";
import { FaultProfileEditor, type FaultProfile } from "./fault-profile-editor";
import {
  DatasetVersionFields,
  useResolvedVersion,
  type DatasetVersionChoice,
} from "./dataset-version-fields";
import { SessionModelRoutes } from "./session-model-routes";
import { SessionRuns } from "./session-runs";
import { SessionStateLost, type ForkableSession } from "./session-state-lost";

/** Lifetimes offered when creating a session (the server accepts 1 minute to 7 days). */
const TTL_CHOICES = [
  { label: "1 hour", ms: 60 * 60 * 1000 },
  { label: "24 hours", ms: 24 * 60 * 60 * 1000 },
  { label: "3 days", ms: 3 * 24 * 60 * 60 * 1000 },
  { label: "7 days", ms: 7 * 24 * 60 * 60 * 1000 },
] as const;

const STATUS_TONE = { open: "success", closed: "neutral", expired: "warning" } as const;

/**
 * The Sandbox page's sessions: create one (name, seed, lifetime), the sessions the caller may
 * use (their own and those shared with them) with status and expiry, and for the one chosen:
 * who it is shared with, its fault profile, its runs, and closing it.
 */
export function SessionsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canEdit = useCan("editor");
  const [includeClosed, setIncludeClosed] = useState(false);
  const sessions = useQuery(trpc.sandbox.list.queryOptions({ includeClosed }));
  const [selected, setSelected] = useState<string | null>(null);
  const [name, setName] = useState("");
  const [seed, setSeed] = useState("");
  const [ttl, setTtl] = useState<string>(String(TTL_CHOICES[1].ms));
  const [dataset, setDataset] = useState<DatasetVersionChoice>({ datasetId: "", versionId: "" });
  const datasetVersionId = useResolvedVersion(dataset);
  const refresh = () => queryClient.invalidateQueries(trpc.sandbox.pathFilter());
  const create = useMutation(
    trpc.sandbox.create.mutationOptions({
      onSuccess: async (s) => {
        setName("");
        setSeed("");
        setDataset({ datasetId: "", versionId: "" });
        setSelected(s.id);
        await refresh();
      },
    }),
  );
  const errors = formErrors(create.error);
  const current = sessions.data?.find((s) => s.id === selected) ?? null;

  return (
    <div className="space-y-6">
      <CreateForm
        canEdit={canEdit}
        readOnly="Only editors and admins create sessions; you see those shared with you."
        label="Create a session"
        grid="grid-cols-[1fr_7rem_8rem_12rem_12rem_auto]"
        span="col-span-6"
        submit="Create session"
        pending={create.isPending}
        error={errors.message}
        onSubmit={() => {
          const s = seed.trim();
          create.mutate({
            name,
            ttlMs: Number(ttl),
            ...(s === "" ? {} : { seed: Number(s) }),
            ...(datasetVersionId ? { datasetVersionId } : {}),
          });
        }}
      >
        <TextField
          label="Session name"
          placeholder="Renewal edge cases"
          value={name}
          onChange={(e) => setName(e.target.value)}
          errors={errors.fields.name}
        />
        <TextField
          label="Seed (optional)"
          inputMode="numeric"
          placeholder="20261122"
          value={seed}
          onChange={(e) => setSeed(e.target.value)}
          errors={errors.fields.seed}
        />
        <SelectField label="Expires after" value={ttl} onChange={(e) => setTtl(e.target.value)}>
          {TTL_CHOICES.map((c) => (
            <option key={c.ms} value={c.ms}>
              {c.label}
            </option>
          ))}
        </SelectField>
        <DatasetVersionFields
          value={dataset}
          onChange={setDataset}
          none="None (the seeded data)"
          errors={errors.fields.datasetVersionId}
        />
      </CreateForm>

      <ListSection
        headingId="sessions-heading"
        title="Sessions"
        filter={{
          label: "Show closed and expired",
          checked: includeClosed,
          onChange: setIncludeClosed,
        }}
      >
        <QueryList
          query={sessions}
          loading="Loading sessions…"
          empty="No sessions yet. A session holds its own copy of the mock CRM, Billing and CLM data, a fault profile, and the runs started in it."
        >
          {(items) => (
            <SelectableTable
              label="Sandbox sessions"
              columns={["Name", "Status", "Seed", "Started from", "Shared with", "Expires"]}
              items={items}
              selected={selected}
              cells={(s) => (
                <>
                  <Td className="font-medium">{s.name}</Td>
                  <Td>
                    <Badge tone={STATUS_TONE[s.status]}>{s.status}</Badge>{" "}
                    {s.stateLostAt && <Badge tone="warning">data lost</Badge>}
                  </Td>
                  <Td className="font-mono text-xs">{s.seed}</Td>
                  <Td className="text-zinc-600">
                    {s.dataset ? `${s.dataset.name} v${s.dataset.version}` : "Seeded data"}
                  </Td>
                  <Td className="text-zinc-600">{sharedLabel(s.sharedWith)}</Td>
                  <Td className="text-zinc-600">{formatDateTime(s.expiresAt)}</Td>
                </>
              )}
              open={{ label: (s) => `Open session ${s.name}`, onSelect: setSelected }}
            />
          )}
        </QueryList>
      </ListSection>

      {current && (
        <SessionDetail
          key={current.id}
          session={current}
          onClosed={refresh}
          onForked={setSelected}
        />
      )}
    </div>
  );
}

function sharedLabel(shared: "workspace" | string[]): string {
  if (shared === "workspace") return "Whole workspace";
  if (shared.length === 0) return "Only its creator";
  return `${shared.length} member${shared.length === 1 ? "" : "s"}`;
}

interface SessionView extends ForkableSession {
  id: string;
  name: string;
  createdBy: string;
  sharedWith: "workspace" | string[];
  faultProfile: FaultProfile;
  status: "open" | "closed" | "expired";
  createdAt: Date | string;
  expiresAt: Date | string;
  modelRoutes: string[];
  dataset: {
    datasetId: string;
    name: string;
    version: number;
    hash: string;
    rowCount: number;
  } | null;
}

function SessionDetail({
  session,
  onClosed,
  onForked,
}: {
  session: SessionView;
  onClosed: () => void;
  onForked: (id: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const me = useQuery(trpc.auth.me.queryOptions());
  const canEdit = useCan("editor");
  const isAdmin = useCan("admin");
  // Sharing, faults and closing belong to the session's creator (or an admin).
  const owner = me.data?.id === session.createdBy || isAdmin;
  const open = session.status === "open";
  const refresh = () => queryClient.invalidateQueries(trpc.sandbox.pathFilter());
  const setFaults = useMutation(trpc.sandbox.setFaults.mutationOptions({ onSuccess: refresh }));
  const close = useMutation(trpc.sandbox.close.mutationOptions({ onSuccess: onClosed }));

  return (
    <section
      aria-label={`Session ${session.name}`}
      className="space-y-5 rounded-lg border border-zinc-200 bg-white p-4"
    >
      <div className="flex items-start justify-between gap-3">
        <div>
          <h2 className="text-sm font-semibold">{session.name}</h2>
          <p className="text-xs text-zinc-600">
            Created {formatDateTime(session.createdAt)} · expires{" "}
            {formatDateTime(session.expiresAt)} · runs in it reach only its mock systems and the
            demo model{session.modelRoutes.length ? ", and the real model routes below" : ""}.
          </p>
          <p className="text-xs text-zinc-600">
            {session.dataset ? (
              <>
                Started from dataset <span className="font-medium">{session.dataset.name}</span>,
                version {session.dataset.version} ({session.dataset.rowCount} rows, hash{" "}
                <span className="font-mono" title={session.dataset.hash}>
                  {session.dataset.hash.slice(0, 12)}
                </span>
                ), written over the seeded mock data.
              </>
            ) : (
              "Started from the seeded mock data (no dataset)."
            )}
          </p>
        </div>
        {canEdit && owner && open && (
          <Button
            size="sm"
            variant="danger"
            pending={close.isPending}
            onClick={() => {
              if (window.confirm(`Close session ${session.name}? Its mock data is dropped.`))
                close.mutate({ id: session.id });
            }}
          >
            Close session
          </Button>
        )}
      </div>
      {close.error && <Alert tone="error">{errorMessage(close.error)}</Alert>}
      <SessionStateLost session={session} canEdit={canEdit} onForked={onForked} />

      <ShareControl session={session} editable={canEdit && owner && open} />

      <SessionModelRoutes sessionId={session.id} routes={session.modelRoutes} open={open} />

      {setFaults.error && <Alert tone="error">{errorMessage(setFaults.error)}</Alert>}
      <FaultProfileEditor
        profile={session.faultProfile}
        canEdit={canEdit && owner && open}
        pending={setFaults.isPending}
        onSave={(faultProfile) => setFaults.mutate({ id: session.id, faultProfile })}
      />

      <SessionRuns sessionId={session.id} />
    </section>
  );
}

function ShareControl({ session, editable }: { session: SessionView; editable: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const members = useQuery(trpc.workspace.members.queryOptions());
  const [mode, setMode] = useState<"private" | "workspace" | "members">(
    session.sharedWith === "workspace"
      ? "workspace"
      : session.sharedWith.length
        ? "members"
        : "private",
  );
  const [chosen, setChosen] = useState<string[]>(
    session.sharedWith === "workspace" ? [] : session.sharedWith,
  );
  const share = useMutation(
    trpc.sandbox.share.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries(trpc.sandbox.pathFilter()),
    }),
  );
  const others = (members.data ?? []).filter((m) => m.user.id !== session.createdBy);

  return (
    <section aria-labelledby="share-heading" className="space-y-2">
      <h3 id="share-heading" className="text-sm font-semibold">
        Shared with
      </h3>
      {!editable ? (
        <p className="text-sm text-zinc-600">{sharedLabel(session.sharedWith)}</p>
      ) : (
        <form
          aria-label="Share the session"
          className="space-y-2"
          onSubmit={(e) => {
            e.preventDefault();
            share.mutate({
              id: session.id,
              sharedWith: mode === "workspace" ? "workspace" : mode === "members" ? chosen : [],
            });
          }}
        >
          <div className="flex gap-4 text-sm">
            {(
              [
                ["private", "Only me"],
                ["workspace", "Whole workspace"],
                ["members", "Chosen members"],
              ] as const
            ).map(([value, label]) => (
              <label key={value} className="flex items-center gap-1.5">
                <input
                  type="radio"
                  name="share-mode"
                  checked={mode === value}
                  onChange={() => setMode(value)}
                />
                {label}
              </label>
            ))}
          </div>
          {mode === "members" && (
            <fieldset className="flex flex-wrap gap-3 text-sm">
              <legend className="sr-only">Members</legend>
              {others.length === 0 && (
                <span className="text-zinc-600">No other members in this workspace.</span>
              )}
              {others.map((m) => (
                <label key={m.user.id} className="flex items-center gap-1.5">
                  <input
                    type="checkbox"
                    checked={chosen.includes(m.user.id)}
                    onChange={(e) =>
                      setChosen((c) =>
                        e.target.checked ? [...c, m.user.id] : c.filter((id) => id !== m.user.id),
                      )
                    }
                  />
                  {m.user.name || m.user.email}
                </label>
              ))}
            </fieldset>
          )}
          <Button type="submit" size="sm" pending={share.isPending}>
            Save sharing
          </Button>
          {share.error && <Alert tone="error">{errorMessage(share.error)}</Alert>}
        </form>
      )}
    </section>
  );
}
