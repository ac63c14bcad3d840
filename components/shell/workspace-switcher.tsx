"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type FormEvent } from "react";
import { useTRPC, useWorkspaceSelection } from "@/lib/trpc/client";
import { formErrors } from "@/lib/trpc/errors";
import { useCurrentWorkspace } from "@/lib/trpc/hooks";
import { Alert } from "@/components/ui/alert";
import { Button } from "@/components/ui/button";
import { Dialog } from "@/components/ui/dialog";
import { TextField, inputClass } from "@/components/ui/field";

export function WorkspaceSwitcher() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const { selectedId, select } = useWorkspaceSelection();
  const mine = useQuery(trpc.workspace.mine.queryOptions());
  const current = useCurrentWorkspace();
  const [creating, setCreating] = useState(false);
  const [name, setName] = useState("");
  const create = useMutation(
    trpc.workspace.create.mutationOptions({
      onSuccess: async (ws) => {
        await queryClient.invalidateQueries({ queryKey: trpc.workspace.mine.queryKey() });
        setCreating(false);
        setName("");
        select(ws.id);
      },
    }),
  );
  const errors = formErrors(create.error);

  // A remembered workspace this user no longer belongs to (removed, or another account used
  // this browser): fall back to the server's default.
  useEffect(() => {
    if (mine.data && selectedId && !mine.data.some((w) => w.id === selectedId)) select(null);
  }, [mine.data, selectedId, select]);

  function onCreate(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name });
  }

  const value = current.data?.id ?? selectedId ?? "";
  return (
    <div className="flex items-center gap-2">
      <label htmlFor="workspace-switcher" className="sr-only">
        Workspace
      </label>
      <select
        id="workspace-switcher"
        className={`${inputClass} h-8 w-56 py-1`}
        value={value}
        disabled={!mine.data}
        onChange={(e) => select(e.target.value)}
      >
        {!mine.data && <option value="">Loading workspaces…</option>}
        {mine.data?.map((w) => (
          <option key={w.id} value={w.id}>
            {w.name}
          </option>
        ))}
      </select>
      <Button size="sm" variant="ghost" onClick={() => setCreating(true)}>
        New workspace
      </Button>
      <Dialog
        open={creating}
        onClose={() => {
          setCreating(false);
          create.reset();
        }}
        title="Create a workspace"
        description="You become its admin. Workflows, members and the audit ledger are per workspace."
      >
        <form onSubmit={onCreate} className="space-y-4" noValidate>
          {errors.message && <Alert tone="error">{errors.message}</Alert>}
          <TextField
            label="Workspace name"
            value={name}
            onChange={(e) => setName(e.target.value)}
            errors={errors.fields.name}
            autoFocus
          />
          <div className="flex justify-end gap-2">
            <Button onClick={() => setCreating(false)}>Cancel</Button>
            <Button type="submit" variant="primary" pending={create.isPending}>
              Create workspace
            </Button>
          </div>
        </form>
      </Dialog>
    </div>
  );
}
