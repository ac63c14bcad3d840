"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { useCan } from "@/lib/trpc/hooks";
import { Button } from "@/components/ui/button";
import { TextField, inputClass } from "@/components/ui/field";
import { Td } from "@/components/ui/table";
import { ConfirmRowAction } from "./confirm-row-action";
import { SettingsForm } from "./settings-form";
import { SettingsSection } from "./settings-section";
import { SettingsTable, type SettingsColumn } from "./settings-table";

const GROUP_COLUMNS: readonly SettingsColumn[] = [
  { label: "Group", className: "w-72" },
  { label: "Members" },
];

interface Person {
  id: string;
  email: string;
  name: string;
}

interface Group {
  id: string;
  name: string;
  description: string;
  members: Person[];
}

/**
 * Settings: the workspace's groups, which approvals, forms and policy exceptions address as
 * `group: NAME`. Everyone sees them and their members; admins create, rename, describe and
 * delete groups and add or remove members (from the workspace's members).
 */
export function GroupsPanel() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const isAdmin = useCan("admin");
  const groups = useQuery(trpc.group.list.queryOptions());
  const members = useQuery({ ...trpc.workspace.members.queryOptions(), enabled: isAdmin });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [notice, setNotice] = useState<string | null>(null);
  // The group directory the studio checks flows against lives under `group` too.
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries(trpc.group.pathFilter()),
      queryClient.invalidateQueries(trpc.audit.pathFilter()),
    ]);
  const create = useMutation(
    trpc.group.create.mutationOptions({
      onSuccess: async (g) => {
        setName("");
        setDescription("");
        setNotice(`Created group ${g.name}: flows address it as group: ${g.name}.`);
        await refresh();
      },
    }),
  );
  const remove = useMutation(trpc.group.delete.mutationOptions({ onSuccess: refresh }));
  const addMember = useMutation(trpc.group.addMember.mutationOptions({ onSuccess: refresh }));
  const removeMember = useMutation(trpc.group.removeMember.mutationOptions({ onSuccess: refresh }));
  const errors = formErrors(create.error);
  const rowError = remove.error ?? addMember.error ?? removeMember.error;
  const people: Person[] = members.data?.map((m) => m.user) ?? [];

  return (
    <SettingsSection
      id="groups-heading"
      title="Groups"
      description={
        <>
          Named sets of members that approvals and forms address as{" "}
          <code className="font-mono text-xs">{"approvers: { group: NAME }"}</code>. The studio
          flags a flow that names a group this workspace does not have.
        </>
      }
    >
      {isAdmin ? (
        <SettingsForm
          label="Create a group"
          submitLabel="Create group"
          pending={create.isPending}
          onSubmit={() => {
            setNotice(null);
            create.mutate({ name, description });
          }}
          error={errors.message}
          notice={notice}
        >
          <TextField
            label="Group name"
            placeholder="finance"
            value={name}
            autoComplete="off"
            spellCheck={false}
            onChange={(e) => setName(e.target.value)}
            errors={errors.fields.name}
            hint="Lower-case letters, digits and -, starting with a letter."
          />
          <TextField
            label="Description (optional)"
            placeholder="Decides refunds and credit exceptions"
            value={description}
            onChange={(e) => setDescription(e.target.value)}
            errors={errors.fields.description}
          />
        </SettingsForm>
      ) : (
        <p className="text-sm text-zinc-600">Only admins of this workspace change its groups.</p>
      )}

      <SettingsTable
        label="Groups"
        columns={GROUP_COLUMNS}
        actions={isAdmin}
        query={groups}
        loadingText="Loading groups…"
        emptyText="No groups yet."
        actionError={rowError}
      >
        {groups.data?.map((g) => (
          <GroupRow
            key={g.id}
            group={g}
            isAdmin={isAdmin}
            people={people}
            onRefresh={refresh}
            adding={addMember.isPending && addMember.variables?.groupId === g.id}
            removingUserId={
              removeMember.isPending && removeMember.variables?.groupId === g.id
                ? removeMember.variables.userId
                : null
            }
            deleting={remove.isPending && remove.variables?.id === g.id}
            onAdd={(userId) => addMember.mutate({ groupId: g.id, userId })}
            onRemoveMember={(userId) => removeMember.mutate({ groupId: g.id, userId })}
            onDelete={() => remove.mutate({ id: g.id })}
          />
        ))}
      </SettingsTable>
    </SettingsSection>
  );
}

/** One group: its name and description (editable in place), its members, its actions. */
function GroupRow({
  group,
  isAdmin,
  people,
  onRefresh,
  adding,
  removingUserId,
  deleting,
  onAdd,
  onRemoveMember,
  onDelete,
}: {
  group: Group;
  isAdmin: boolean;
  /** The workspace's members, for the "add" picker. */
  people: Person[];
  onRefresh: () => Promise<unknown>;
  adding: boolean;
  removingUserId: string | null;
  deleting: boolean;
  onAdd: (userId: string) => void;
  onRemoveMember: (userId: string) => void;
  onDelete: () => void;
}) {
  const trpc = useTRPC();
  const [editing, setEditing] = useState(false);
  const [name, setName] = useState(group.name);
  const [description, setDescription] = useState(group.description);
  const [toAdd, setToAdd] = useState("");
  const update = useMutation(
    trpc.group.update.mutationOptions({
      onSuccess: async () => {
        setEditing(false);
        await onRefresh();
      },
    }),
  );
  const errors = formErrors(update.error);
  const inGroup = new Set(group.members.map((m) => m.id));
  const candidates = people.filter((p) => !inGroup.has(p.id));

  const startEditing = () => {
    setName(group.name);
    setDescription(group.description);
    update.reset();
    setEditing(true);
  };

  return (
    <tr>
      <Td className="align-top">
        {editing ? (
          <form
            aria-label={`Edit group ${group.name}`}
            className="space-y-2"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              update.mutate({ id: group.id, name, description });
            }}
          >
            <TextField
              label="Group name"
              value={name}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setName(e.target.value)}
              errors={errors.fields.name}
              hint={
                name.trim() !== group.name
                  ? `Drafts that address group: ${group.name} must then use the new name.`
                  : undefined
              }
            />
            <TextField
              label="Description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              errors={errors.fields.description}
            />
            {errors.message && <p className="text-xs text-red-700">{errors.message}</p>}
            <div className="flex gap-2">
              <Button type="submit" size="sm" variant="primary" pending={update.isPending}>
                Save
              </Button>
              <Button size="sm" variant="ghost" onClick={() => setEditing(false)}>
                Cancel
              </Button>
            </div>
          </form>
        ) : (
          <>
            <p className="font-mono text-xs font-medium">{group.name}</p>
            {group.description && (
              <p className="mt-0.5 text-xs text-zinc-600">{group.description}</p>
            )}
          </>
        )}
      </Td>
      <Td className="align-top">
        {group.members.length === 0 ? (
          <p className="text-xs text-zinc-500">No members yet.</p>
        ) : (
          <ul aria-label={`Members of ${group.name}`} className="flex flex-wrap gap-1.5">
            {group.members.map((m) => (
              <li
                key={m.id}
                className="inline-flex items-center gap-1 rounded bg-zinc-100 py-0.5 pr-0.5 pl-1.5 text-xs text-zinc-800 ring-1 ring-zinc-200 ring-inset"
                title={m.email}
              >
                <span>{m.name || m.email}</span>
                <span className="text-zinc-600">{m.email}</span>
                {isAdmin && (
                  <button
                    type="button"
                    className="ml-0.5 rounded px-1 text-zinc-600 hover:bg-zinc-200 hover:text-zinc-900 focus-visible:outline-2 focus-visible:outline-accent-600 disabled:opacity-50"
                    aria-label={`Remove ${m.email} from ${group.name}`}
                    disabled={removingUserId === m.id}
                    onClick={() => onRemoveMember(m.id)}
                  >
                    ×
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
        {isAdmin && candidates.length > 0 && (
          <form
            aria-label={`Add a member to ${group.name}`}
            className="mt-2 flex items-center gap-2"
            onSubmit={(e) => {
              e.preventDefault();
              if (!toAdd) return;
              onAdd(toAdd);
              setToAdd("");
            }}
          >
            <select
              aria-label={`Member to add to ${group.name}`}
              className={`${inputClass} h-7 max-w-64 py-0.5 text-xs`}
              value={toAdd}
              onChange={(e) => setToAdd(e.target.value)}
            >
              <option value="">Choose a member…</option>
              {candidates.map((p) => (
                <option key={p.id} value={p.id}>
                  {p.name ? `${p.name} (${p.email})` : p.email}
                </option>
              ))}
            </select>
            <Button type="submit" size="sm" disabled={!toAdd} pending={adding}>
              Add
            </Button>
          </form>
        )}
      </Td>
      {isAdmin && (
        <Td className="text-right align-top whitespace-nowrap">
          {!editing && (
            <Button
              size="sm"
              variant="ghost"
              aria-label={`Rename or describe group ${group.name}`}
              onClick={startEditing}
            >
              Edit
            </Button>
          )}
          <ConfirmRowAction
            label="Delete"
            ariaLabel={`Delete group ${group.name}`}
            confirm={`Delete group ${group.name}? Drafts that address group: ${group.name} get an error until they are changed; published versions keep running.`}
            pending={deleting}
            onConfirm={onDelete}
          />
        </Td>
      )}
    </tr>
  );
}
